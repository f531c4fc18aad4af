// examples/zoo/parity.hw, the real compiled model through onnxruntime: every bit string up to length
// 12, and 1,000 seeded random strings in each of five length buckets up to 1000 (with every length
// 1..1000 run at least once), in float32 and float64. Each model is compiled once and serves all
// lengths; the model reads its sequence length N, so strings cannot be padded into one batch, and
// each length runs as one batch of all its strings. The expected answer is the parity computed
// here by XOR; the margin is checked against the design's 2√6 (docs/zoo/parity.md), which must not
// shrink with the length. scripts/parity-sweep.ts is the longer sweep of the docs' table.
import { readFileSync } from 'node:fs';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { ContextLengthError, openSession, runLogits } from '../src/runtime/session.ts';
import { mulberry32 } from '../src/util/rng.ts';

const SOURCE = readFileSync(new URL('../examples/zoo/parity.hw', import.meta.url), 'utf8');
const BOS = 2;
const MAX_BITS = 1000;

/** The model's answer for each string (0 even, 1 odd) and its margin, one batch per length. */
async function answers(session: InferenceSession, strings: number[][]): Promise<{ answer: number; margin: number }[]> {
  const n = strings[0]!.length;
  const seq = n + 1;
  const ids = new BigInt64Array(strings.length * seq);
  strings.forEach((bits, r) => {
    ids[r * seq] = BigInt(BOS);
    bits.forEach((b, i) => (ids[r * seq + 1 + i] = BigInt(b)));
  });
  const { data, vocab } = await runLogits(session, ids, strings.length, seq, { context: MAX_BITS + 1 });
  return strings.map((_, r) => {
    const at = (r * seq + seq - 1) * vocab;
    const [even, odd, bos] = [data[at]!, data[at + 1]!, data[at + 2]!];
    expect(bos).toBe(-Infinity);
    return { answer: odd > even ? 1 : 0, margin: Math.abs(odd - even) };
  });
}

const parity = (bits: readonly number[]) => bits.reduce((a, b) => a ^ b, 0);

/** Every string of n bits, as the binary digits of 0 .. 2^n − 1. */
function allStrings(n: number): number[][] {
  return Array.from({ length: 2 ** n }, (_, v) => Array.from({ length: n }, (_, i) => (v >> i) & 1));
}

/** A random string whose density of ones is itself random, so counts near 0 and n come up too. */
function randomString(rng: () => number, n: number): number[] {
  const density = rng();
  return Array.from({ length: n }, () => (rng() < density ? 1 : 0));
}

const PER_BUCKET = 1000;
const BUCKETS = [[13, 100], [101, 250], [251, 500], [501, 750], [751, MAX_BITS]] as const;

/** A bucket's strings by length (one batch each): PER_BUCKET seeded random strings of random
 * lengths in lo..hi, and one more at every length there, all ones (the count whose mark is
 * noisiest, scripts/parity-sweep.ts) at even lengths and random at odd ones. Lengths 1..12 get all
 * their strings in their own test. */
function bucketStrings(dtype: FloatDType, lo: number, hi: number): Map<number, number[][]> {
  const rng = mulberry32((dtype === 'float32' ? 2022 : 2023) * 1009 + lo);
  const byLength = new Map<number, number[][]>();
  const add = (bits: number[]) => byLength.set(bits.length, [...(byLength.get(bits.length) ?? []), bits]);
  for (let s = 0; s < PER_BUCKET; s++) add(randomString(rng, lo + Math.floor(rng() * (hi - lo + 1))));
  for (let n = lo; n <= hi; n++) add(n % 2 === 0 ? Array(n).fill(1) : randomString(rng, n));
  return byLength;
}

// The design's margin after the final LayerNorm (gain 1): 2√6, up to the dtype's rounding.
const MARGIN = 2 * Math.sqrt(6);

describe.each(['float32', 'float64'] as FloatDType[])('parity, %s, compiled once', (dtype) => {
  let session: InferenceSession;
  const tolerance = dtype === 'float32' ? 1e-5 : 1e-12;
  beforeAll(async () => {
    const out = compileSource(SOURCE, { dtype });
    expect(out.diagnostics).toEqual([]);
    session = (await openSession(out.onnx!, { dtype })).session;
  });
  afterAll(async () => {
    await session?.release();
  });

  /** Checks every answer of one batch (strings of one length); returns the smallest margin. */
  const check = async (strings: number[][]): Promise<number> => {
    const got = await answers(session, strings);
    strings.forEach((bits, r) => expect(got[r]!.answer, `${bits.join('')}`).toBe(parity(bits)));
    return Math.min(...got.map((g) => g.margin));
  };

  it('is right on every string of length 1..12', async () => {
    let worst = Infinity;
    for (let n = 1; n <= 12; n++) worst = Math.min(worst, await check(allStrings(n)));
    expect(Math.abs(worst - MARGIN)).toBeLessThan(tolerance * MARGIN);
  });

  // Per bucket rather than in one test, so each has its own time limit and a failure names its bucket.
  it.each(BUCKETS)(`is right on ${PER_BUCKET} random strings of length %i..%i, and on one more at every length there`, async (lo, hi) => {
    const byLength = bucketStrings(dtype, lo, hi);
    expect([...byLength.values()].reduce((a, l) => a + l.length, 0)).toBe(PER_BUCKET + hi - lo + 1);
    let worst = Infinity;
    for (const strings of byLength.values()) worst = Math.min(worst, await check(strings));
    expect(Math.abs(worst - MARGIN)).toBeLessThan(tolerance * MARGIN);
  }, 900_000);

  it('refuses a string longer than 1000 bits before onnxruntime runs', async () => {
    await expect(answers(session, [Array(MAX_BITS + 1).fill(1)])).rejects.toThrow(ContextLengthError);
  });
});
