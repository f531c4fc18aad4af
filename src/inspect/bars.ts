// The logits of one decode step as a bar chart. Hand-built models often put every logit near the
// same large value (100000 ± a few), so bars rise from the step's smallest logit, not from zero:
// the tallest bar is the argmax and the gap to the runner-up is what the eye compares.
import { attr, escapeHtml, exact, fmt } from './format.ts';

export interface LogitBarsSpec {
  logits: Float64Array;
  chosen: number;
  tokenLabels: string[];
  label: string;
  /** data-kind of the chart (default "logits"). */
  kind?: string;
}

const PLOT_H = 84;
const TOP = 16;
const AXIS_H = 14;
const MAX_BARS = 48;

export function logitBars(s: LogitBarsSpec): string {
  // Large vocabularies show their top MAX_BARS logits (in token order), always including the chosen one.
  let shown = Array.from(s.logits.keys());
  if (shown.length > MAX_BARS) {
    shown = [...shown].sort((a, b) => s.logits[b]! - s.logits[a]!).slice(0, MAX_BARS);
    if (!shown.includes(s.chosen)) shown[shown.length - 1] = s.chosen;
    shown.sort((a, b) => a - b);
  }
  const vals = shown.map((i) => s.logits[i]!);
  const finite = vals.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  const span = hi - lo || 1;
  const sorted = [...s.logits].sort((a, b) => b - a);
  const margin = sorted.length > 1 ? sorted[0]! - sorted[1]! : Infinity;

  const barW = Math.max(6, Math.min(18, Math.floor(200 / shown.length)));
  const gap = barW >= 10 ? 3 : 1;
  const w = shown.length * (barW + gap) + gap;
  const h = TOP + PLOT_H + AXIS_H;
  const out: string[] = [];
  out.push(`<svg class="bars" data-kind="${attr(s.kind ?? 'logits')}" role="img" aria-label="${attr(s.label)}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`);
  out.push(`<line x1="0" x2="${w}" y1="${TOP + PLOT_H + 0.5}" y2="${TOP + PLOT_H + 0.5}" class="baseline"/>`);
  shown.forEach((tok, k) => {
    const v = s.logits[tok]!;
    const frac = Number.isFinite(v) ? (v - lo) / span : v > 0 ? 1 : 0;
    // A sliver for the smallest logit, so every token visibly has a bar.
    const bh = Math.max(1.5, frac * PLOT_H);
    const x = gap + k * (barW + gap);
    const isChosen = tok === s.chosen;
    const tip = `token ${s.tokenLabels[tok]}: logit ${exact(v)}${isChosen ? ' (chosen)' : `, ${fmt(sorted[0]! - v)} below the top`}`;
    out.push(`<rect x="${x}" y="${TOP + PLOT_H - bh}" width="${barW}" height="${bh}" class="${isChosen ? 'bar chosen' : 'bar'}"><title>${escapeHtml(tip)}</title></rect>`);
    out.push(`<text x="${x + barW / 2}" y="${h - 3}" text-anchor="middle" class="${isChosen ? 'tick chosen' : 'tick'}">${escapeHtml(s.tokenLabels[tok]!)}</text>`);
  });
  const note = Number.isFinite(margin) ? `margin ${fmt(margin, 3)}` : '';
  out.push(`<text x="${w - 2}" y="10" text-anchor="end" class="note">${escapeHtml(note)}</text>`);
  out.push(`</svg>`);
  return out.join('');
}
