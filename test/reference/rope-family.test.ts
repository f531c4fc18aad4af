// Checks of the independent float64 references for the RoPE-19 family (6p, 10p, 20p) and the
// 121p Qwen3 design, against the specs in docs/designs/.
import { describe, expect, it } from 'vitest';
import { type ReferenceDesign, greedyAdd, greedyDecode, topTwoGap, PROTOCOL_EDGE_CASES } from './common.ts';
import * as r6 from './adder-6p-rope19.ts';
import * as r10 from './adder-10p-rope19.ts';
import * as r20 from './adder-20p-rope19-relu.ts';
import * as r121 from './adder-121p-qwen3-gqa.ts';
// Only the seeded inputs come from src/; the reference evaluators themselves import nothing from it.
import { mulberry32 } from '../../src/util/rng.ts';

/** The ten fixed AdderBoard edge cases (README "Cases", item 1; the repeated pair is kept). */
const EDGE_CASES = PROTOCOL_EDGE_CASES;

/** 200 pairs in [0, 9_999_999_999], each addend built from two 5-digit halves. */
function randomPairs(seed: number, count: number): [number, number][] {
  const rnd = mulberry32(seed);
  const draw = () => Math.floor(rnd() * 1e5) * 1e5 + Math.floor(rnd() * 1e5);
  return Array.from({ length: count }, () => [draw(), draw()] as [number, number]);
}
const RANDOM_PAIRS = randomPairs(20250601, 200);
const ALL_CASES = [...EDGE_CASES, ...RANDOM_PAIRS];

function expectRel(actual: number, printed: number, label: string): void {
  const rel = Math.abs(actual - printed) / Math.abs(printed);
  expect(rel, `${label}: formula ${actual} vs spec ${printed}`).toBeLessThanOrEqual(1e-12);
}

describe('formula constants reproduce the float64 values printed in the specs', () => {
  it('adder-6p-rope19 §4', () => {
    const table: [string, number, number][] = [
      ['ω', r6.OMEGA, 0.3306939635357677],
      ['φ', r6.PHI, 3.4061478244184076],
      ['cos φ', Math.cos(r6.PHI), -0.9652089102773487],
      ['−sin φ', -Math.sin(r6.PHI), 0.26147994095381993],
      ['A', r6.A, 105.83529976989995],
      ['QK scale', r6.QK_SCALE, 8.650829911413545],
      ['ATTN_SCALE', r6.ATTN_SCALE, 52.91764988494996],
      ['N0', r6.N0, 70.71067811865476],
      ['N1', r6.N1, -14.142135623730951],
      ['embed_w0', r6.W0, 1000],
      ['embed_w1', r6.W1, 0.001],
      ['v_proj_w', r6.V_W, -15556.349186104044],
      ['G0', r6.G0, -12031.999999999998],
      ['G1', r6.G1, 127999.99999999997],
      ['C', r6.C, 0.390625],
    ];
    for (const [label, v, printed] of table) expectRel(v, printed, label);
  });

  it('adder-10p-rope19 §4 (float64 formula values)', () => {
    const table: [string, number, number][] = [
      ['ω', r10.OMEGA, 0.3306939635357677],
      ['φ', r10.PHI, 3.4061478244184076],
      ['A', r10.A, 105.83529976989995],
      ['Q', r10.Q, 8.650829911413545],
      ['s', r10.S, 52.91764988494996],
      ['e0', r10.e[0]!, 1000],
      ['e1', r10.e[1]!, 0.001],
      ['wq0', r10.wq[0]!, -0.9652089102773487],
      ['wq1', r10.wq[1]!, 0.26147994095381993],
      ['wv', r10.wv, -15556.349186104044],
      ['G0', r10.G[0]!, -12031.999999999998],
      ['G1', r10.G[1]!, 127999.99999999997],
      ['C', r10.C, 0.390625],
      ['n0', r10.n[0]!, 70.71067811865474],
      ['n1', r10.n[1]!, -14.14213562373095],
    ];
    for (const [label, v, printed] of table) expectRel(v, printed, label);
  });

  it('adder-20p-rope19-relu §4 (float64 formula values)', () => {
    const table: [string, number, number][] = [
      ['ω', r20.OMEGA, 0.3306939635357677],
      ['A', r20.A, 105.83529976989995],
      ['K0', r20.K0, 1000],
      ['Qd', r20.Qd, -0.001],
      ['K0·Qd', r20.K0 * r20.Qd, -1],
      ['qs', r20.qs, 8.650829911413545],
      ['qφ', r20.qphi, -3.4061478244184076],
      ['c', r20.c, 0.5524271728019903],
      ['vs', r20.vs, -25487.522506512865],
      ['Ga', r20.Ga, -12031.999999999998],
      ['Gs', r20.Gs, 127.99999999999999],
      ['n0', r20.n[0]!, 70.71067811865474],
      ['n1', r20.n[1]!, -14.14213562373095],
    ];
    for (const [label, v, printed] of table) expectRel(v, printed, label);
    expect(r20.t).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('adder-121p-qwen3-gqa §4', () => {
    const qPrinted = [
      [-0.5328330203333975, 0.8462204041751706],
      [0.004425697988050785, 0.9999902065507035],
      [-0.9999608263946371, 0.008851309290403876],
      [-0.8390715290764524, 0.5440211108893698],
    ];
    const table: [string, number, number][] = [
      ['D', r121.D, 577.3502691896258],
      ['σ', r121.SIGMA, 0.02886751345948129],
      ['v_proj[0,1]', r121.Wv[0]![1]!, 577.3502691896258],
      ['gate[0,0]', r121.Wg[0]![0]!, -2170.837012152993],
      ['gate[0,1]', r121.Wg[0]![1]!, -23094.01076758503],
      ['gate[0,2]', r121.Wg[0]![2]!, 230940.10767585033],
      ['gate[1,0]', r121.Wg[1]![0]!, -2182.3840175367854],
      ['gate[1,1]', r121.Wg[1]![1]!, -23094.01076758503],
      ['gate[1,2]', r121.Wg[1]![2]!, 230940.10767585033],
      ['down[2,0]', r121.Wd[2]![0]!, -0.2886751345948129],
      ['down[2,1]', r121.Wd[2]![1]!, 0.2886751345948129],
      ['norm[0]', r121.NORM_W[0]!, 0.5773502691896258],
      ['norm[1]', r121.NORM_W[1]!, -0.02886751345948129],
      ['norm[2]', r121.NORM_W[2]!, 577.3502691896258],
    ];
    qPrinted.forEach(([cosO, negSinO], hd) => {
      table.push([`q_proj head ${hd} cos`, r121.Wq[2 * hd]![0]!, cosO!]);
      table.push([`q_proj head ${hd} −sin`, r121.Wq[2 * hd + 1]![0]!, negSinO!]);
    });
    for (const [label, v, printed] of table) expectRel(v, printed, label);
  });
});

const DESIGNS: ReferenceDesign[] = [r6.design, r10.design, r20.design, r121.design];

describe.each(DESIGNS.map((d) => [d.name, d] as const))('%s greedy addition in float64', (_, design) => {
  it('is exact on the 10 AdderBoard edge cases', () => {
    for (const [a, b] of EDGE_CASES) expect(greedyAdd(design, a, b), `${a} + ${b}`).toBe(a + b);
  });

  it('is exact on 200 seeded random pairs; reports the min top-two logit gap', () => {
    const failures: string[] = [];
    let minGap = Infinity;
    let minAt = '';
    for (const [a, b] of ALL_CASES) {
      const { generated, stepLogits } = greedyDecode(design, a, b);
      const got = design.readAnswer(generated);
      if (got !== a + b) failures.push(`${a} + ${b} = ${a + b}, got ${got}`);
      stepLogits.forEach((row, k) => {
        const gap = topTwoGap(row);
        if (gap < minGap) {
          minGap = gap;
          minAt = `${a} + ${b}, step ${k} (digit ${generated[k]})`;
        }
      });
    }
    console.log(`[${design.name}] min top-two logit gap over ${ALL_CASES.length} cases: ${minGap} at ${minAt}`);
    expect(failures).toEqual([]);
    expect(minGap).toBeGreaterThan(0);
  });
});

describe('6p and 10p are the same network (10p spec intro: the 6p folds the final-norm weights)', () => {
  it('logits agree to 1e-9 relative on every decoded sequence', () => {
    let worst = 0;
    for (const [a, b] of ALL_CASES.slice(0, 60)) {
      const tokens = [...r6.design.prompt(a, b), ...greedyDecode(r6.design, a, b).generated];
      const l6 = r6.design.logits(tokens);
      const l10 = r10.design.logits(tokens);
      l6.forEach((row, i) => {
        const scale = Math.max(...row.map(Math.abs));
        row.forEach((v, d) => {
          worst = Math.max(worst, Math.abs(v - l10[i]![d]!) / scale);
        });
      });
    }
    console.log(`[6p vs 10p] worst relative logit difference: ${worst}`);
    expect(worst).toBeLessThanOrEqual(1e-9);
  });
});
