// prove on worker threads gives the same result as on one thread: status, regions certified,
// margins and where they are, the undecided region and its reason, the counterexample, per step.
// Compared as JSON with the timings left out, on a proof (two steps of the 10p in float64), on a
// refutation (the reverse task with a weakened copy) and on a search that settles undecided
// regions (float32, where random samples are drawn and regions split further).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { proofSpecFor, prove, type ProofResult, type ProveOptions } from '../src/prove/prove.ts';

function comparable(r: ProofResult): string {
  const { seconds: _s, peak_memory_bytes: _m, ...rest } = r;
  return JSON.stringify({ ...rest, per_step: r.per_step.map((p) => ({ ...p, seconds: 0 })) });
}

async function both(source: string, dtype: 'float32' | 'float64', opts: ProveOptions): Promise<[ProofResult, ProofResult]> {
  const out = compileSource(source, { dtype });
  const one = await prove(out.ir!, proofSpecFor(out.model!.task!), { onnx: out.onnx!, ...opts, threads: 1 });
  const two = await prove(out.ir!, proofSpecFor(out.model!.task!), { onnx: out.onnx!, ...opts, threads: 2 });
  return [one, two];
}

describe('prove --threads', () => {
  it('a proof: 10p float64, steps 0 and 1', async () => {
    const [one, two] = await both(readFileSync('examples/adder/adder-10p-rope19.hw', 'utf8'), 'float64', { onlySteps: [0, 1] });
    // Step 0: 100 regions (a_0, b_0); step 1: a_1, b_1, a_0, b_0 (the carry into 1 follows from
    // column 0, whose carry in is 0): 10^4.
    expect(one.leaves).toBe(100 + 10_000);
    expect(one.undecided_fraction).toBe(0);
    expect(comparable(two)).toBe(comparable(one));
  });

  it('a refutation: the reverse task with gain 180, the same counterexample', async () => {
    const source = readFileSync('examples/tasks/reverse-13p-sinpe32.hw', 'utf8').replace('param gain      = 2000 ', 'param gain      = 180  ');
    const [one, two] = await both(source, 'float64', {});
    expect(one.status).toBe('refuted');
    expect(comparable(two)).toBe(comparable(one));
  });

  it('undecided regions settled with samples and further splits: 10p float32, step 1', async () => {
    const [one, two] = await both(readFileSync('examples/adder/adder-10p-rope19.hw', 'utf8'), 'float32', { onlySteps: [1], samples: 1, extraSplits: 1, extraBudget: 100 });
    expect(one.unknown).not.toBeNull();
    expect(one.leaves).toBeGreaterThan(0);
    expect(comparable(two)).toBe(comparable(one));
  });
});
