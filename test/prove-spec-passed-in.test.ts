// prove() knows no task: it proves whatever specification the caller passes. A specification that
// claims the wrong digit at step 0 (one more than the sum's units digit) must certify nothing,
// name that claimed digit as the one beaten in every region, and find no counterexample, because
// the runtime, decoding the real model, gets every sampled input right.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { proofSpecFor, prove } from '../src/prove/prove.ts';
import type { ProofSpec } from '../src/prove/specs/spec.ts';

function wrongUnitsDigit(spec: ProofSpec<unknown>, base: number): ProofSpec<unknown> {
  return Object.assign(Object.create(spec) as ProofSpec<unknown>, {
    expected(region: unknown, step: number) {
      const right = spec.expected(region, step);
      return step === 0 && right !== undefined ? (right + 1) % base : right;
    },
  });
}

describe('the specification passed in', () => {
  it('is the one proved: a wrong claimed digit is beaten in every region, and nothing is refuted', async () => {
    const out = compileSource(readFileSync('examples/adder/adder-10p-rope19.hw', 'utf8'), { dtype: 'float64' });
    const task = out.model!.task!;
    expect(task.answer).toBe('lsb'); // step 0 writes the units digit
    const spec = wrongUnitsDigit(proofSpecFor(task), task.base);
    const r = await prove(out.ir!, spec, { onnx: out.onnx!, onlySteps: [0], extraSplits: 0 });
    expect(r.status).toBe('unknown');
    expect(r.counterexample).toBeNull();
    expect(r.leaves).toBe(0);
    // All of step 0 (one step of `decode`) is undecided.
    expect(r.undecided_fraction).toBeCloseTo(1 / task.decode, 12);
    const m = /^a_0=(\d), b_0=(\d)$/.exec(r.unknown!.region);
    expect(m).not.toBeNull();
    const claimed = (Number(m![1]) + Number(m![2]) + 1) % 10;
    expect(r.unknown!.reason).toMatch(new RegExp(`^token \\d+ certainly beats the right token ${claimed}$`));
    expect(r.notes.some((n) => n.includes('the rounding model does not describe this runtime'))).toBe(true);
  });
});
