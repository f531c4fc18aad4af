// The any-length adder (examples/adder/adder-5p-anylen.hw): one compiled model, operands of 1..100
// digits, through verifyModel on real onnxruntime in float32 and float64. The right sums are
// computed here with BigInt (and the sequence function `add_digits` is checked against schoolbook
// column addition written here); the cases are 100 seeded pairs per length 1..100 (80 with both
// operands of that length, 20 with the other operand of a random length, in either order) and the
// all-nines carry chains of every length. The attention heads that must pick one key are checked
// for their score margin over the runner-up at the longest inputs, in float32.
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkSource, compileDecodeGraph } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { modelToIr } from '../src/ir/model-to-ir.ts';
import { irToOnnx } from '../src/onnx/ir-to-onnx.ts';
import { probeGraph } from '../src/inspect/probe.ts';
import { openSession } from '../src/runtime/session.ts';
import { stringTaskOf } from '../src/runtime/tasks/strings.ts';
import { verifyModel } from '../src/verify/verify-model.ts';
import { mulberry32 } from '../src/util/rng.ts';
import { incrementalDecode } from '../src/runtime/incremental.ts';
import { nineChains, randomPairs, type DigitPair } from '../scripts/adder-anylen-cases.ts';

const source = readFileSync(new URL('../examples/adder/adder-5p-anylen.hw', import.meta.url), 'utf8');
let model: CheckedModel;
/** Token id of each decimal digit, looked up by name. */
let digitId: number[];
let tok: (name: string) => number;

beforeAll(() => {
  const out = checkSource(source);
  const errors = out.diagnostics.filter((d) => d.severity === 'error');
  if (!out.model || errors.length > 0) throw new Error(errors.map((d) => `${d.span.line}:${d.span.col} ${d.message}`).join('\n'));
  model = out.model;
  tok = (name) => {
    const id = model.tokenNames!.indexOf(name);
    if (id < 0) throw new Error(`no token ${name}`);
    return id;
  };
  digitId = Array.from({ length: 10 }, (_, d) => tok(String(d)));
});

type Case = { a: number[]; b: number[] };
const digitsOf = (ids: number[]) => ids.map((t) => digitId.indexOf(t));
const toIds = (digits: number[]) => digits.map((d) => digitId[d]!);

/** The sum's digits, units first, by BigInt. */
function sumLsbFirst(c: Case): number[] {
  const s = BigInt(digitsOf(c.a).join('')) + BigInt(digitsOf(c.b).join(''));
  return toIds([...s.toString()].map(Number).reverse());
}

/** Schoolbook addition of two msb-first digit vectors, msb-first result without leading zeros. */
function columnAdd(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let carry = 0;
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const t = (a[a.length - 1 - k] ?? 0) + (b[b.length - 1 - k] ?? 0) + carry;
    out.push(t % 10);
    carry = t >= 10 ? 1 : 0;
  }
  if (carry) out.push(1);
  while (out.length > 1 && out[out.length - 1] === 0) out.pop();
  return out.reverse();
}

/** The shared cases (scripts/adder-anylen-cases.ts) as token strings. */
const asCases = (pairs: DigitPair[]): Case[] => pairs.map((p) => ({ a: toIds(p.a), b: toIds(p.b) }));

describe('add_digits, the sequence function of the expect', () => {
  it('is schoolbook column addition, msb first, without leading zeros', () => {
    const rand = mulberry32(7);
    const task = stringTaskOf(model);
    const pairs: [number[], number[]][] = [[[0], [0]], [[0, 0, 5], [0, 3]], [[9, 9, 9], [1]], [[5], [5]]];
    for (let k = 0; k < 300; k++) {
      const n = 1 + Math.floor(rand() * 100);
      const m = 1 + Math.floor(rand() * 100);
      pairs.push([Array.from({ length: n }, () => Math.floor(rand() * 10)), Array.from({ length: m }, () => Math.floor(rand() * 10))]);
    }
    for (const [a, b] of pairs) {
      // Through the task's own expect (reverse(add_digits(a, b))): units first.
      expect(digitsOf(task.expected({ a: toIds(a), b: toIds(b) }))).toEqual(columnAdd(a, b).reverse());
    }
    expect(digitsOf(task.expected({ a: toIds([0, 0, 5]), b: toIds([0, 3]) }))).toEqual([8]);
  });

  it('refuses a vector that is not decimal digits', () => {
    const bad = source.replace('expect reverse(add_digits(a, b))', 'expect reverse(add_digits(concat(a, [12]), b))');
    const out = checkSource(bad);
    const messages = out.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    expect(messages.some((m) => /add_digits.*decimal digits 0\.\.9, and 12 is not one/.test(m))).toBe(true);
  });
});

describe('the any-length adder, compiled once', () => {
  // float32 (the file's dtype) runs the full set; float64 runs 10 pairs per length and the chains,
  // to keep CI time down (the full set took 51 s in float32 and 286 s in float64 in one loaded run
  // here); bench/adder-anylen.ts runs the full set in both.
  const runs: [FloatDType, number][] = [['float32', 100], ['float64', 10]];
  for (const [dtype, perLength] of runs) {
    it(`adds ${perLength} seeded pairs per length 1..100 and every all-nines chain, exactly (${dtype})`, async () => {
      const all = asCases([...randomPairs(perLength, 14), ...nineChains()]);
      expect(all.length).toBe(100 * perLength + 300);
      // The task's right answers are the BigInt sums (so verifyModel's comparison is against them).
      const task = stringTaskOf(model);
      for (const c of all) expect(task.expected(c)).toEqual(sumLsbFirst(c));
      const started = performance.now();
      const r = await verifyModel(model, { dtype, cases: all });
      const seconds = (performance.now() - started) / 1000;
      console.log(`adder-anylen ${dtype}: ${r.passed}/${r.cases} exact, per token ${r.tokens.right}/${r.tokens.total}, smallest logit margin ${r.minMargin.toFixed(4)}, ${seconds.toFixed(1)} s`);
      expect(r.mode).toBe('given');
      expect(r.failures).toEqual([]);
      expect(r.passed).toBe(all.length);
      expect(r.minMargin).toBeGreaterThan(9);
    }, 900_000);
  }

  it('ends a batch early at the stop token with the same tokens up to it', async () => {
    const graph = compileDecodeGraph(model, { dtype: 'float32' });
    if (!graph || !('onnx' in graph)) throw new Error('expected a cached-key decoding graph');
    const { session } = await openSession(graph.onnx, { dtype: 'float32', threads: 1 });
    try {
      // One prompt length, so one batch: its rows stop after 2, 3 and 4 steps.
      const pairs: Case[] = [{ a: toIds([1, 2]), b: toIds([3, 4, 5]) }, { a: toIds([9, 9]), b: toIds([0, 0, 1]) }, { a: toIds([0, 0]), b: toIds([0, 0, 7]) }];
      const prompts = pairs.map((c) => [tok('BOS'), ...c.a, tok('+'), ...c.b, tok('=')]);
      const steps = model.stringTask!.decode;
      const full = await incrementalDecode(session, prompts, steps);
      let runs = 0;
      const early = await incrementalDecode(session, prompts, steps, { stop: tok('EOS'), onProgress: () => runs++ });
      pairs.forEach((c, i) => {
        const want = [...sumLsbFirst(c), tok('EOS')];
        expect(full.tokens[i]!.slice(0, want.length)).toEqual(want);
        expect(early.tokens[i]!.slice(0, want.length)).toEqual(want);
        expect(early.tokens[i]!.length).toBe(steps);
        expect(early.tokens[i]!.slice(want.length).every((t) => t === tok('EOS'))).toBe(true);
        for (let k = 0; k < want.length; k++) expect(early.margins[i * steps + k]).toBe(full.margins[i * steps + k]);
      });
      // 9 9 + 0 0 1 = 100 is the longest: 3 digits and EOS, so 4 runs and one report of the fill.
      expect(runs).toBe(5);
    } finally {
      await session.release();
    }
  });

  it('picks one key per selecting head with a wide score margin at the longest inputs (float32)', async () => {
    const dtype: FloatDType = 'float32';
    const probed = probeGraph(modelToIr(model, { dtype }), model);
    const { session } = await openSession(irToOnnx(probed.graph), { dtype });
    const rand = mulberry32(3);
    const long = (n: number) => toIds(Array.from({ length: n }, (_, i) => (i === 0 ? 1 + Math.floor(rand() * 9) : Math.floor(rand() * 10))));
    const nines = toIds(new Array<number>(100).fill(9));
    const inputs: Case[] = [{ a: nines, b: nines }, { a: nines, b: toIds([1]) }, { a: toIds([1]), b: nines }, { a: long(100), b: long(100) }, { a: long(100), b: long(37) }];
    let smallest = Infinity;
    let worstWeight = 0;
    try {
      for (const c of inputs) {
        // The whole sequence the greedy decoder sees: prompt, then the right sum and EOS.
        const prompt = [tok('BOS'), ...c.a, tok('+'), ...c.b, tok('=')];
        const ids = [...prompt, ...sumLsbFirst(c)];
        const eq = prompt.length - 1;
        const out = await session.run({ input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) });
        const n = ids.length;
        for (const a of probed.attentions) {
          const scores = out[a.scores]!.data as Float32Array;
          const weights = out[a.value]!.data as Float32Array;
          for (let h = 0; h < a.heads; h++) {
            // The positions that read an answer: "=" and every generated digit.
            for (let i = eq; i < n; i++) {
              const row = (h * n + i) * n;
              let best = -Infinity;
              let second = -Infinity;
              let w1 = 0;
              let w2 = 0;
              for (let j = 0; j <= i; j++) {
                const s = scores[row + j]!;
                if (s > best) [second, best] = [best, s];
                else if (s > second) second = s;
                const w = weights[row + j]!;
                if (w > w1) [w2, w1] = [w1, w];
                else if (w > w2) w2 = w;
              }
              smallest = Math.min(smallest, best - second);
              worstWeight = Math.max(worstWeight, w2);
            }
          }
        }
      }
    } finally {
      await session.release();
    }
    console.log(`adder-anylen float32: smallest top-1 minus runner-up attention score ${smallest.toFixed(3)}, largest runner-up weight ${worstWeight.toExponential(2)}`);
    expect(smallest).toBeGreaterThan(25);
    expect(worstWeight).toBeLessThan(1e-10);
  }, 120_000);
});
