// docs/tutorial.md builds the 10p adder in four steps and pastes what each step prints. This test
// runs the tutorial's own models (the ```hw blocks, in order) and checks what the page says about
// them, so the text cannot drift from the compiler:
// - every pasted `handwire run` output: the generated tokens and the answer, re-run here;
// - which sums each step gets right, with the right answer computed here as a + b;
// - the logit parabola and the `digit` channel values quoted in the text, against the spec's math;
// - the parameter counts, and that step 4 is the example file with the same numbers;
// - the closing `handwire prove`, run with the real CLI: it proves, and prints what is pasted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { promptFor, readAnswer } from '../src/runtime/task.ts';
import { ADDERBOARD_EDGE_CASES, protocolCases } from '../src/runtime/tasks/adderboard-cases.ts';
import { PythonRandom } from '../src/runtime/tasks/python-random.ts';
import { runCli } from './helpers/cli.ts';

type Dtype = 'float32' | 'float64';
type Pair = readonly [number, number];

const tutorial = readFileSync(new URL('../docs/tutorial.md', import.meta.url), 'utf8');
const exampleSource = readFileSync(new URL('../examples/adder/adder-10p-rope19.hw', import.meta.url), 'utf8');

const STEP_MODELS = ['step1_echo', 'step2_routing', 'step3_carry', 'step4_adder'];

/** The tutorial's ```hw blocks; step N (the file `stepN.hw` in the text) is block N. */
const steps: string[] = [...tutorial.matchAll(/```hw\n([\s\S]*?)```/g)].map((m) => m[1]!);

// ---------------------------------------------------------------- running a step

interface Built {
  model: CheckedModel;
  sessions: Partial<Record<Dtype, InferenceSession>>;
  onnx: Partial<Record<Dtype, Uint8Array>>;
}
const built = new Map<number, Built>();

function build(step: number): Built {
  let b = built.get(step);
  if (!b) {
    const out = compileSource(steps[step - 1]!);
    if (!out.model) throw new Error(`step ${step} does not compile: ${out.diagnostics.map((d) => d.message).join('; ')}`);
    b = { model: out.model, sessions: {}, onnx: {} };
    built.set(step, b);
  }
  return b;
}

async function session(step: number, dtype: Dtype): Promise<InferenceSession> {
  const b = build(step);
  if (!b.sessions[dtype]) {
    const onnx = compileSource(steps[step - 1]!, { dtype }).onnx!;
    b.sessions[dtype] = (await openSession(onnx, { dtype })).session;
  }
  return b.sessions[dtype]!;
}

/** Generated tokens for raw prompts, in the file's own dtype (what `handwire run` uses). */
async function generate(step: number, prompts: number[][], steps_: number): Promise<number[][]> {
  const s = await session(step, build(step).model.dtype);
  return (await greedyDecode(s, prompts, steps_)).tokens;
}

/** The step's answers to the addition task. */
async function answers(step: number, pairs: readonly Pair[]): Promise<number[]> {
  const task = build(step).model.task!;
  const tokens = await generate(step, pairs.map(([a, b]) => promptFor(task, { a, b })), task.decode);
  return tokens.map((t) => readAnswer(task, t));
}

/** float64 logits at the last position of `ids`. */
async function lastLogits(step: number, ids: number[]): Promise<number[]> {
  const s = await session(step, 'float64');
  const { data, vocab } = await runLogits(s, BigInt64Array.from(ids.map(BigInt)), 1, ids.length);
  return Array.from(data.subarray((ids.length - 1) * vocab, ids.length * vocab));
}

// ---------------------------------------------------------------- independent arithmetic

const digit = (n: number, k: number) => Math.floor(n / 10 ** k) % 10;

/** Whether any column of a + b carries (schoolbook addition, written here). */
function carries(a: number, b: number): boolean {
  let c = 0;
  for (let k = 0; k < 10; k++) {
    c = digit(a, k) + digit(b, k) + c >= 10 ? 1 : 0;
    if (c) return true;
  }
  return false;
}

function randomPairs(seed: number, n: number): Pair[] {
  const rng = new PythonRandom(seed);
  return Array.from({ length: n }, () => [rng.randint(0, 9_999_999_999), rng.randint(0, 9_999_999_999)] as const);
}

/** Pairs whose digits never sum past 9 in any column (random pairs almost never are). */
function noCarryPairs(seed: number, n: number): Pair[] {
  const rng = new PythonRandom(seed);
  return Array.from({ length: n }, () => {
    let a = 0;
    let b = 0;
    for (let k = 0; k < 10; k++) {
      const x = rng.randint(0, 9);
      a += x * 10 ** k;
      b += rng.randint(0, 9 - x) * 10 ** k;
    }
    return [a, b] as const;
  });
}

/** Carries that run far: a block of 9s against a 1, and every column wrapping. */
const CARRY_CHAINS: Pair[] = [
  [9_999_999_999, 1], [999_999_999, 1], [4_999_999_995, 5_000_000_005], [5_555_555_555, 4_444_444_445],
  [9_090_909_090, 909_090_910], [19, 81], [99, 1], [15, 27], [5, 5], [8_888_888_888, 1_111_111_112],
];

const SAMPLE: Pair[] = [...ADDERBOARD_EDGE_CASES, ...CARRY_CHAINS, ...randomPairs(7, 300), ...noCarryPairs(8, 60)];

/** The vertex of the head's parabola, read off three logits: ℓ[d] = α − β d² + γ d, vertex γ / 2β. */
function vertexOf(logits: number[]): number {
  const [l0, l1, l2] = logits as [number, number, number];
  const beta = -(l0 - 2 * l1 + l2) / 2;
  const gamma = l1 - l0 + beta;
  return gamma / (2 * beta);
}

/** The tutorial's prompt layout [0, a lsb, 0 * 9, b lsb, 0], written out here. */
function layout(a: number, b: number): number[] {
  const lsb = (n: number) => Array.from({ length: 10 }, (_, k) => digit(n, k));
  return [0, ...lsb(a), ...Array(9).fill(0), ...lsb(b), 0];
}

// ---------------------------------------------------------------- the claims

describe('docs/tutorial.md', () => {
  beforeAll(() => {
    expect(steps.length).toBe(4);
  });

  it('has the four steps, in order, each compiling cleanly', () => {
    expect(steps.map((s) => /^model\s+(\w+)/m.exec(s)?.[1])).toEqual(STEP_MODELS);
    for (let step = 1; step <= 4; step++) {
      const out = compileSource(steps[step - 1]!);
      expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(out.model!.task).toBeDefined();
    }
  });

  it('prints what every pasted `handwire run` printed', async () => {
    const runs = [...tutorial.matchAll(/\$ npx handwire run step(\d)\.hw ([^\n]*)\n([\s\S]*?)(?=\n\$ |\n```)/g)];
    expect(runs.length).toBeGreaterThanOrEqual(12);
    for (const [, stepText, args, printed] of runs) {
      const step = Number(stepText);
      const shownTokens = /^generated\s+([\d ]+?)\s+\(/m.exec(printed!)![1]!.split(' ').map(Number);
      const shownAnswer = Number(/^answer\s+(\d+)/m.exec(printed!)![1]);
      const raw = /--tokens (\S+) --steps (\d+)/.exec(args!);
      if (raw) {
        const [generated] = await generate(step, [raw[1]!.split(',').map(Number)], Number(raw[2]));
        expect(generated, args).toEqual(shownTokens);
        continue;
      }
      const [, a, b] = /--a (\d+) --b (\d+)/.exec(args!)!.map(Number) as [number, number, number];
      expect(promptFor(build(step).model.task!, { a, b })).toEqual(layout(a, b));
      const [generated] = await generate(step, [layout(a, b)], 11);
      expect(generated, `step ${step}: ${args}`).toEqual(shownTokens);
      const answer = generated!.reduce((sum, d, k) => sum + d * 10 ** k, 0); // units first
      expect(answer).toBe(shownAnswer);
      // The pasted "expected" and "match" lines must agree with the true sum.
      expect(Number(/^expected\s+(\d+)/m.exec(printed!)![1])).toBe(a + b);
      expect(/^match\s+(\S+)/m.exec(printed!)![1]).toBe(answer === a + b ? 'yes' : 'NO');
    }
  });

  describe('step 1: echo', () => {
    it('repeats the token it is looking at, and so answers every sum with 0', async () => {
      const single = await generate(1, Array.from({ length: 10 }, (_, t) => [t]), 1);
      expect(single).toEqual(Array.from({ length: 10 }, (_, t) => [t]));
      const sums = await answers(1, SAMPLE.slice(0, 40));
      expect(sums).toEqual(SAMPLE.slice(0, 40).map(() => 0));
    });

    it('has the logit parabola the tutorial tabulates', async () => {
      const logits = await lastLogits(1, [3, 1, 4, 1, 5]);
      // The step's math in float64: h = E[5], z = n ⊙ h / rms(h), ℓ[d] = z · E[d].
      const E = (d: number) => [1000 - 0.001 * d * d, -d];
      const n = [1, 2];
      const h = E(5);
      const rms = Math.sqrt((h[0]! ** 2 + h[1]! ** 2) / 2 + 1e-6);
      const expected = Array.from({ length: 10 }, (_, d) => (n[0]! * h[0]! * E(d)[0]! + n[1]! * h[1]! * E(d)[1]!) / rms);
      logits.forEach((l, d) => expect(Math.abs(l - expected[d]!)).toBeLessThan(1e-9));
      // The table in the text: how far below the top each token's logit is (4 significant digits).
      const table = [0.03536, 0.02263, 0.01273, 0.005657, 0.001415, 0, 0.001414, 0.005656, 0.01273, 0.02263];
      const top = Math.max(...logits);
      logits.forEach((l, d) => expect(Math.abs(top - l - table[d]!)).toBeLessThanOrEqual(table[d]! * 5e-4 + 1e-12));
    });
  });

  describe('step 2: routing', () => {
    it('adds correctly exactly when no column carries', async () => {
      const got = await answers(2, SAMPLE);
      SAMPLE.forEach(([a, b], i) => expect(got[i] === a + b, `${a} + ${b} gave ${got[i]}`).toBe(!carries(a, b)));
    });

    it('so 27 of the 10,010 protocol cases are right, as the pasted verify line says', () => {
      const noCarry = protocolCases().filter(([a, b]) => !carries(a, b)).length;
      expect(noCarry).toBe(27);
      expect(tutorial).toContain('Results: 27/10,010 correct (0.27%)');
    });

    it('puts 10·S_k + S_{k−1} − t in the digit channel: 15 + 27 reads 12, then 3.3', async () => {
      // Prompt plus the tokens step 2 generates (9, 3): positions 30 and 31 predict digits 0 and 1.
      const ids = [...layout(15, 27), 9, 3];
      expect(vertexOf(await lastLogits(2, ids.slice(0, 31)))).toBeCloseTo((10 * 12) / 10, 2);
      expect(vertexOf(await lastLogits(2, ids.slice(0, 32)))).toBeCloseTo((10 * 3 + 12 - 9) / 10, 2);
    });
  });

  describe('step 3: carry', () => {
    it('adds every sum of the sample correctly', async () => {
      const got = await answers(3, SAMPLE);
      SAMPLE.forEach(([a, b], i) => expect(got[i], `${a} + ${b}`).toBe(a + b));
    });

    it('has the digit channel the 15 + 27 table shows', async () => {
      // y = 10 S_k + S_{k−1} − t; on a wrap the hinge removes 100 / (1 + (y/1000)²); the head's
      // vertex is (final digit channel) / 10. Columns: S = 12, 3, 0; tokens 0, 2, 4.
      const ids = [...layout(15, 27), 2, 4];
      const column = (y: number) => (y >= 99 ? y - 100 / (1 + (y / 1000) ** 2) : y) / 10;
      const expected = [column(10 * 12 + 0 - 0), column(10 * 3 + 12 - 2), column(10 * 0 + 3 - 4)];
      expect(expected.map((v) => v.toFixed(2))).toEqual(['2.14', '4.00', '-0.10']);
      for (let k = 0; k < 3; k++) {
        expect(vertexOf(await lastLogits(3, ids.slice(0, 31 + k)))).toBeCloseTo(expected[k]!, 2);
      }
    });
  });

  describe('step 4: the finished adder', () => {
    it('adds every sum of the sample correctly', async () => {
      const got = await answers(4, SAMPLE);
      SAMPLE.forEach(([a, b], i) => expect(got[i], `${a} + ${b}`).toBe(a + b));
    });

    it('is examples/adder/adder-10p-rope19.hw: the same ten numbers and the same answers', async () => {
      const example = compileSource(exampleSource);
      const params = (m: CheckedModel) => new Map(m.values.filter((v) => v.kind === 'param').map((v) => [v.name, v.values]));
      const mine = params(build(4).model);
      const theirs = params(example.model!);
      expect([...mine.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [name, values] of mine) {
        values.forEach((v, i) => expect(Math.abs(v - theirs.get(name)![i]!), name).toBeLessThanOrEqual(1e-12 * Math.abs(v)));
      }
      const session4 = await session(4, 'float32');
      const sessionEx = (await openSession(example.onnx!, { dtype: 'float32' })).session;
      const prompts = SAMPLE.slice(0, 100).map(([a, b]) => layout(a, b));
      const [a, b] = await Promise.all([greedyDecode(session4, prompts, 11), greedyDecode(sessionEx, prompts, 11)]);
      expect(a.tokens).toEqual(b.tokens);
    });

    it('counts the parameters the text states: 4, 7, 10, 10 and strictly 12, 16, 20, 20', () => {
      const counts = [1, 2, 3, 4].map((s) => [build(s).model.audit!.adderboard, build(s).model.audit!.strict]);
      expect(counts).toEqual([[4, 12], [7, 16], [10, 20], [10, 20]]);
      // The ten extra constants of the strict count, as the text lists them.
      const literals = build(4).model.audit!.literals.map((l) => l.value).sort((x, y) => x - y);
      const A = Math.log(10) / (Math.cos(0.3 * (2 * Math.PI) / 19) - Math.cos(0.7 * (2 * Math.PI) / 19));
      expect(literals.slice(0, 8)).toEqual([-9, -8, -7, -6, -5, -4, -3, -2]);
      expect(literals[8]).toBeCloseTo(A / 2, 10);
      expect(literals[9]).toBe(1000);
    });

    it('as the text says of the 6p design: 6 by the leaderboard, still 20 strictly', () => {
      const sixP = readFileSync(new URL('../examples/adder/adder-6p-rope19.hw', import.meta.url), 'utf8');
      const audit = compileSource(sixP).model!.audit!;
      expect([audit.adderboard, audit.strict]).toEqual([6, 20]);
    });
  });
});

describe('the closing proof', () => {
  const dir = mkdtempSync(join(tmpdir(), 'handwire-tutorial-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is the last command of the page, and the real CLI prints the pasted PROVED certificate', async () => {
    const proves = [...tutorial.matchAll(/^\$ npx handwire prove (step(\d)\.hw)( [^\n]*)?\n([\s\S]*?)\n```/gm)];
    expect(proves.length).toBeGreaterThan(0);
    const last = proves.at(-1)!;
    const [, file, step, args, pasted] = last;
    // Nothing is run after it: the tutorial ends on this certificate.
    expect(tutorial.slice(last.index! + last[0].length)).not.toMatch(/^\$ /m);
    // The file the reader has made by then: the step's block, as `stepN.hw`.
    writeFileSync(join(dir, file!), steps[Number(step) - 1]!);
    const r = await runCli(['prove', file!, ...(args ?? '').trim().split(/\s+/).filter(Boolean)], { cwd: dir });
    expect(r.code, r.stderr).toBe(0); // prove exits 0 only when it proved
    expect(r.stdout.split('\n')[0]).toMatch(/: PROVED: /);
    // The pasted output is the real one, except the time it took.
    const lines = (text: string) => text.trim().split('\n').filter((l) => !/^\s*time: /.test(l));
    expect(lines(pasted!)).toEqual(lines(r.stdout));
  }, 600_000);
});
