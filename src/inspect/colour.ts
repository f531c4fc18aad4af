// Colour scales. Diverging for signed values (weights, residual stream): blue below zero, near
// white at zero, red above, so sign reads at a glance. Sequential for attention weights (0..1).

type Rgb = [number, number, number];

// Anchor colours picked by eye for even lightness steps on each side of the neutral middle.
const DIVERGING: Rgb[] = [
  [33, 82, 160], [84, 146, 198], [172, 208, 230], [246, 245, 242], [244, 180, 150], [210, 95, 80], [155, 25, 40],
];
const SEQUENTIAL: Rgb[] = [
  [250, 250, 252], [214, 218, 240], [150, 160, 215], [95, 95, 185], [62, 40, 140], [38, 10, 85],
];

function ramp(anchors: Rgb[], t: number): string {
  const x = Math.min(Math.max(t, 0), 1) * (anchors.length - 1);
  const i = Math.min(Math.floor(x), anchors.length - 2);
  const f = x - i;
  const a = anchors[i]!;
  const b = anchors[i + 1]!;
  const c = [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** `v` on a symmetric scale ±`limit`; NaN shows as grey, ±∞ as the end colours. */
export function divergingColour(v: number, limit: number): string {
  if (Number.isNaN(v)) return '#999999';
  if (!(limit > 0)) return ramp(DIVERGING, 0.5);
  return ramp(DIVERGING, 0.5 + v / (2 * limit));
}

/** `v` in [0, limit] on the sequential scale. */
export function sequentialColour(v: number, limit = 1): string {
  if (Number.isNaN(v)) return '#999999';
  return ramp(SEQUENTIAL, limit > 0 ? v / limit : 0);
}

/** Whether text on this background should be white (dark fills) rather than dark. */
export function needsLightText(hex: string): boolean {
  const n = parseInt(hex.slice(1), 16);
  const r = (n >> 16) & 255;
  const g = (n >> 8) & 255;
  const b = n & 255;
  return 0.299 * r + 0.587 * g + 0.114 * b < 140;
}

/** The largest finite |v| (0 when there is none). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (Number.isFinite(a) && a > m) m = a;
  }
  return m;
}

/** Colours of the scales as CSS gradients for legends. */
export const DIVERGING_CSS = `linear-gradient(90deg, ${DIVERGING.map((c) => `rgb(${c.join(',')})`).join(', ')})`;
export const SEQUENTIAL_CSS = `linear-gradient(90deg, ${SEQUENTIAL.map((c) => `rgb(${c.join(',')})`).join(', ')})`;
/** The anchors, for the page script that colours canvas heatmaps the same way. */
export const DIVERGING_ANCHORS = DIVERGING;
