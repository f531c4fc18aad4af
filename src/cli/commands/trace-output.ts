// `run --trace`: the residual after each iteration of every `repeat`, traced on the sequence the
// model read last (the prompt, plus the generated tokens but the last for a decoder). The JSON
// holds every position and iteration unless --trace-positions / --trace-iterations narrow it; the
// text shows at most TEXT_POSITIONS positions and TEXT_ITERATIONS iterations by default, so a
// 900-cell maze looping 200 times prints a screenful, not 2.5 million numbers.
import { Option } from 'commander';
import type { CheckedModel } from '../../check/model.ts';
import type { Device } from '../../runtime/session.ts';
import { openTrace, type LoopIterations, type TraceResult } from '../../runtime/trace.ts';
import type { FloatDType } from '../../ir/types.ts';
import { UserError } from '../io.ts';

export interface TraceOptions {
  trace?: boolean;
  tracePositions?: string;
  traceIterations?: string;
}

const TEXT_POSITIONS = 16;
/** Iterations shown in text by default: the first and the last TEXT_ITERATIONS / 2. */
const TEXT_ITERATIONS = 6;

export function traceOptions(): Option[] {
  return [
    new Option('--trace', 'also print the residual after each iteration of every repeat loop'),
    new Option('--trace-positions <list>', `positions to trace, e.g. 0-7,12 (default: all in --json, the first ${TEXT_POSITIONS} in text)`),
    new Option('--trace-iterations <list>', `iterations to trace, 0 = entering the loop, e.g. 0-3,10 (default: all in --json, the first and last ${TEXT_ITERATIONS / 2} in text)`),
  ];
}

/** Checks the trace flags before anything runs (exit 2 on a bad list or a model without loops). */
export function checkTraceOptions(model: CheckedModel, opts: TraceOptions): void {
  if (!opts.trace) {
    if (opts.tracePositions !== undefined || opts.traceIterations !== undefined) throw new UserError('--trace-positions and --trace-iterations need --trace');
    return;
  }
  if (!model.loops?.length) throw new UserError('--trace shows the iterations of repeat loops, and this model has none');
  if (opts.tracePositions !== undefined) parseList(opts.tracePositions, '--trace-positions');
  if (opts.traceIterations !== undefined) parseList(opts.traceIterations, '--trace-iterations');
}

export async function traceSequence(model: CheckedModel, sequence: readonly number[], opts: { dtype: FloatDType; device: Device }): Promise<TraceResult> {
  const trace = await openTrace(model, opts);
  try {
    return await trace.run(sequence);
  } finally {
    await trace.release();
  }
}

/** Whole numbers and ranges, "0-7,12", as a sorted list without repeats. */
function parseList(text: string, flag: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UserError(`${flag}: '${part}' is not a number or a range like 0-7`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new UserError(`${flag}: the range '${part}' runs backwards`);
    if (hi - lo > 100_000) throw new UserError(`${flag}: the range '${part}' is longer than 100000`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

interface Selection {
  positions: number[];
  iterations: number[];
  /** How many positions / iterations the default left out (text only). */
  hiddenPositions: number;
  hiddenIterations: number;
}

function select(loop: LoopIterations, opts: TraceOptions, forText: boolean): Selection {
  const n = loop.positions;
  const steps = loop.iterations + 1;
  let positions = opts.tracePositions !== undefined ? parseList(opts.tracePositions, '--trace-positions') : range(forText ? Math.min(n, TEXT_POSITIONS) : n);
  let iterations: number[];
  if (opts.traceIterations !== undefined) iterations = parseList(opts.traceIterations, '--trace-iterations');
  else if (!forText || steps <= TEXT_ITERATIONS) iterations = range(steps);
  else iterations = [...range(TEXT_ITERATIONS / 2), ...range(TEXT_ITERATIONS / 2).map((i) => steps - TEXT_ITERATIONS / 2 + i)];
  positions = positions.filter((p) => p < n);
  iterations = iterations.filter((t) => t < steps);
  const defaulted = opts.tracePositions === undefined;
  return { positions, iterations, hiddenPositions: defaulted ? n - positions.length : 0, hiddenIterations: opts.traceIterations === undefined ? steps - iterations.length : 0 };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function stoppedText(l: LoopIterations): string {
  if (l.stopped === 'count') return `ran its count, ${l.iterations} iterations`;
  if (l.stopped === 'halted') return l.iterations === 0 ? 'every position had halted before the first iteration: 0 iterations' : `every position halted after iteration ${l.iterations}`;
  return `stopped at its maximum, ${l.times} iterations, with ${l.halted![l.iterations]!.filter((h) => !h).length} of ${l.positions} positions still running`;
}

export function traceJson(r: TraceResult, model: CheckedModel, opts: TraceOptions): unknown {
  return {
    sequence: r.sequence,
    loops: r.loops.map((l) => {
      const s = select(l, opts, false);
      const d = l.channels.length;
      return {
        line: l.line,
        col: l.col,
        times: l.times,
        halting: l.halting,
        iterations: l.iterations,
        stopped: l.stopped,
        channels: l.channels,
        positions: s.positions,
        tokens: s.positions.map((p) => tokenName(model, r.sequence[p]!)),
        halted_at: l.haltedAt ? s.positions.map((p) => l.haltedAt![p]) : null,
        trace: s.iterations.map((t) => ({
          iteration: t,
          halted: l.halted ? s.positions.map((p) => l.halted![t]![p]) : null,
          residual: s.positions.map((p) => Array.from(l.residuals[t]!.subarray(p * d, (p + 1) * d))),
        })),
      };
    }),
  };
}

export function traceText(r: TraceResult, model: CheckedModel, opts: TraceOptions): string {
  const out: string[] = [];
  for (const l of r.loops) {
    const s = select(l, opts, true);
    const kind = l.halting ? `at most ${l.times}, until its halting test holds` : `${l.times} times`;
    out.push(`\ntrace: repeat at line ${l.line}:${l.col} (${kind}): ${stoppedText(l)}`);
    if (s.hiddenPositions > 0 || s.hiddenIterations > 0) {
      const parts = [s.hiddenPositions > 0 ? `positions ${s.positions.join(', ')} of ${l.positions}` : '', s.hiddenIterations > 0 ? `iterations ${s.iterations.join(', ')} of 0–${l.iterations}` : ''].filter(Boolean);
      out.push(`  showing ${parts.join('; ')} (choose with --trace-positions / --trace-iterations; --json holds all)`);
    }
    if (l.haltedAt) {
      out.push(`  halted at iteration: ${s.positions.map((p) => `${p}→${l.haltedAt![p] ?? 'never'}`).join(', ')}   (position→iteration)`);
    }
    const d = l.channels.length;
    const header = ['pos', 'token', ...l.channels, ...(l.halting ? ['halted'] : [])];
    for (const t of s.iterations) {
      const rows = s.positions.map((p) => [
        String(p),
        tokenName(model, r.sequence[p]!),
        ...Array.from(l.residuals[t]!.subarray(p * d, (p + 1) * d), num),
        ...(l.halted ? [l.halted[t]![p] ? 'yes' : 'no'] : []),
      ]);
      const haltedCount = l.halted ? `; ${l.halted[t]!.filter(Boolean).length} of ${l.positions} positions halted` : '';
      out.push(`  iteration ${t}${t === 0 ? ' (entering the loop)' : ''}${haltedCount}`);
      const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
      for (const row of [header, ...rows]) out.push(`    ${row.map((v, c) => (c === 1 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ')}`);
    }
  }
  return out.join('\n') + '\n';
}

/** Six significant digits, no trailing zeros: 1, 0.5, 2.06115e-9. */
function num(v: number): string {
  if (v === 0) return '0';
  return String(Number(v.toPrecision(6)));
}

function tokenName(model: CheckedModel, t: number): string {
  const name = model.tokenNames?.[t];
  return name !== undefined && /^\S+$/.test(name) ? name : String(t);
}
