// Checks of the independent float64 references for the sinpe11 (130p, 50p) and ALiBi (33p, 36p)
// designs in docs/designs/: printed constants are reproduced by their formulas, and greedy
// decoding adds correctly on the AdderBoard edge cases and on seeded random pairs.
import { describe, expect, it } from 'vitest';
import { type ReferenceDesign, greedyAdd, greedyDecode, topTwoGap, PROTOCOL_EDGE_CASES } from './common.ts';
import * as r130 from './adder-130p-nanogpt-sinpe11.ts';
import * as r50 from './adder-50p-sinpe11.ts';
import * as r33 from './adder-33p-alibi-fixedmask.ts';
import * as r36 from './adder-36p-alibi-2layer.ts';
// Only the seeded inputs come from src/; the reference evaluators themselves import nothing from it.
import { mulberry32Uint32 } from '../../src/util/rng.ts';

const DESIGNS: ReferenceDesign[] = [r130.design, r50.design, r33.design, r36.design];

/** |got − want| ≤ 1e-12·|want|. */
function expectRel(got: number, want: number): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.abs(want));
}

const EDGE = PROTOCOL_EDGE_CASES;

/** Seeded 32-bit draws (mulberry32); two of them give a 53-bit uniform in [0, 1). */
function randomPairs(n: number, seed: number): Array<[number, number]> {
  const next32 = mulberry32Uint32(seed);
  const operand = (): number => Math.floor((((next32() >>> 5) * 2 ** 26 + (next32() >>> 6)) / 2 ** 53) * 1e10);
  return Array.from({ length: n }, () => [operand(), operand()]);
}

describe('printed constants are reproduced by their formulas (float64)', () => {
  it('130p §3.2 Q rows', () => {
    const W = r130.C_ATTN;
    expectRel(W[0]![1]!, 14.231483827328523);
    expectRel(W[0]![2]!, -98.98214418809327);
    expectRel(W[1]![1]!, -98.98214418809327);
    expectRel(W[1]![2]!, -14.231483827328523);
    expectRel(W[2]![1]!, -41.54150130018861);
    expectRel(W[2]![2]!, -90.96319953545185);
    expectRel(W[3]![1]!, -90.96319953545185);
    expectRel(W[3]![2]!, 41.54150130018861);
  });
  it('50p §3.3/§4 query angles (float64, and their float32 storage)', () => {
    expectRel(r50.ALPHA[0]!, 4.569589314312426);
    expectRel(r50.ALPHA[1]!, 5.140787978601479);
    expect(Math.fround(r50.ALPHA[0]!)).toBe(4.569589138031006);
    expect(Math.fround(r50.ALPHA[1]!)).toBe(5.1407880783081055);
  });
  it('33p §3.3 e^80 and §3.4 b1', () => {
    expectRel(r33.E80, 5.54062238439351e34);
    [-0.99999999999, -0.999999999995, -9.99999999999, -9.999999999995].forEach((v, m) =>
      expectRel(r33.B1[m]!, v),
    );
  });
  it('36p §3 V1, V2, slope ln 10, u_m', () => {
    expectRel(r36.V1, 2.3538526683701942e17);
    expectRel(r36.V2, -2.589237935207214e18);
    expectRel(r36.SLOPE3, Math.LN10);
    expect(r36.U).toEqual([5e11, 1.5e12, 2.5e12, 3.5e12, 4.5e12, 5.5e12, 6.5e12, 7.5e12, 8.5e12, 9.5e12, 1e10]);
  });
});

const RANDOM = randomPairs(200, 20250101);

describe.each(DESIGNS.map((d) => [d.name, d] as const))('%s', (_name, design) => {
  it('adds the 10 AdderBoard edge cases', () => {
    for (const [a, b] of EDGE) expect(greedyAdd(design, a, b), `${a} + ${b}`).toBe(a + b);
  });

  it('adds 200 seeded random pairs; logs the smallest top-two gap', () => {
    let minGap = Infinity;
    let where = '';
    for (const [a, b] of [...EDGE, ...RANDOM]) {
      const { generated, stepLogits } = greedyDecode(design, a, b);
      expect(design.readAnswer(generated), `${a} + ${b}`).toBe(a + b);
      stepLogits.forEach((row, step) => {
        const g = topTwoGap(row);
        if (g < minGap) [minGap, where] = [g, `${a} + ${b}, step ${step}`];
      });
    }
    console.log(`[${design.name}] smallest top-two logit gap ${minGap} at ${where}`);
    expect(minGap).toBeGreaterThan(0);
  });
});

describe('36p: a near-tie that the literal §3 forward pass decides wrongly', () => {
  // y_m = r[m] + f_m adds the un-scaled r[0..9] (§3 "Layer 1 FFN and output"): predicting place
  // p = 9 of 4999999999 + 0 (i = 23), r[5] − r[4] = −0.5·10^12/25 = −2e10, while the distance terms
  // differ by only 1e6·(10^12/25)·2·(1 − frac(4.999999999 + ε)) ≈ 5e7 in favour of digit 4, so
  // argmin picks 5; the remainder R is then −1 and every later digit reads 0. This follows from the
  // spec's formulas in exact arithmetic too; it is not a float64 artefact.
  it('4999999999 + 0 decodes as 5000000000', () => {
    expect(greedyAdd(r36.design, 4_999_999_999, 0)).toBe(5_000_000_000);
  });
});
