// The per-term rounding rule for short MatMuls (float-model.ts, `perTermSumError`) and the logit
// grid (search/certify.ts, `logitGrid`) against float32 arithmetic done step by step with
// Math.fround: every summation order, with and without FMA, on adversarial inputs (values just
// under and over powers of two, cancelling terms, logit-sized terms as in the 10p's head).
import { describe, expect, it } from 'vitest';
import { AffineTensor } from '../src/prove/domains/affine-tensor.ts';
import { decide } from '../src/prove/search/certify.ts';
import { accumulationError, exactProduct, floatModel, perTermSumError, roundingError } from '../src/prove/ops/float-model.ts';

const F32 = floatModel('float32');
const f = Math.fround;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Every value a runtime can compute for Σ w_i x_i: each tree of additions over every order of
 * the terms, products rounded or fused into the addition that first uses them (FMA). Exact
 * reference products are float64 (exact for two float32 values). */
function allResults(w: number[], x: number[]): number[] {
  const out: number[] = [];
  const n = w.length;
  // A leaf is [value, pendingProduct]: pending products are not yet rounded (FMA candidates).
  type Node = { v: number; raw?: number };
  const combine = (nodes: Node[]) => {
    if (nodes.length === 1) {
      const r = nodes[0]!;
      out.push(r.raw !== undefined ? f(r.raw) : r.v);
      return;
    }
    for (let i = 0; i < nodes.length; i++) {
      for (let j = 0; j < nodes.length; j++) {
        if (i === j) continue;
        const a = nodes[i]!;
        const b = nodes[j]!;
        const rest = nodes.filter((_, k) => k !== i && k !== j);
        const av = a.raw !== undefined ? f(a.raw) : a.v;
        const bv = b.raw !== undefined ? f(b.raw) : b.v;
        combine([...rest, { v: f(av + bv) }]);
        // FMA: a's product unrounded, b already a float.
        if (a.raw !== undefined) combine([...rest, { v: f(a.raw + bv) }]);
      }
    }
  };
  combine(Array.from({ length: n }, (_, i) => ({ v: NaN, raw: w[i]! * x[i]! })));
  return out;
}

function oldBound(w: number[], x: number[]): number {
  return accumulationError(F32, w.length, w.reduce((s, wi, i) => s + Math.abs(wi * x[i]!), 0));
}

function newBound(w: number[], x: number[]): number {
  let total = 0;
  let productError = 0;
  let n = 0;
  let exact = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    n++;
    const p = Math.abs(w[i]! * x[i]!);
    total += p;
    exact += w[i]! * x[i]!;
    if (!exactProduct(F32, w[i]!, x[i]!)) productError += roundingError(F32, p);
  }
  return perTermSumError(F32, n, productError, total, Math.abs(exact));
}

describe('roundingError: half the float32 spacing of the binade', () => {
  it('bounds fround of every value up to m, and is exactly half an ULP at powers of two', () => {
    const r = rng(7);
    for (let k = 0; k < 2000; k++) {
      const e = Math.floor(r() * 40) - 20;
      const m = 2 ** e * (1 + r());
      for (const z of [m, m * r(), 2 ** e, 2 ** (e + 1) * (1 - 2 ** -30)]) {
        if (z > m) continue;
        expect(Math.abs(f(z) - z)).toBeLessThanOrEqual(roundingError(F32, m));
      }
    }
    // 1e5 lies in [2^16, 2^17): half its ULP is 2^-8, against u·1e5 ≈ 0.006.
    expect(roundingError(F32, 1e5)).toBe(2 ** -8);
    expect(roundingError(F32, 1024)).toBe(2 ** -14);
  });
});

describe('perTermSumError: any order, with or without FMA', () => {
  const cases: [string, () => [number[], number[]]][] = [
    ['two logit-sized terms (the 10p head)', () => [[f(999.919), f(-8)], [f(99.66), f(2.5)]]],
    ['three terms near a power of two', () => [[f(1000 - 2.5e-4 * 9), f(3), f(5e-4 * 3)], [f(1.0232), f(0.4), f(77.3)]]],
    ['cancelling terms', () => [[f(1), f(-1), f(1)], [f(1 + 2 ** -20), f(1), f(3e-5)]]],
  ];
  it.each(cases)('%s', (_, make) => {
    const [w, x] = make();
    const exact = w.reduce((s, wi, i) => s + wi * x[i]!, 0);
    const bound = newBound(w, x);
    for (const v of allResults(w, x)) expect(Math.abs(v - exact)).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(oldBound(w, x));
  });

  it('random short sums of up to 4 terms, adversarial magnitudes', () => {
    const r = rng(11);
    let checked = 0;
    for (let k = 0; k < 300; k++) {
      const n = 2 + Math.floor(r() * 3);
      const w = Array.from({ length: n }, () => f((r() < 0.5 ? -1 : 1) * 2 ** Math.floor(r() * 20 - 10) * (1 + r())));
      const x = Array.from({ length: n }, () => f((r() < 0.5 ? -1 : 1) * 2 ** Math.floor(r() * 20 - 10) * (1 + r())));
      const exact = w.reduce((s, wi, i) => s + wi * x[i]!, 0);
      const bound = newBound(w, x);
      for (const v of allResults(w, x)) {
        expect(Math.abs(v - exact)).toBeLessThanOrEqual(bound);
        checked++;
      }
      expect(bound).toBeLessThan(oldBound(w, x));
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('exact products are charged nothing: a ±1 permutation row is exact', () => {
    expect(exactProduct(F32, -1, undefined)).toBe(true);
    expect(exactProduct(F32, 0.5, undefined)).toBe(true);
    expect(exactProduct(F32, f(0.1), undefined)).toBe(false);
    expect(exactProduct(F32, 3, 7)).toBe(true);
    expect(exactProduct(F32, f(0.1), f(0.3))).toBe(f(0.1) * f(0.3) === f(f(0.1) * f(0.3)));
    expect(perTermSumError(F32, 1, 0, 5, 5)).toBeLessThan(1e-30);
  });
});

describe('decide: the float32 grid settles a possible tie with a later token', () => {
  it('two logits near 1000 closer than one ULP are equal or ordered, never crossed', () => {
    // Every float32 in each interval, enumerated with the spacing read off Math.fround.
    const floatsIn = (lo: number, hi: number) => {
      const out: number[] = [];
      for (let v = f(lo); v <= hi; v = f(v + 2 ** -14)) if (v >= lo) out.push(v);
      return out;
    };
    const c = [1000, 1000 + 1e-5];
    const r = 2e-5;
    const logits = new AffineTensor([1, 1, 2], Float64Array.from(c), Float64Array.from([r, r]), new Int32Array(0), new Float64Array(0), Int32Array.from([0, 0]));
    const first = decide(logits, 0, 0, F32);
    const second = decide(logits, 0, 1, F32);
    // The real float32 values: token 0 is the first maximum for every pair, token 1 never is.
    const a = floatsIn(c[0]! - r, c[0]! + r);
    const b = floatsIn(c[1]! - r, c[1]! + r);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    for (const x of a) for (const y of b) expect(x >= y).toBe(true);
    expect(first.chosen).toBe(true);
    expect(first.margin).toBe(0);
    expect(second.chosen).toBe(false);
    // Without the rounding model there is no grid: no decision.
    expect(decide(logits, 0, 0).chosen).toBe(false);
  });
});
