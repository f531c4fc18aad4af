// The digit-map specification (a task whose output digits are input digits, `expect x`) and the
// reverse task proved by the same prover as addition. The spec is checked against brute force on
// a small task (every input enumerated, membership tested directly); the shipped reverse design
// must be proved in both dtypes with the region count that follows from the task (step 0 fixes
// only the digit it copies, the last prompt token being the separator; every later step fixes
// also the digit written before it); a copy with a weakened attention gain must be refuted with
// an input that the runtime decodes wrongly, the right answer computed here from the digits.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PromptSlot, TaskContract } from '../src/check/model.ts';
import { compileSource } from '../src/compile.ts';
import { proofProblem, proofSpecFor, prove } from '../src/prove/prove.ts';
import { DigitMapSpec, type DigitMapRegion } from '../src/prove/specs/digit-map-spec.ts';
import { digitTaskPlan } from '../src/prove/specs/digit-task.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { openSession } from '../src/runtime/session.ts';

const REVERSE = 'examples/tasks/reverse-13p-sinpe32.hw';
const digit = (n: number, i: number, base: number) => Math.floor(n / base ** i) % base;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A copy task over one input of `digits` digits: prompt [SEP?, x in `layout` order, SEP]. */
function copyTask(digits: number, base: number, layout: 'lsb' | 'msb', answer: 'lsb' | 'msb', decode = digits): TaskContract {
  const places = Array.from({ length: digits }, (_, i) => (layout === 'lsb' ? i : digits - 1 - i));
  const prompt: PromptSlot[] = [...places.map((place): PromptSlot => ({ kind: 'digit', operand: 'x', place })), { kind: 'token', token: base }];
  return { name: 'copy', operands: [{ name: 'x', digits }], prompt, decode, answer, expect: 'x', base };
}

/** Membership tested directly: x's digits against the region's fixed ones. */
function inRegion(r: DigitMapRegion, x: number, base: number): boolean {
  for (let i = 0; i < r.length; i++) if (r[i]! >= 0 && r[i] !== digit(x, i, base)) return false;
  return true;
}

/** The sequence the model reads at `step` for input x, the generated digits being x's. */
function sequence(t: TaskContract, x: number, step: number): number[] {
  const prompt = t.prompt.map((s) => (s.kind === 'token' ? s.token : digit(x, s.place, t.base)));
  const place = (k: number) => (t.answer === 'lsb' ? k : t.decode - 1 - k);
  return [...prompt, ...Array.from({ length: step }, (_, k) => digit(x, place(k), t.base))];
}

describe('the digit-map specification', () => {
  it('is derived from `expect x` and refuses what it does not describe', () => {
    const t = copyTask(3, 10, 'msb', 'lsb', 5);
    const plan = digitTaskPlan(t);
    expect(plan).toEqual({
      kind: 'digit map',
      outputs: [{ kind: 'digit', operand: 0, place: 0 }, { kind: 'digit', operand: 0, place: 1 }, { kind: 'digit', operand: 0, place: 2 }, { kind: 'zero' }, { kind: 'zero' }],
    });
    expect(proofProblem(copyTask(3, 10, 'msb', 'lsb', 2))).toMatch(/answer has 2 digits but x has 3/);
    expect(proofProblem({ ...t, expect: 'x * 2', expectFormula: undefined })).toMatch(/the task has 1 inputs/);
  });

  it.each([
    ['msb', 'lsb', 3, 3],
    ['lsb', 'msb', 3, 4],
    ['msb', 'msb', 2, 2],
  ] as const)('prompt %s, answer %s: agrees with brute force on every region of random splits', (layout, answer, digits, decode) => {
    const base = 10;
    const t = copyTask(digits, base, layout, answer, decode);
    const spec = proofSpecFor(t) as DigitMapSpec;
    const random = rng(7);
    const all = Array.from({ length: base ** digits }, (_, x) => x);
    for (let step = 0; step < t.decode; step++) {
      const place = answer === 'lsb' ? step : decode - 1 - step;
      for (let trial = 0; trial < 30; trial++) {
        let r = spec.root(step);
        const depth = Math.floor(random() * (digits + 1));
        for (let d = 0; d < depth; d++) {
          const children = spec.split(r, step);
          if (!children) break;
          // The children partition the region.
          const members = all.filter((x) => inRegion(r, x, base));
          const counts = children.map((c) => members.filter((x) => inRegion(c, x, base)).length);
          expect(counts.reduce((a, b) => a + b, 0)).toBe(members.length);
          r = children[Math.floor(random() * children.length)]!;
        }
        const members = all.filter((x) => inRegion(r, x, base));
        expect(spec.fraction(r)).toBeCloseTo(members.length / all.length, 12);
        const sets = spec.tokenSets(r, step);
        const missing = members.flatMap((x) => sequence(t, x, step).flatMap((tok, p) => ((sets[p]! & (1 << tok)) === 0 ? [`x=${x} position ${p}`] : [])));
        expect(missing).toEqual([]);
        const right = new Set(members.map((x) => digit(x, place, base)));
        expect(spec.expected(r, step)).toBe(right.size === 1 ? [...right][0] : undefined);
        if (spec.ready(r, step)) {
          // Ready: the right token and the last token read are the same for every member.
          expect(right.size).toBe(1);
          expect(new Set(members.map((x) => sequence(t, x, step).at(-1))).size).toBe(1);
        }
        for (const o of spec.samples(r, 5, random)) expect(inRegion(r, o['x']!, base)).toBe(true);
      }
    }
  });
});

describe('prove on the reverse task', () => {
  it.each(['float64', 'float32'] as const)('proves the shipped design in %s', async (dtype) => {
    const out = compileSource(readFileSync(REVERSE, 'utf8'), { dtype });
    const task = out.model!.task!;
    const r = await prove(out.ir!, proofSpecFor(task), { onnx: out.onnx!, timeLimitSeconds: 60 });
    expect(r.status).toBe('proved');
    expect(r.counterexample).toBeNull();
    // Step 0: 10 regions (x_0); steps 1..7: 100 each (x_k and x_{k-1}).
    expect(r.leaves).toBe(task.base + (task.decode - 1) * task.base ** 2);
    // The parabolic head's gap between neighbouring digits is 1 when the copy is exact.
    expect(r.min_certified_margin!).toBeGreaterThan(0.99);
    expect(r.min_certified_margin!).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('refutes a copy with too small an attention gain, with an input the runtime decodes wrongly', async () => {
    const source = readFileSync(REVERSE, 'utf8');
    const from = 'param gain      = 2000 ';
    expect(source).toContain(from);
    // At gain 180 the neighbours' softmax weight (e^(−180 (1 − cos 2π/32)) ≈ 0.03) pulls the copied
    // value more than half a digit when they differ enough: `verify` finds about 5% failing.
    const out = compileSource(source.replace(from, 'param gain      = 180  '), { dtype: 'float64' });
    const task = out.model!.task!;
    const r = await prove(out.ir!, proofSpecFor(task), { onnx: out.onnx!, timeLimitSeconds: 60 });
    expect(r.status).toBe('refuted');
    const c = r.counterexample!;
    const x = c.inputs['x']!;
    expect(c.a).toBe(x);
    expect(c.b).toBeNull();
    expect(c.expected).toBe(x);
    // Replayed with our own session; the right tokens are x's digits, units first.
    const right = Array.from({ length: 8 }, (_, k) => digit(x, k, 10));
    const prompt = [...Array.from({ length: 8 }, (_, i) => digit(x, 7 - i, 10)), 10];
    const { session } = await openSession(out.onnx!, { dtype: 'float64' });
    const decoded = await greedyDecode(session, [prompt], 8);
    await session.release();
    const tokens = decoded.tokens[0]!;
    expect(tokens).toEqual(c.tokens);
    expect(tokens).not.toEqual(right);
    expect(c.expected_tokens).toEqual(right);
    expect(c.step).toBe(tokens.findIndex((tok, k) => tok !== right[k]));
  });
});
