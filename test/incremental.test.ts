// Incremental decoding (src/ir/decode-ir.ts + src/runtime/incremental.ts) against full recompute
// (the main graph + greedyDecode) and against the independent float64 references of the designs:
// - tokens equal full recompute's, token for token, in float32 and float64;
// - the decode graph's logits, teacher-forced through prefill + steps, equal the main graph's
//   last-position logits to 1e-12 of the row's scale in float64, and the spec's references to 1e-9;
// - Debian's onnx checker accepts every decode graph; non-causal models are refused.
// The inline model covers what the adders do not: GQA, softmax1, a bias(h, i, j) table, a position
// table, RoPE with per-pair angles, layernorm, value_dim ≠ dim and a layer before the last one
// (whose prefill queries are all prompt positions, not only the last).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckedModel } from '../src/check/model.ts';
import { checkSource } from '../src/compile.ts';
import { decodeUnsupportedReason, modelToDecodeIr } from '../src/ir/decode-ir.ts';
import { modelToIr } from '../src/ir/model-to-ir.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { irToOnnx } from '../src/onnx/ir-to-onnx.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { decodeLayout, incrementalDecode, type CacheSlot } from '../src/runtime/incremental.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { operandsFromPair, promptFor } from '../src/runtime/task.ts';
import { protocolCases } from '../src/runtime/tasks/adderboard-cases.ts';
import { mulberry32 } from '../src/util/rng.ts';
import type { ReferenceDesign } from './reference/common.ts';

const DTYPES: FloatDType[] = ['float32', 'float64'];

const INLINE_MODEL = `
model incremental_paths {
  vocab    7
  dtype    float64
  residual [a, b, c, d]
  context  16

  let r(i, j, s) = 0.8 sin(1.7 i + 0.9 j + s)
  param Wq  = [[r(i, j, 0.3) for j in 0..3] for i in 0..7]
  param Wk  = [[r(i, j, 1.1) for j in 0..3] for i in 0..3]
  param Wv  = [[r(i, j, 2.3) for j in 0..3] for i in 0..3]
  param Wo  = [[r(i, j, 0.7) for j in 0..7] for i in 0..3]
  param Wq2 = [[r(i, j, 3.1) for j in 0..3] for i in 0..3]
  param Wk2 = [[r(i, j, 1.9) for j in 0..3] for i in 0..3]
  param Wv2 = [[r(i, j, 0.2) for j in 0..3] for i in 0..1]
  param Wo2 = [[r(i, j, 2.9) for j in 0..1] for i in 0..3]
  param W1  = [[r(i, j, 1.4) for j in 0..3] for i in 0..4]
  param W2  = [[r(i, j, 0.5) for j in 0..4] for i in 0..3]

  embed    E[t] = [cos(t), sin(1.3 t), 0.5 t - 1, 0.1 t^2]
  position P[p] = [0.3 sin(p), 0.2 cos(0.7 p), 0.1 p, -0.05 p]

  layer {
    attention {
      heads 4, kv_heads 2, dim 2
      pre layernorm(eps: 1e-5)
      q = Wq x
      k = Wk x
      v = Wv x
      rope(p, i) = p (0.5 + i)
      bias(h, i, j) = -0.3 (h + 1) (i - j)
      causal
      softmax1
      write all += Wo out
    }
    mlp {
      pre rms(eps: 1e-6)
      act gelu_tanh
      in = W1 x
      write all += W2 h
    }
  }
  layer {
    attention {
      heads 2, dim 2, value_dim 1
      q = Wq2 x
      k = Wk2 x
      v = Wv2 x
      qk_norm rms(eps: 1e-6)
      causal
      write all += Wo2 out
    }
    mlp {
      act silu
      in = W1 x
      write all += W2 h
    }
  }
  final rms(eps: 1e-6)
  head tied E
}`;

/** No attention at all: the decode graph has no cache and cuts to the last position at once. */
const POINTWISE_MODEL = `
model pointwise {
  vocab 5
  dtype float64
  residual [a, b]
  context 8
  embed E[t] = [t, 1 - t]
  position P[p] = [0.1 p, -0.2 p]
  layer {
    mlp {
      act tanh
      in = [a + b, a - b]
      write all += [h[0], h[1]]
    }
  }
  head = [c a + (1 - c) b for c in 0..4]
}`;

/** Attention without a mask: position 0 would see later tokens, so caching is not exact. */
const NON_CAUSAL_MODEL = `
model sees_ahead {
  vocab 3
  residual [a, b]
  context 6
  embed E[t] = [t, 1]
  layer {
    attention {
      heads 1, dim 1
      q = [a]
      k = [a]
      v = [b]
      write a += out[0]
    }
  }
  head = [c a for c in 0..2]
}`;

/** One attention, the cut, with a score bias that is not 0 below the diagonal: the bias row the
 * last query reads must still be added, also by the float32 graph's dot attention. */
const BIAS_AT_CUT_MODEL = `
model bias_at_cut {
  vocab    7
  dtype    float32
  residual [a, b, c, d]
  context  16

  let r(i, j, s) = 0.8 sin(1.7 i + 0.9 j + s)
  param Wq = [[r(i, j, 3.1) for j in 0..3] for i in 0..3]
  param Wk = [[r(i, j, 1.9) for j in 0..3] for i in 0..3]
  param Wv = [[r(i, j, 0.2) for j in 0..3] for i in 0..1]
  param Wo = [[r(i, j, 2.9) for j in 0..1] for i in 0..3]

  embed    E[t] = [cos(t), sin(1.3 t), 0.5 t - 1, 0.1 t^2]
  position P[p] = [0.3 sin(p), 0.2 cos(0.7 p), 0.1 p, -0.05 p]

  layer {
    attention {
      heads 2, dim 2, value_dim 1
      q = Wq x
      k = Wk x
      v = Wv x
      bias(h, i, j) = -0.4 (h + 1) (i - j)
      causal
      write all += Wo out
    }
  }
  head tied E
}`;

const EXAMPLES = ['adder-10p-rope19', 'adder-130p-nanogpt-sinpe11'];
/** Protocol cases per example: the ten edge cases and the first random pairs. */
const CASES = 250;

function model(source: string): CheckedModel {
  const out = checkSource(source);
  if (!out.model) throw new Error(`test model does not check: ${out.diagnostics.map((d) => d.message).join('; ')}`);
  return out.model;
}

const exampleModel = (name: string) => model(readFileSync(new URL(`../examples/adder/${name}.hw`, import.meta.url), 'utf8'));

async function sessions(m: CheckedModel, dtype: FloatDType) {
  const full = (await openSession(irToOnnx(modelToIr(m, { dtype })), { dtype })).session;
  const decode = (await openSession(irToOnnx(modelToDecodeIr(m, { dtype })), { dtype })).session;
  return { full, decode };
}

/** Seeded token sequences, so failures reproduce. */
function randomSequences(seed: number, count: number, length: number, vocab: number): number[][] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length }, () => Math.floor(next() * vocab)));
}

/**
 * Teacher-forced incremental run: prefill `seqs[:, 0..prefill)`, then feed the remaining tokens one
 * at a time with the returned caches. Returns the logits of every run, [run][row][vocab]: run r is
 * the model's output at position prefill − 1 + r.
 */
async function teacherForced(session: InferenceSession, seqs: number[][], prefill: number): Promise<number[][][]> {
  const layout = decodeLayout(session);
  const b = seqs.length;
  const len = seqs[0]!.length;
  const ids = (from: number, to: number) =>
    new Tensor('int64', BigInt64Array.from(seqs.flatMap((s) => s.slice(from, to).map(BigInt))), [b, to - from]);
  const feeds: Record<string, Tensor> = { input_ids: ids(0, prefill), position: new Tensor('int64', BigInt64Array.of(0n), [1]) };
  const dims = (c: CacheSlot, positions: number) => (c.positionAxis === 2 ? [b, c.heads, positions, c.width] : [b, c.heads, c.width, positions]);
  for (const c of layout.caches) {
    const empty = layout.float === 'float64' ? new Float64Array(0) : new Float32Array(0);
    feeds[c.past] = new Tensor(layout.float, empty, dims(c, 0));
  }
  const runs: number[][][] = [];
  for (let pos = prefill; ; pos++) {
    const out = await session.run(feeds);
    const logits = out['logits']!;
    expect(logits.dims.slice(0, 2)).toEqual([b, 1]);
    const vocab = logits.dims[2]!;
    const data = Array.from(logits.data as Float64Array);
    runs.push(Array.from({ length: b }, (_, r) => data.slice(r * vocab, (r + 1) * vocab)));
    for (const c of layout.caches) expect(out[c.present]!.dims).toEqual(dims(c, pos));
    if (pos === len) return runs;
    feeds['input_ids'] = ids(pos, pos + 1);
    feeds['position'] = new Tensor('int64', BigInt64Array.of(BigInt(pos)), [1]);
    for (const c of layout.caches) feeds[c.past] = out[c.present] as Tensor;
  }
}

/** Largest |got − want| over a row, divided by the row's largest |want| (the logit scale). */
function rowError(got: readonly number[], want: readonly number[]): number {
  const scale = Math.max(...want.map(Math.abs), Number.MIN_VALUE);
  let worst = 0;
  for (let v = 0; v < want.length; v++) worst = Math.max(worst, Math.abs(got[v]! - want[v]!) / scale);
  return Number.isNaN(worst) ? Infinity : worst;
}

/** Checks teacher-forced decode logits against `expected(row, position)` and returns the worst row error. */
async function worstAgainst(
  decode: InferenceSession,
  seqs: number[][],
  prefill: number,
  expected: (row: number, position: number) => readonly number[],
): Promise<number> {
  const runs = await teacherForced(decode, seqs, prefill);
  expect(runs.length).toBe(seqs[0]!.length - prefill + 1);
  let worst = 0;
  runs.forEach((rows, r) => rows.forEach((got, i) => (worst = Math.max(worst, rowError(got, expected(i, prefill - 1 + r))))));
  return worst;
}

// ---------------------------------------------------------------- greedy tokens

describe('incremental decoding gives full recompute tokens', () => {
  for (const name of EXAMPLES) {
    for (const dtype of DTYPES) {
      it(`${name} in ${dtype} on ${CASES} protocol cases`, async () => {
        const m = exampleModel(name);
        const task = m.task!;
        const prompts = protocolCases().slice(0, CASES).map((pair) => promptFor(task, operandsFromPair(task, pair)));
        const { full, decode } = await sessions(m, dtype);
        const want = await greedyDecode(full, prompts, task.decode);
        const got = await incrementalDecode(decode, prompts, task.decode);
        expect(got.tokens).toEqual(want.tokens);
        // The same model evaluated two ways: the winning logits agree to the dtype's rounding.
        const tol = dtype === 'float64' ? 1e-12 : 1e-5;
        for (let i = 0; i < want.top1Logit.length; i++) {
          const scale = Math.max(Math.abs(want.top1Logit[i]!), Math.abs(want.margins[i]!), 1);
          expect(Math.abs(got.top1Logit[i]! - want.top1Logit[i]!) / scale).toBeLessThan(tol);
        }
      });
    }
  }

  for (const dtype of DTYPES) {
    it(`inline GQA/softmax1/bias/position/RoPE model in ${dtype}, mixed prompt lengths, small batches`, async () => {
      const m = model(INLINE_MODEL);
      const { full, decode } = await sessions(m, dtype);
      // Lengths 1, 3 and 6 interleaved: grouped by length, split into batches of 4, results in order.
      const prompts = [1, 3, 6].flatMap((len, k) => randomSequences(10 + k, 9, len, 7)).sort((x, y) => x[0]! - y[0]!);
      const steps = 7;
      const want = await greedyDecode(full, prompts, steps, { batchSize: 5 });
      let progress = 0;
      const got = await incrementalDecode(decode, prompts, steps, { batchSize: 4, onProgress: (done) => (progress = done) });
      expect(got.tokens).toEqual(want.tokens);
      expect(progress).toBe(prompts.length * steps);
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      for (let i = 0; i < want.margins.length; i++) {
        expect(Math.abs(got.margins[i]! - want.margins[i]!)).toBeLessThan(tol * Math.max(1, Math.abs(want.top1Logit[i]!)));
      }
    });
  }

  for (const dtype of DTYPES) {
    it(`a score bias at the cut (not 0 below the diagonal) in ${dtype}`, async () => {
      const m = model(BIAS_AT_CUT_MODEL);
      const { full, decode } = await sessions(m, dtype);
      const prompts = [2, 5].flatMap((len, k) => randomSequences(20 + k, 8, len, 7));
      const want = await greedyDecode(full, prompts, 8);
      const got = await incrementalDecode(decode, prompts, 8, { batchSize: 3 });
      expect(got.tokens).toEqual(want.tokens);
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      for (let i = 0; i < want.margins.length; i++) {
        expect(Math.abs(got.top1Logit[i]! - want.top1Logit[i]!)).toBeLessThan(tol * Math.max(1, Math.abs(want.top1Logit[i]!)));
        expect(Math.abs(got.margins[i]! - want.margins[i]!)).toBeLessThan(tol * Math.max(1, Math.abs(want.top1Logit[i]!)));
      }
      // The bias changes the answers: without it the greedy tokens are not the same (so the check above can fail).
      const unbiased = model(BIAS_AT_CUT_MODEL.replace(/bias\(h, i, j\)[^\n]*\n/, ''));
      const plain = await greedyDecode((await sessions(unbiased, dtype)).full, prompts, 8);
      expect(plain.tokens).not.toEqual(want.tokens);
    });
  }

  it('a model without attention decodes with no cache', async () => {
    const m = model(POINTWISE_MODEL);
    const { full, decode } = await sessions(m, 'float64');
    expect(decodeLayout(decode).caches).toEqual([]);
    const prompts = randomSequences(3, 6, 2, 5);
    expect((await incrementalDecode(decode, prompts, 5)).tokens).toEqual((await greedyDecode(full, prompts, 5)).tokens);
  });

  it('zero steps and refusal of a main graph', async () => {
    const m = model(INLINE_MODEL);
    const { full, decode } = await sessions(m, 'float64');
    expect(await incrementalDecode(decode, [[1, 2]], 0)).toEqual({ tokens: [[]], margins: new Float64Array(0), top1Logit: new Float64Array(0) });
    await expect(incrementalDecode(full, [[1, 2]], 3)).rejects.toThrow(/not an incremental decoding graph/);
  });
});

// ---------------------------------------------------------------- every adder

describe('every adder: incremental decoding against full recompute', () => {
  // The digit-task adders; the any-length adder (a token-string task) has its own case below.
  const adders = readdirSync(new URL('../examples/adder/', import.meta.url))
    .filter((f) => f.endsWith('.hw') && !f.includes('anylen'))
    .map((f) => f.replace(/\.hw$/, ''));
  it('finds the eight digit-task adders', () => expect(adders.length).toBe(8));
  it('adder-5p-anylen: same tokens, float64 margins bit for bit, on operands of 1 to 30 digits', async () => {
    const m = exampleModel('adder-5p-anylen');
    const id = (t: string) => m.tokenNames!.indexOf(t);
    let seed = 7;
    const digit = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 10;
    };
    const number = (len: number) => Array.from({ length: len }, () => id(String(digit())));
    const prompts = Array.from({ length: 60 }, (_, i) => [id('BOS'), ...number(1 + (i % 30)), id('+'), ...number(1 + ((i * 7) % 30)), id('=')]);
    for (const dtype of DTYPES) {
      const { full, decode } = await sessions(m, dtype);
      const want = await greedyDecode(full, prompts, 32);
      const got = await incrementalDecode(decode, prompts, 32);
      expect(got.tokens, dtype).toEqual(want.tokens);
      if (dtype === 'float64') expect(Array.from(got.margins)).toEqual(Array.from(want.margins));
    }
  });
  for (const name of adders) {
    it(`${name}: same tokens, float64 margins and top-1 logits bit for bit (the GQA one to 1e-15 relative), float32 tokens in its own dtype`, async () => {
      const m = exampleModel(name);
      const task = m.task!;
      const prompts = protocolCases().slice(0, 120).map((pair) => promptFor(task, operandsFromPair(task, pair)));
      for (const dtype of DTYPES) {
        // The float64-only designs (e^80, 1e18 values) are not decoded alike by two float32 graphs.
        if (dtype === 'float32' && m.dtype === 'float64') continue;
        const { full, decode } = await sessions(m, dtype);
        const want = await greedyDecode(full, prompts, task.decode);
        const got = await incrementalDecode(decode, prompts, task.decode);
        expect(got.tokens, `${name} ${dtype}`).toEqual(want.tokens);
        if (dtype === 'float32') continue;
        // The GQA design's key/value heads are gathered per query head: a different MatMul layout
        // from the main graph's, the one place where rounding differs (docs/benchmarks.md, Exactness).
        const gqa = name.includes('gqa');
        for (let i = 0; i < want.margins.length; i++) {
          const scale = Math.max(1, Math.abs(want.top1Logit[i]!));
          if (gqa) {
            expect(Math.abs(got.margins[i]! - want.margins[i]!) / scale).toBeLessThan(1e-15);
            expect(Math.abs(got.top1Logit[i]! - want.top1Logit[i]!) / scale).toBeLessThan(1e-15);
          } else {
            expect(Object.is(got.margins[i], want.margins[i]), `${name} margin ${i}`).toBe(true);
            expect(Object.is(got.top1Logit[i], want.top1Logit[i]), `${name} top-1 logit ${i}`).toBe(true);
          }
        }
      }
    });
  }
});

// ---------------------------------------------------------------- logits, float64

describe('decode graph logits in float64', () => {
  for (const name of EXAMPLES) {
    it(`${name}: prefill + steps equal the main graph to 1e-12 and the spec reference to 1e-9`, async () => {
      const m = exampleModel(name);
      const task = m.task!;
      const { full, decode } = await sessions(m, 'float64');
      // Real prompts followed by arbitrary digits, so the steps see tokens greedy decoding would not pick.
      const pairs = protocolCases().slice(0, 12);
      const prompts = pairs.map((pair) => promptFor(task, operandsFromPair(task, pair)));
      const tails = randomSequences(7, prompts.length, task.decode - 1, m.vocab);
      const seqs = prompts.map((p, i) => [...p, ...tails[i]!]);
      const len = seqs[0]!.length;
      const fullOut = await runLogits(full, BigInt64Array.from(seqs.flat().map(BigInt)), seqs.length, len);
      const fullRow = (row: number, pos: number) => Array.from(fullOut.data.subarray((row * len + pos) * m.vocab, (row * len + pos + 1) * m.vocab));
      expect(await worstAgainst(decode, seqs, task.prompt.length, fullRow)).toBeLessThanOrEqual(1e-12);

      // Against the spec's reference on the sequences the design is made for: prompt + the true sum's
      // digits (least significant first, as both examples answer). Off those, hinges can sit in their
      // linear region and amplify float64 rounding of the attention average well past 1e-9.
      expect(task.answer).toBe('lsb');
      const ref: ReferenceDesign = (await import(`./reference/${name}.ts`)).design;
      const answered = pairs.map(([a, b], i) => [...prompts[i]!, ...Array.from({ length: task.decode - 1 }, (_, k) => Math.floor((a + b) / 10 ** k) % 10)]);
      const refLogits = answered.map((s) => ref.logits(s));
      expect(await worstAgainst(decode, answered, task.prompt.length, (row, pos) => refLogits[row]![pos]!)).toBeLessThan(1e-9);
    });
  }

  it('inline model: every prefill length and every step equal the main graph to 1e-12', async () => {
    const m = model(INLINE_MODEL);
    const { full, decode } = await sessions(m, 'float64');
    const seqs = randomSequences(42, 5, m.context, m.vocab);
    const len = seqs[0]!.length;
    const fullOut = await runLogits(full, BigInt64Array.from(seqs.flat().map(BigInt)), seqs.length, len);
    const fullRow = (row: number, pos: number) => Array.from(fullOut.data.subarray((row * len + pos) * m.vocab, (row * len + pos + 1) * m.vocab));
    for (const prefill of [1, 2, 7, len]) {
      expect(await worstAgainst(decode, seqs, prefill, fullRow)).toBeLessThanOrEqual(1e-12);
    }
  });
});

// ---------------------------------------------------------------- graph contract

const DEBIAN_PYTHON = '/usr/bin/python3';
const CHECK_SCRIPT = 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)';
let workDir = '';
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'handwire-decode-'));
});
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('decode graph contract', () => {
  const cases: [string, () => CheckedModel][] = [
    ...EXAMPLES.map((n): [string, () => CheckedModel] => [n, () => exampleModel(n)]),
    ['inline', () => model(INLINE_MODEL)],
    ['pointwise', () => model(POINTWISE_MODEL)],
  ];
  for (const [name, get] of cases) {
    it(`${name}: Debian's onnx checker accepts the decode graph in both dtypes`, () => {
      for (const dtype of DTYPES) {
        const file = join(workDir, `${name}-${dtype}.onnx`);
        writeFileSync(file, irToOnnx(modelToDecodeIr(get(), { dtype })));
        const r = spawnSync(DEBIAN_PYTHON, ['-c', CHECK_SCRIPT, file], { encoding: 'utf8' });
        expect(r.error).toBeUndefined();
        expect(r.stderr.trim().split('\n').pop() ?? '', `${name} ${dtype}`).not.toMatch(/Error/);
        expect(r.status).toBe(0);
      }
    });
  }

  it('inputs and outputs: one cache pair per attention application, kv_heads wide', () => {
    const io = (g: ReturnType<typeof modelToDecodeIr>) => [...g.inputs, ...g.outputs].map((i) => `${i.name}[${i.shape.join(',')}]`);
    // As the shared lowering builds it: every cache [batch, kv_heads, positions, width].
    expect(io(modelToDecodeIr(model(INLINE_MODEL), { dtype: 'float64', fast: false }))).toEqual([
      'input_ids[batch,seq]', 'position[1]',
      'past_k_0[batch,2,past,2]', 'past_v_0[batch,2,past,2]',
      'past_k_1[batch,2,past,2]', 'past_v_1[batch,2,past,1]',
      'logits[batch,1,7]',
      'present_k_0[batch,2,total,2]', 'present_v_0[batch,2,total,2]',
      'present_k_1[batch,2,total,2]', 'present_v_1[batch,2,total,1]',
    ]);
    // Fast: keys by width (as q·kᵀ reads them); in float32 the last attention's values too (dot attention).
    expect(io(modelToDecodeIr(model(INLINE_MODEL), { dtype: 'float64' }))).toEqual([
      'input_ids[batch,seq]', 'position[1]',
      'past_k_0[batch,2,2,past]', 'past_v_0[batch,2,past,2]',
      'past_k_1[batch,2,2,past]', 'past_v_1[batch,2,past,1]',
      'logits[batch,1,7]',
      'present_k_0[batch,2,2,total]', 'present_v_0[batch,2,total,2]',
      'present_k_1[batch,2,2,total]', 'present_v_1[batch,2,total,1]',
    ]);
    expect(io(modelToDecodeIr(model(INLINE_MODEL), { dtype: 'float32' }))).toEqual([
      'input_ids[batch,seq]', 'position[1]',
      'past_k_0[batch,2,2,past]', 'past_v_0[batch,2,past,2]',
      'past_k_1[batch,2,2,past]', 'past_v_1[batch,2,1,past]',
      'logits[batch,1,7]',
      'present_k_0[batch,2,2,total]', 'present_v_0[batch,2,total,2]',
      'present_k_1[batch,2,2,total]', 'present_v_1[batch,2,1,total]',
    ]);
  });

  it('the fast graph\'s (token, position) tables are folded when ORT loads it: none of that chain runs per step', async () => {
    const m = exampleModel('adder-10p-rope19');
    for (const dtype of DTYPES) {
      const ran = async (fast: boolean) => {
        const file = join(workDir, `optimized-${dtype}-${fast}.onnx`);
        const s = await InferenceSession.create(Buffer.from(irToOnnx(modelToDecodeIr(m, { dtype, fast }))), {
          graphOptimizationLevel: dtype === 'float64' ? 'basic' : 'all', // as openSession chooses
          optimizedModelFilePath: file,
          logSeverityLevel: 3,
        });
        await s.release();
        return fromBinary(ModelProtoSchema, readFileSync(file)).graph!.node.map((n) => n.name);
      };
      const [plain, fast] = [await ran(false), await ran(true)];
      const written = modelToDecodeIr(m, { dtype }).nodes.map((n) => n.name);
      // The chain over the tables is in the graph as written, and gone from what ORT runs.
      expect(written.filter((n) => n.includes('.table.')).length, dtype).toBeGreaterThan(10);
      expect(fast.filter((n) => n.includes('.table.')), dtype).toEqual([]);
      expect(fast.length, dtype).toBeLessThan(plain.length - 20);
    }
  });

  it('refuses a model whose attention sees later positions', () => {
    const m = model(NON_CAUSAL_MODEL);
    expect(decodeUnsupportedReason(m)).toMatch(/not causal/);
    expect(() => modelToDecodeIr(m)).toThrow(/needs a causal model/);
    expect(decodeUnsupportedReason(model(INLINE_MODEL))).toBeUndefined();
  });
});
