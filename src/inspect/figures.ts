// The figure sections of the inspection page: weights, attention, residual stream, logits. Each
// returns HTML; every picture carries a small legend that says how to read its colours.
import { logitBars } from './bars.ts';
import type { Inspection, MatrixFigure } from './collect.ts';
import { tokenLabels } from './collect.ts';
import { DIVERGING_CSS, SEQUENTIAL_CSS, divergingColour, maxAbs, sequentialColour } from './colour.ts';
import { escapeHtml, fmt } from './format.ts';
import { heatmap } from './heatmap.ts';

export interface FigureOptions {
  /** Heatmaps with more cells become canvases (see heatmap.ts). */
  svgCellLimit?: number;
}

function legend(ramp: string, lo: string, mid: string | undefined, hi: string, note?: string): string {
  return `<div class="legend"><span>${escapeHtml(lo)}</span><span class="ramp" style="background:${ramp}"></span><span>${escapeHtml(hi)}</span>${
    mid ? `<span>(white = ${escapeHtml(mid)})</span>` : ''
  }${note ? `<span>${escapeHtml(note)}</span>` : ''}</div>`;
}

function cellSize(n: number, budget: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.floor(budget / Math.max(n, 1))));
}

// ---- weights ----

export function weightSection(ins: Inspection, opts: FigureOptions): string {
  const figs = ins.weights.map((w) => weightFigure(w, opts)).join('');
  return `<div class="grid weights">${figs}</div>`;
}

function weightFigure(w: MatrixFigure, opts: FigureOptions): string {
  const limit = maxAbs(w.data);
  const small = w.cols <= 12 && w.rows <= 16;
  const cellW = small ? 52 : cellSize(w.cols, 420, 3, 22);
  const cellH = small ? 22 : cellSize(w.rows, 420, 3, 22);
  const svg = heatmap(
    {
      kind: 'weight', rows: w.rows, cols: w.cols, data: w.data, colour: (v) => divergingColour(v, limit),
      rowLabels: w.rowLabels ?? (w.rows <= 64 ? range(w.rows) : undefined),
      colLabels: w.colLabels ?? (w.cols <= 64 ? range(w.cols) : undefined),
      rowAxis: w.rowAxis, colAxis: w.colAxis, cellW, cellH, showValues: small, label: `weight ${w.name}`,
    },
    opts.svgCellLimit,
  );
  const where = w.line ? ` · line ${w.line}` : '';
  const doc = w.doc ? `${w.doc}${where}` : `${w.rows} × ${w.cols}${where}`;
  return `<figure class="fig"><figcaption><b>${escapeHtml(w.name)}</b> <span class="mono">${w.rows}×${w.cols}</span><span class="sub">${escapeHtml(
    doc,
  )} · rows: ${escapeHtml(w.rowAxis)}, columns: ${escapeHtml(w.colAxis)}</span></figcaption>${svg}${legend(DIVERGING_CSS, `−${fmt(limit, 3)}`, '0', `+${fmt(limit, 3)}`)}</figure>`;
}

function range(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

// ---- positions ----

/** Row labels for positions: "12 · 7" (position · token). */
function positionLabels(ins: Inspection): string[] {
  const names = tokenLabels(ins);
  return ins.sequence.map((t, p) => `${p} · ${names[t]}`);
}

/** Positions whose logits chose a token (the decode steps). */
function decodeRows(ins: Inspection): Set<number> {
  return new Set(ins.steps.map((s) => s.position));
}

// ---- attention ----

export function attentionSection(ins: Inspection, opts: FigureOptions): string {
  const n = ins.sequence.length;
  const cell = cellSize(n, 400, 2, 12);
  const rows = positionLabels(ins);
  const cols = rows;
  const breaks = ins.promptLength < n ? [ins.promptLength] : [];
  const parts = ins.attention.map((a) => {
    const figs = a.heads
      .map((w, h) => {
        const scores = a.scores[h]!;
        const limit = maxAbs([...scores].filter(Number.isFinite)) || 1;
        const scoreMap = heatmap(
          {
            // Masked scores (−∞) are grey; finite ones on this head's own ±max.
            kind: 'scores', rows: n, cols: n, data: scores, colour: (v) => (Number.isFinite(v) ? divergingColour(v, limit) : MASKED),
            rowLabels: cell >= 7 ? rows : undefined, colLabels: cell >= 7 ? cols : undefined,
            rowAxis: 'query', colAxis: 'key', cellW: cell, cellH: cell, rowBreaks: breaks, colBreaks: breaks,
            emphasisRows: decodeRows(ins), label: `${a.label} head ${h} scores`,
          },
          opts.svgCellLimit,
        );
        const svg = heatmap(
          {
            // Square-root colours: a head that averages over 30 keys (1/30 each) stays visible.
            kind: 'attention', rows: n, cols: n, data: w, colour: (v) => sequentialColour(Math.sqrt(Math.max(v, 0)), 1),
            rowLabels: cell >= 7 ? rows : undefined, colLabels: cell >= 7 ? cols : undefined,
            rowAxis: 'query', colAxis: 'key', cellW: cell, cellH: cell, rowBreaks: breaks, colBreaks: breaks,
            emphasisRows: decodeRows(ins), label: `${a.label} head ${h} attention`,
          },
          opts.svgCellLimit,
        );
        // A head whose weights are all tiny (softmax1 sending everything to the sink) draws blank;
        // say so, or the blank reads as a bug.
        const peak = w.reduce((m, v) => Math.max(m, v), 0);
        const note = peak < 0.05 ? ` · largest weight ${fmt(peak, 3)}` : '';
        return `<figure><figcaption>head ${h} · weights${note}</figcaption>${svg}</figure><figure><figcaption>head ${h} · scores before softmax</figcaption>${scoreMap}${legend(
          DIVERGING_CSS, `−${fmt(limit, 3)}`, '0', `+${fmt(limit, 3)}`, 'grey: masked (−∞)',
        )}</figure>`;
      })
      .join('');
    return `<figure class="fig"><figcaption><b>${escapeHtml(a.label)}</b><span class="sub">rows: query position · token; columns: key position · token; dashed line: where the generated tokens begin; beside each head its scores (query · key, masks and biases added) before the softmax</span></figcaption><div class="heads">${figs}</div>${legend(
      SEQUENTIAL_CSS, '0', undefined, '1',
      `attention weight, square-root scale; ${a.softmax1 ? 'softmax1: each row sums to less than 1 (the rest goes to the extra zero logit)' : 'each row sums to 1'}`,
    )}</figure>`;
  });
  return `<div class="grid">${parts.join('')}</div>`;
}

const MASKED = '#d4d4d8';

// ---- MLP activations ----

export function mlpSection(ins: Inspection, opts: FigureOptions): string {
  if (!ins.mlp.length) return '<p class="lede">This model has no MLP with an activation to show.</p>';
  const n = ins.sequence.length;
  const rows = positionLabels(ins);
  const breaks = ins.promptLength < n ? [ins.promptLength] : [];
  const panels = ins.mlp.map((m) => {
    const cellW = cellSize(m.width, 300, 3, 16);
    const cellH = cellSize(n, 640, 2, 15);
    const map = (kind: string, data: Float64Array, what: string) => {
      const limit = maxAbs(data) || 1;
      return `<figure><figcaption>${what}</figcaption>${heatmap(
        {
          kind, rows: n, cols: m.width, data, colour: (v) => divergingColour(v, limit),
          rowLabels: cellH >= 7 ? rows : undefined, colLabels: m.width <= 64 ? range(m.width) : undefined,
          rowAxis: 'position', colAxis: 'unit', cellW, cellH, rowBreaks: breaks, emphasisRows: decodeRows(ins), label: `${m.label} ${what}`,
        },
        opts.svgCellLimit,
      )}${legend(DIVERGING_CSS, `−${fmt(limit, 3)}`, '0', `+${fmt(limit, 3)}`)}</figure>`;
    };
    return `<figure class="fig"><figcaption><b>${escapeHtml(m.label)}</b><span class="sub">rows: position · token; columns: hidden unit</span></figcaption><div class="heads">${map(
      'mlp-pre', m.pre, 'before the activation',
    )}${map('mlp-post', m.post, 'after the activation')}</div></figure>`;
  });
  return `<div class="grid">${panels.join('')}</div>`;
}

// ---- residual stream ----

export function residualSection(ins: Inspection, opts: FigureOptions): string {
  const n = ins.sequence.length;
  const d = ins.channels.length;
  const withValues = d <= 8;
  const cellW = withValues ? 54 : cellSize(d, 300, 3, 16);
  const cellH = cellSize(n, 640, 2, 15);
  const rows = positionLabels(ins);
  const breaks = ins.promptLength < n ? [ins.promptLength] : [];
  const panels = ins.residual.map((r) => {
    // One scale per channel and panel: channels differ by many orders of magnitude (a 1000-sized
    // bias channel beside a digit channel; 1e18-sized intermediates in one block), and a scale
    // shared across panels would blank every panel but the loudest. Numbers, in cells or on
    // hover, carry the magnitudes.
    const limits = ins.channels.map((_, c) => {
      let m = 0;
      for (let p = 0; p < n; p++) m = Math.max(m, maxAbs([r.data[p * d + c]!]));
      return m;
    });
    const svg = heatmap(
      {
        kind: 'residual', rows: n, cols: d, data: r.data, colour: (v, _row, c) => divergingColour(v, limits[c]!),
        rowLabels: cellH >= 7 ? rows : undefined, colLabels: ins.channels,
        colTitles: ins.channels.map((ch, c) => `${ch}: colours span ±${fmt(limits[c]!, 4)} in this panel`),
        rowAxis: 'position', colAxis: 'channel', cellW, cellH, showValues: withValues && cellH >= 14, rowBreaks: breaks,
        emphasisRows: decodeRows(ins), label: `residual stream ${r.label}`,
      },
      opts.svgCellLimit,
    );
    return `<figure class="fig"><figcaption><b>${escapeHtml(r.label)}</b></figcaption>${svg}</figure>`;
  });
  const note = 'one colour scale per channel in each panel (hover a channel name for its ±max)';
  return `${legend(DIVERGING_CSS, '−max', '0', '+max', note)}<div class="grid residual">${panels.join('')}</div>`;
}

// ---- logit lens ----

/** softmax of one row, shifted by its max; −∞ logits get probability 0. */
export function softmaxRow(logits: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  const e = Float64Array.from({ length: logits.length }, (_, i) => (Number.isFinite(m) ? Math.exp(logits[i]! - m) : 0));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => (z > 0 ? v / z : 0));
}

export function lensSection(ins: Inspection, opts: FigureOptions): string {
  const names = tokenLabels(ins);
  const v = ins.vocab;
  const figs = ins.steps.map((s) => {
    const data = new Float64Array(ins.lens.length * v);
    ins.lens.forEach((l, k) => data.set(softmaxRow(l.logits.subarray(s.position * v, (s.position + 1) * v)), k * v));
    const svg = heatmap(
      {
        kind: 'lens', rows: ins.lens.length, cols: v, data, colour: (x) => sequentialColour(Math.max(x, 0), 1),
        rowLabels: ins.lens.map((l) => l.label), colLabels: names, rowAxis: 'stage', colAxis: 'token',
        cellW: v <= 12 ? 40 : cellSize(v, 420, 4, 22), cellH: 16, showValues: v <= 12, label: `logit lens at step ${s.step}`,
      },
      opts.svgCellLimit,
    );
    return `<figure class="fig" data-step="${s.step}"><figcaption>step ${s.step} · position ${s.position} → <span class="tokbig">${escapeHtml(names[s.chosen]!)}</span></figcaption>${svg}</figure>`;
  });
  return `${legend(SEQUENTIAL_CSS, '0', undefined, '1', 'probability of each token if the head read the residual stream at that stage (rows: after the embedding, after each block; the last row is the model’s output)')}<div class="grid">${figs.join('')}</div>`;
}

// ---- logits ----

export function logitsSection(ins: Inspection): string {
  const names = tokenLabels(ins);
  const figs = ins.steps.map((s) => {
    const svg = logitBars({ logits: s.logits, chosen: s.chosen, tokenLabels: names, label: `logits at step ${s.step}` });
    return `<figure class="fig"><figcaption>step ${s.step} · position ${s.position} → <span class="tokbig">${escapeHtml(names[s.chosen]!)}</span></figcaption>${svg}</figure>`;
  });
  const key = `<div class="legend"><span class="swatch" style="background:var(--accent)"></span><span>chosen token (argmax)</span><span class="swatch" style="background:#b7bcc8"></span><span>other tokens; bars rise from the step's lowest logit; margin = top − runner-up</span></div>`;
  return `${key}<div class="steps">${figs.join('')}</div>`;
}
