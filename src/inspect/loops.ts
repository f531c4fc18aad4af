// The loop iterations of a looped model: per `repeat`, a slider over the iterations it ran and the
// residual heatmap (positions × channels) at the chosen one, with the iteration number, how many
// positions the halting test had frozen, and when the loop stopped and why. The values come from
// the trace build (runtime/trace.ts); every frame is drawn here, the page script only shows one.
import type { LoopIterations } from '../runtime/trace.ts';
import type { Inspection } from './collect.ts';
import { tokenLabels } from './collect.ts';
import { DIVERGING_CSS, divergingColour } from './colour.ts';
import { escapeHtml, fmt } from './format.ts';
import { heatmap } from './heatmap.ts';
import type { FigureOptions } from './figures.ts';

/** Cells drawn per loop at most (frames × positions × channels); past it, frames are sampled evenly
 * over the iterations, keeping the first and the last. */
export const LOOP_CELL_BUDGET = 400_000;

export function loopSection(ins: Inspection, loops: readonly LoopIterations[], opts: FigureOptions): string {
  return loops.map((l, i) => loopFigure(ins, l, i, opts)).join('');
}

function loopFigure(ins: Inspection, l: LoopIterations, index: number, opts: FigureOptions): string {
  const n = l.positions;
  const d = l.channels.length;
  const frames = framesShown(l.iterations, n * d);
  // One scale per channel over every iteration, so a channel's colour changes as its value does.
  const limits = l.channels.map((_, c) => {
    let m = 0;
    for (const r of l.residuals) for (let p = 0; p < n; p++) m = Math.max(m, Math.abs(r[p * d + c]!));
    return m;
  });
  const names = tokenLabels(ins);
  const rowLabels = Array.from({ length: n }, (_, p) => `${p} · ${names[ins.sequence[p]!] ?? '?'}`);
  const withValues = d <= 8;
  const cellW = withValues ? 54 : Math.max(3, Math.min(16, Math.floor(300 / d)));
  const cellH = Math.max(2, Math.min(15, Math.floor(640 / Math.max(n, 1))));
  const body = frames
    .map((t, k) => {
      const halted = l.halted?.[t];
      const count = halted ? halted.filter(Boolean).length : 0;
      const caption = `iteration ${t} of ${l.iterations}${t === 0 ? ' (entering the loop)' : ''}${halted ? ` · ${count} of ${n} positions halted` : ''}`;
      const svg = heatmap(
        {
          kind: 'loop-residual', rows: n, cols: d, data: l.residuals[t]!, colour: (v, _r, c) => divergingColour(v, limits[c]!),
          rowLabels: cellH >= 7 ? rowLabels : undefined, colLabels: l.channels,
          colTitles: l.channels.map((ch, c) => `${ch}: colours span ±${fmt(limits[c]!, 4)} over every iteration`),
          rowAxis: 'position', colAxis: 'channel', cellW, cellH, showValues: withValues && cellH >= 14,
          emphasisRows: halted ? new Set(halted.flatMap((h, p) => (h ? [p] : []))) : undefined,
          label: `residual stream at iteration ${t}`,
        },
        opts.svgCellLimit,
      );
      return `<div class="loop-frame" data-iteration="${t}" data-halted="${count}" data-caption="${escapeHtml(caption)}"${k === 0 ? '' : ' hidden'}>${svg}</div>`;
    })
    .join('');
  const kind = l.halting ? `at most ${l.times} applications, each position frozen once its halting test holds` : `${l.times} applications`;
  const sampled = frames.length < l.iterations + 1 ? ` The page holds ${frames.length} of the ${l.iterations + 1} iterations, evenly spaced (run --trace --json has all).` : '';
  const first = frames[0]!;
  const firstCaption = `iteration ${first} of ${l.iterations} (entering the loop)${l.halted ? ` · ${l.halted[first]!.filter(Boolean).length} of ${n} positions halted` : ''}`;
  const legendText = l.halting ? 'orange row labels: positions whose halting test holds at that iteration (frozen from then on)' : '';
  return `<figure class="fig loop" data-kind="loop" data-loop="${index}" data-iterations="${l.iterations}" data-stopped="${l.stopped}">
<figcaption><b>repeat at line ${l.line}:${l.col}</b><span class="sub">${escapeHtml(kind)}; ${escapeHtml(stopped(l))}.${escapeHtml(sampled)}</span></figcaption>
<div class="loop-controls"><input type="range" class="loop-slider" min="0" max="${frames.length - 1}" value="0" step="1" data-frames="${frames.join(',')}" aria-label="iteration of the repeat at line ${l.line}">
<output class="loop-caption">${escapeHtml(firstCaption)}</output></div>
${haltingStrip(l, frames)}
<div class="loop-frames">${body}</div>
<div class="legend"><span>−max</span><span class="ramp" style="background:${DIVERGING_CSS}"></span><span>+max</span><span>one colour scale per channel over all iterations</span>${legendText ? `<span>${escapeHtml(legendText)}</span>` : ''}</div>
</figure>`;
}

/** With `until`: halted positions per iteration as a row of bars, so the halting front shows at a
 * glance; the shown frame's bar is outlined by the page script. */
function haltingStrip(l: LoopIterations, frames: number[]): string {
  if (!l.halted) return '';
  const w = Math.max(2, Math.min(14, Math.floor(560 / frames.length)));
  const h = 28;
  const bars = frames
    .map((t, k) => {
      const count = l.halted![t]!.filter(Boolean).length;
      const bh = Math.round((count / l.positions) * h);
      return `<rect class="loop-bar" data-frame="${k}" x="${k * w}" y="${h - bh}" width="${Math.max(1, w - 1)}" height="${bh}"><title>${escapeHtml(`iteration ${t}: ${count} of ${l.positions} positions halted`)}</title></rect>`;
    })
    .join('');
  return `<svg class="loop-halting" width="${frames.length * w}" height="${h + 1}" role="img" aria-label="halted positions per iteration"><line class="baseline" x1="0" x2="${frames.length * w}" y1="${h + 0.5}" y2="${h + 0.5}"/>${bars}</svg>`;
}

function stopped(l: LoopIterations): string {
  if (l.stopped === 'count') return `ran its count: ${l.iterations} iterations`;
  if (l.stopped === 'halted') return l.iterations === 0 ? 'every position had halted before the first application: 0 iterations' : `the halting test held at every position after iteration ${l.iterations}, so the loop stopped there`;
  return `stopped at its maximum of ${l.times} with ${l.halted![l.iterations]!.filter((h) => !h).length} of ${l.positions} positions still running`;
}

/** The iterations drawn: all of 0..iterations when they fit the budget, else evenly spaced. */
export function framesShown(iterations: number, cellsPerFrame: number): number[] {
  const all = iterations + 1;
  const most = Math.max(2, Math.floor(LOOP_CELL_BUDGET / Math.max(cellsPerFrame, 1)));
  if (all <= most) return Array.from({ length: all }, (_, t) => t);
  const picked = new Set<number>();
  for (let k = 0; k < most; k++) picked.add(Math.round((k * iterations) / (most - 1)));
  return [...picked].sort((a, b) => a - b);
}
