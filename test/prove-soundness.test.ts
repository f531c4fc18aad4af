// The prover on the real examples and on broken variants of them. A broken variant must be refuted
// with a counterexample that this test reproduces itself (its own runtime session, its own reading
// of the answer), and no variant may ever be reported proved while the runtime gets an input wrong.
// Full proofs of the examples take tens of seconds; here a few decode steps each (including the
// tightest ones) keep the suite fast. `handwire prove` runs them all.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { proofSpecFor, prove, type ProofResult } from '../src/prove/prove.ts';
import { ProofLimit } from '../src/prove/domains/affine-tensor.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { openSession } from '../src/runtime/session.ts';
import { promptFor, readAnswer } from '../src/runtime/task.ts';

function source(name: string): string {
  return readFileSync(`examples/adder/${name}.hw`, 'utf8');
}

function compileVariant(name: string, from: string, to: string) {
  const src = source(name);
  if (!src.includes(from)) throw new Error(`${name} no longer contains ${from}`);
  const out = compileSource(src.replace(from, to), { dtype: 'float64' });
  if (!out.ir || !out.onnx || !out.model?.task) throw new Error(`variant of ${name} does not compile`);
  return { ir: out.ir, onnx: out.onnx, task: out.model.task };
}

/** Decodes (a, b) with a fresh session and reads the answer, independently of the prover. */
async function decode(onnx: Uint8Array, task: NonNullable<ReturnType<typeof compileVariant>['task']>, a: number, b: number): Promise<number> {
  const { session } = await openSession(onnx, { dtype: 'float64' });
  try {
    const out = await greedyDecode(session, [promptFor(task, { a, b })], task.decode);
    return readAnswer(task, out.tokens[0]!);
  } finally {
    await session.release();
  }
}

async function expectRefutedAndReproduced(name: string, from: string, to: string): Promise<ProofResult> {
  const v = compileVariant(name, from, to);
  const r = await prove(v.ir, proofSpecFor(v.task), { onnx: v.onnx, timeLimitSeconds: 120 });
  expect(r.status).toBe('refuted');
  const c = r.counterexample!;
  expect(c.expected).toBe(c.a + c.b!);
  const got = await decode(v.onnx, v.task, c.a, c.b!);
  expect(got).not.toBe(c.a + c.b!);
  expect(got).toBe(c.got);
  return r;
}

describe('the examples', () => {
  it('adder-10p-rope19, float64: steps 0, 1, 9 and 10 are certified', async () => {
    const out = compileSource(source('adder-10p-rope19'), { dtype: 'float64' });
    const r = await prove(out.ir!, proofSpecFor(out.model!.task!), { onnx: out.onnx!, onlySteps: [0, 1, 9, 10] });
    expect(r.counterexample).toBeNull();
    expect(r.unknown).toBeNull();
    expect(r.per_step.map((s) => s.step)).toEqual([0, 1, 9, 10]);
    // 100 regions at step 0 (a_0, b_0), 200 at the last (the final carry and column 9).
    expect(r.per_step[0]!.leaves).toBe(100);
    // The design's exact-arithmetic gap is about 0.037.
    expect(r.min_certified_margin!).toBeGreaterThan(0.03);
    expect(r.min_certified_margin!).toBeLessThan(0.04);
    expect(r.status).toBe('unknown'); // not every step was examined
  });

  it('adder-130p-nanogpt-sinpe11, float64: steps 0, 4 (the tightest) and 10 are certified', async () => {
    const out = compileSource(source('adder-130p-nanogpt-sinpe11'), { dtype: 'float64' });
    const r = await prove(out.ir!, proofSpecFor(out.model!.task!), { onnx: out.onnx!, onlySteps: [0, 4, 10] });
    expect(r.counterexample).toBeNull();
    expect(r.unknown).toBeNull();
    // The design's smallest gap, 1 − 2δ at i = 25 (step 4), is about 0.0204.
    expect(r.min_certified_margin!).toBeGreaterThan(0.02);
    expect(r.min_certified_margin!).toBeLessThan(0.021);
    expect(r.min_margin_at!.step).toBe(4);
  });
});

describe('broken variants are refuted with a reproducible counterexample', () => {
  it.each([
    ['10p: hinge threshold moved', 'adder-10p-rope19', '(-94)', '(-98.95)'],
    ['10p: RoPE period changed', 'adder-10p-rope19', 'let omega = 2 pi / 19', 'let omega = 2 pi / 18'],
    ['10p: value sign flipped', 'adder-10p-rope19', 'param wv  = -22 K', 'param wv  = 22 K'],
    ['130p: positional period changed', 'adder-130p-nanogpt-sinpe11', 'let theta = 2 pi / 11', 'let theta = 2 pi / 12'],
    ['130p: output sign flipped', 'adder-130p-nanogpt-sinpe11', '[2, 0, 0, 0]  # acc', '[-2, 0, 0, 0]  # acc'],
    ['130p: one digit of the head biased (rare failures)', 'adder-130p-nanogpt-sinpe11', 'param head_b = [-d^2 for d in 0..9]', 'param head_b = [-d^2 - (d == 7 ? 0.3 : 0) for d in 0..9]'],
  ])('%s', async (_, name, from, to) => {
    await expectRefutedAndReproduced(name, from, to);
  });
});

describe('no variant is reported proved while the runtime gets an input wrong', () => {
  // Perturbations of the 130p's MLP biases: some break the adder, some do not. Whatever the prover
  // says about decode step 1 must hold up against the runtime on every choice of the two lowest
  // columns (the digits step 1 depends on most), with random higher digits.
  const perturbations = [
    [-50, -150, -9045, -9055],
    [-50, -150, -9035, -9045],
    [-30, -150, -9045, -9055],
    [-50, -135, -9045, -9055],
  ];
  it.each(perturbations)('b_fc = [%d, %d, %d, %d]', async (...bias) => {
    const v = compileVariant('adder-130p-nanogpt-sinpe11', 'b_fc   = [-50, -150, -9045, -9055]', `b_fc   = [${bias.join(', ')}]`);
    const r = await prove(v.ir, proofSpecFor(v.task), { onnx: v.onnx, onlySteps: [1], timeLimitSeconds: 60 });
    if (r.status === 'refuted') {
      const c = r.counterexample!;
      expect(await decode(v.onnx, v.task, c.a, c.b!)).toBe(c.got);
      expect(c.got).not.toBe(c.a + c.b!);
      return;
    }
    if (r.unknown) return; // no claim made
    const { session } = await openSession(v.onnx, { dtype: 'float64' });
    try {
      const pairs: [number, number][] = [];
      const upper = () => Math.floor(Math.random() * 1e8) * 100;
      for (let a = 0; a < 100; a++) for (let b = 0; b < 100; b++) pairs.push([upper() + a, upper() + b]);
      const out = await greedyDecode(session, pairs.map(([a, b]) => promptFor(v.task, { a, b })), 2);
      pairs.forEach(([a, b], i) => {
        const [d0, d1] = out.tokens[i]!;
        // The claim for step 1: if the step-0 digit is right, so is the step-1 digit.
        if (d0 === (a + b) % 10) expect(d1).toBe(Math.floor((a + b) / 10) % 10);
      });
    } finally {
      await session.release();
    }
  });
});

describe('graphs the prover cannot bound', () => {
  it('an unsupported operation is refused up front, with its name', async () => {
    const out = compileSource(source('adder-130p-nanogpt-sinpe11'), { dtype: 'float64' });
    const ir = structuredClone(out.ir!);
    const relu = ir.nodes.find((n) => n.op === 'Relu')!;
    relu.op = 'Erf';
    await expect(prove(ir, proofSpecFor(out.model!.task!), { onnx: out.onnx! })).rejects.toThrow(ProofLimit);
    await expect(prove(ir, proofSpecFor(out.model!.task!), { onnx: out.onnx! })).rejects.toThrow(/Erf/);
  });
});
