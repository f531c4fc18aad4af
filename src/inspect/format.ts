// Text helpers for the inspection page: escaping and number formats short enough for a cell.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number in at most `digits` significant digits, exponent form only when it would be long. */
export function fmt(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  let s: string;
  if (a >= 1e6 || a < 1e-4) s = v.toExponential(Math.max(digits - 1, 0)).replace(/\.?0+e/, 'e').replace('e+', 'e');
  else if (a >= 10 ** digits) s = String(Math.round(v));
  else {
    s = v.toPrecision(digits);
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return s.replaceAll('-', '−');
}

/** Full float64 precision, for tooltips (shortest round-trip form). */
export function exact(v: number): string {
  return Number.isFinite(v) ? String(v).replaceAll('-', '−') : fmt(v);
}

/** The most precise form of `v` that fits `chars` characters (for text inside heatmap cells). */
export function fitted(v: number, chars: number): string {
  for (const digits of [4, 3, 2]) {
    const s = fmt(v, digits);
    if (s.length <= chars) return s;
  }
  if (!Number.isFinite(v) || v === 0) return fmt(v);
  return v.toExponential(0).replace('e+', 'e').replaceAll('-', '−');
}

/** SVG/HTML attribute-safe text. */
export const attr = escapeHtml;
