// Heatmaps as inline SVG: one <rect> per cell with a <title> that shows the exact value on hover,
// so the page needs no script to be read. Past `svgCellLimit` cells the SVG would get heavy, so
// the heatmap becomes a <canvas> painted by the page script from a palette-indexed string (colours
// still decided here) with the values kept for its tooltip.
import { needsLightText } from './colour.ts';
import { attr, escapeHtml, exact, fitted } from './format.ts';

export interface HeatmapSpec {
  /** data-kind of the element: what the test and the page script count. */
  kind: string;
  rows: number;
  cols: number;
  /** Row-major values. */
  data: ArrayLike<number>;
  colour(v: number, row: number, col: number): string;
  rowLabels?: string[];
  colLabels?: string[];
  /** Hover text for each column label (e.g. the column's colour scale). */
  colTitles?: string[];
  /** Axis names for tooltips ("query", "key", …). */
  rowAxis: string;
  colAxis: string;
  cellW: number;
  cellH: number;
  /** Print each value inside its cell (only for cells large enough to hold it). */
  showValues?: boolean;
  /** Draw a separator line before these row / column indices (e.g. where decoding starts). */
  rowBreaks?: number[];
  colBreaks?: number[];
  /** Row indices whose label is drawn emphasised (e.g. generated positions). */
  emphasisRows?: Set<number>;
  label: string;
}

export const DEFAULT_SVG_CELL_LIMIT = 6000;
const LABEL_FONT = 9;
const CHAR_W = 5.6; // average advance of the 9px label font, for sizing margins

export function heatmap(spec: HeatmapSpec, svgCellLimit = DEFAULT_SVG_CELL_LIMIT): string {
  return spec.rows * spec.cols > svgCellLimit ? canvasHeatmap(spec) : svgHeatmap(spec);
}

function labelWidth(labels: string[] | undefined): number {
  if (!labels?.length) return 0;
  return Math.ceil(Math.max(...labels.map((l) => l.length)) * CHAR_W) + 6;
}

function svgHeatmap(s: HeatmapSpec): string {
  const left = labelWidth(s.rowLabels);
  // Column labels are written upright when they fit the cell width, else rotated.
  const colChars = Math.max(0, ...(s.colLabels ?? []).map((l) => l.length));
  const rotate = colChars * CHAR_W > s.cellW + 2;
  const top = s.colLabels ? (rotate ? Math.ceil(colChars * CHAR_W * 0.75) + 8 : LABEL_FONT + 5) : 0;
  const w = left + s.cols * s.cellW + 1;
  const h = top + s.rows * s.cellH + 1;
  const out: string[] = [];
  out.push(`<svg class="heatmap" data-kind="${attr(s.kind)}" role="img" aria-label="${attr(s.label)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`);
  out.push(`<g class="cells" shape-rendering="crispEdges">`);
  for (let r = 0; r < s.rows; r++) {
    for (let c = 0; c < s.cols; c++) {
      const v = s.data[r * s.cols + c]!;
      const tip = `${s.rowAxis} ${s.rowLabels?.[r] ?? r}, ${s.colAxis} ${s.colLabels?.[c] ?? c}: ${exact(v)}`;
      out.push(`<rect x="${left + c * s.cellW}" y="${top + r * s.cellH}" width="${s.cellW}" height="${s.cellH}" fill="${s.colour(v, r, c)}"><title>${escapeHtml(tip)}</title></rect>`);
    }
  }
  out.push(`</g>`);
  if (s.showValues && s.cellW >= 30 && s.cellH >= 14) {
    out.push(`<g class="cell-values" font-size="${Math.min(10, s.cellH - 5)}" text-anchor="middle" pointer-events="none">`);
    for (let r = 0; r < s.rows; r++) {
      for (let c = 0; c < s.cols; c++) {
        const v = s.data[r * s.cols + c]!;
        const cls = needsLightText(s.colour(v, r, c)) ? ' class="on-dark"' : '';
        const text = fitted(v, Math.floor((s.cellW - 6) / 6.1));
        out.push(`<text x="${left + c * s.cellW + s.cellW / 2}" y="${top + r * s.cellH + s.cellH / 2 + 3.5}"${cls}>${escapeHtml(text)}</text>`);
      }
    }
    out.push(`</g>`);
  }
  out.push(`<rect x="${left + 0.5}" y="${top + 0.5}" width="${s.cols * s.cellW}" height="${s.rows * s.cellH}" fill="none" stroke="#c8c8c8"/>`);
  for (const b of s.rowBreaks ?? []) {
    const y = top + b * s.cellH + 0.5;
    out.push(`<line x1="${left - 3}" x2="${left + s.cols * s.cellW + 1}" y1="${y}" y2="${y}" class="break"/>`);
  }
  for (const b of s.colBreaks ?? []) {
    const x = left + b * s.cellW + 0.5;
    out.push(`<line y1="${top - 3}" y2="${top + s.rows * s.cellH + 1}" x1="${x}" x2="${x}" class="break"/>`);
  }
  if (s.rowLabels && s.cellH >= 7) {
    out.push(`<g class="axis-labels" font-size="${Math.min(LABEL_FONT, s.cellH)}" text-anchor="end">`);
    s.rowLabels.forEach((l, r) => {
      const cls = s.emphasisRows?.has(r) ? ' class="em"' : '';
      out.push(`<text x="${left - 4}" y="${top + r * s.cellH + s.cellH / 2 + 3}"${cls}>${escapeHtml(l)}</text>`);
    });
    out.push(`</g>`);
  }
  if (s.colLabels && s.cellW >= 7) {
    out.push(`<g class="axis-labels" font-size="${Math.min(LABEL_FONT, s.cellW)}">`);
    s.colLabels.forEach((l, c) => {
      const x = left + c * s.cellW + s.cellW / 2;
      const title = s.colTitles?.[c] ? `<title>${escapeHtml(s.colTitles[c]!)}</title>` : '';
      if (rotate) out.push(`<text transform="translate(${x + 3},${top - 4}) rotate(-50)">${escapeHtml(l)}${title}</text>`);
      else out.push(`<text x="${x}" y="${top - 4}" text-anchor="middle">${escapeHtml(l)}${title}</text>`);
    });
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return out.join('');
}

// 64 palette slots, one character each, so a cell costs one byte in the page.
const SLOT_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function canvasHeatmap(s: HeatmapSpec): string {
  const palette: string[] = [];
  const slotOf = new Map<string, number>();
  let cells = '';
  for (let r = 0; r < s.rows; r++) {
    for (let c = 0; c < s.cols; c++) {
      const colour = quantize(s.colour(s.data[r * s.cols + c]!, r, c));
      let slot = slotOf.get(colour);
      if (slot === undefined) {
        // More than 64 distinct quantized colours: reuse the nearest slot already taken.
        slot = palette.length < SLOT_CHARS.length ? palette.push(colour) - 1 : nearest(palette, colour);
        slotOf.set(colour, slot);
      }
      cells += SLOT_CHARS[slot];
    }
  }
  const values = Array.from({ length: s.rows * s.cols }, (_, i) => Number(s.data[i]!.toPrecision(7)));
  const meta = { rows: s.rows, cols: s.cols, cellW: s.cellW, cellH: s.cellH, rowAxis: s.rowAxis, colAxis: s.colAxis, rowLabels: s.rowLabels, colLabels: s.colLabels, palette, cells, values };
  const w = s.cols * s.cellW;
  const h = s.rows * s.cellH;
  return `<canvas class="heatmap" data-kind="${attr(s.kind)}" role="img" aria-label="${attr(s.label)}" width="${w}" height="${h}" data-heatmap="${attr(JSON.stringify(meta))}"></canvas>`;
}

/** Rounds each channel to a multiple of 8 so near-identical colours share a palette slot. */
function quantize(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const q = (x: number) => Math.min(255, Math.round(x / 8) * 8);
  return `#${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map((x) => q(x).toString(16).padStart(2, '0')).join('')}`;
}

function nearest(palette: string[], hex: string): number {
  const rgb = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const [r, g, b] = rgb(hex);
  let best = 0;
  let bestD = Infinity;
  palette.forEach((p, i) => {
    const [pr, pg, pb] = rgb(p);
    const d = (pr! - r!) ** 2 + (pg! - g!) ** 2 + (pb! - b!) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}
