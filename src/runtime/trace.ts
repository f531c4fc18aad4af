// The loop trace: runs the trace build of a looped model (ir/model-to-ir.ts, modelToTraceIr) on one
// token sequence and reads back, for each `repeat`, the residual entering it and after every
// iteration it ran, and with `until` where the halting test held. Bytes in, typed data out: the
// CLI prints it (`run --trace`) and inspect draws it.
import { Tensor } from 'onnxruntime-node';
import type { CheckedModel } from '../check/model.ts';
import { modelToTraceIr, type LoopTrace } from '../ir/model-to-ir.ts';
import type { FloatDType } from '../ir/types.ts';
import { irToOnnx } from '../onnx/ir-to-onnx.ts';
import { openSession, type Device } from './session.ts';

export interface LoopIterations {
  /** Source position of the `repeat`. */
  line: number;
  col: number;
  /** The count, or with `until` the maximum. */
  times: number;
  halting: boolean;
  /** Iterations the loop ran (≤ times; fewer only when every position halted). */
  iterations: number;
  /** 'count': a loop without `until` ran its count; 'halted': every position halted (after
   * `iterations` applications, 0 when all had halted before the first); 'maximum': it ran `times`
   * applications with some position still running. */
  stopped: 'count' | 'halted' | 'maximum';
  positions: number;
  channels: string[];
  /** residuals[t] is the residual after t applications (residuals[0] entering the loop), each
   * positions × channels, row-major: iterations + 1 entries. */
  residuals: Float64Array[];
  /** With `until`: halted[t][p] is whether the test holds on residuals[t] at position p (so p is
   * frozen in application t + 1 onwards). */
  halted?: boolean[][];
  /** With `until`: per position, the first t at which the test held, or null if it never did. */
  haltedAt?: (number | null)[];
}

export interface TraceResult {
  sequence: number[];
  loops: LoopIterations[];
}

/** Compiles the trace build once; `run` traces one sequence (batch 1). */
export async function openTrace(model: CheckedModel, opts: { dtype: FloatDType; device?: Device }): Promise<{
  device: Device;
  notice?: string;
  run(sequence: readonly number[]): Promise<TraceResult>;
  release(): Promise<void>;
}> {
  const { graph, loops } = modelToTraceIr(model, { dtype: opts.dtype });
  const opened = await openSession(irToOnnx(graph), { dtype: opts.dtype, device: opts.device });
  const session = opened.session;
  return {
    device: opened.device,
    notice: opened.notice,
    release: () => session.release(),
    async run(sequence) {
      const ids = new Tensor('int64', BigInt64Array.from(sequence, (t) => BigInt(t)), [1, sequence.length]);
      const out = await session.run({ input_ids: ids }, loops.flatMap((l) => [l.initial, l.residual, ...(l.halting ? [l.haltedInitial!, l.halted!] : [])]));
      const read = (name: string): { dims: readonly number[]; data: Float64Array } => {
        const t = out[name];
        if (!t) throw new Error(`trace: the run returned no '${name}'`);
        return { dims: t.dims, data: Float64Array.from(t.data as Float32Array | Float64Array) };
      };
      return { sequence: [...sequence], loops: loops.map((l) => loopIterations(model, l, sequence.length, read)) };
    },
  };
}

function loopIterations(model: CheckedModel, l: LoopTrace, n: number, read: (name: string) => { dims: readonly number[]; data: Float64Array }): LoopIterations {
  const d = model.dModel;
  const initial = read(l.initial);
  const scanned = read(l.residual);
  const iterations = scanned.dims[0] ?? 0;
  const residuals = [initial.data.slice(0, n * d)];
  for (let t = 0; t < iterations; t++) residuals.push(scanned.data.slice(t * n * d, (t + 1) * n * d));
  const result: LoopIterations = {
    line: l.line, col: l.col, times: l.times, halting: l.halting, iterations, stopped: 'count', positions: n, channels: model.channels, residuals,
  };
  if (!l.halting) return result;
  const first = read(l.haltedInitial!).data;
  const rest = read(l.halted!).data;
  const halted = [Array.from(first.subarray(0, n), (v) => v > 0.5)];
  for (let t = 0; t < iterations; t++) halted.push(Array.from(rest.subarray(t * n, (t + 1) * n), (v) => v > 0.5));
  result.halted = halted;
  result.haltedAt = Array.from({ length: n }, (_, p) => {
    const t = halted.findIndex((h) => h[p]);
    return t < 0 ? null : t;
  });
  result.stopped = halted[iterations]!.every(Boolean) ? 'halted' : 'maximum';
  return result;
}
