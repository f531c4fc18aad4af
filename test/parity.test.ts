// examples/zoo/parity.hw, the real compiled model through onnxruntime: every bit string up to length
// 12, and seeded random strings in length buckets up to 1000 (with every length 1..1000 run at least
// once), in float32 and float64. CI runs 200 strings a bucket to stay near a minute;
// scripts/parity-sweep.ts runs 1,000 a bucket and reports (docs/zoo/parity.md). Each model is compiled once and serves all lengths. The expected
// answer is the parity computed here by XOR; the margin is checked against the design's 2√6
// (docs/zoo/parity.md), which must not shrink with the length.
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

// The design's margin after the final LayerNorm (gain 1): 2√6, up to the dtype's rounding.
const MARGIN = 2 * Math.sqrt(6);

describe.each(['float32', 'float64'] as FloatDType[])('parity, %s, compiled once', (dtype) => {
  let session: InferenceSession;
  let worst = Infinity;
  const tolerance = dtype === 'float32' ? 1e-5 : 1e-12;
  beforeAll(async () => {
    const out = compileSource(SOURCE, { dtype });
    expect(out.diagnostics).toEqual([]);
    session = (await openSession(out.onnx!, { dtype })).session;
  });
  afterAll(async () => {
    await session?.release();
  });

  const check = async (strings: number[][]) => {
    const got = await answers(session, strings);
    strings.forEach((bits, r) => {
      expect(got[r]!.answer, `${bits.join('')}`).toBe(parity(bits));
      worst = Math.min(worst, got[r]!.margin);
    });
  };

  it('is right on every string of length 1..12', async () => {
    for (let n = 1; n <= 12; n++) await check(allStrings(n));
    expect(Math.abs(worst - MARGIN)).toBeLessThan(tolerance * MARGIN);
  });

  it('is right on 200 random strings in each length bucket up to 1000, and at every length', async () => {
    const rng = mulberry32(dtype === 'float32' ? 2022 : 2023);
    const buckets = [[13, 100], [101, 250], [251, 500], [501, 750], [751, MAX_BITS]] as const;
    for (const [lo, hi] of buckets) {
      const byLength = new Map<number, number[][]>();
      for (let s = 0; s < 200; s++) {
        const n = lo + Math.floor(rng() * (hi - lo + 1));
        byLength.set(n, [...(byLength.get(n) ?? []), randomString(rng, n)]);
      }
      for (const strings of byLength.values()) await check(strings);
    }
    // Every length once more: all ones (the count whose mark is noisiest, scripts/parity-sweep.ts) at
    // even lengths, a random string at odd ones.
    for (let n = 1; n <= MAX_BITS; n++) await check([n % 2 === 0 ? Array(n).fill(1) : randomString(rng, n)]);
    expect(Math.abs(worst - MARGIN)).toBeLessThan(tolerance * MARGIN);
  }, 120_000);

  it('refuses a string longer than 1000 bits before onnxruntime runs', async () => {
    await expect(answers(session, [Array(MAX_BITS + 1).fill(1)])).rejects.toThrow(ContextLengthError);
  });
});
