// Every scalar interval operation and every linear relaxation, checked against dense sampling of
// its input intervals: the exact function value at each sample must lie inside the result. The
// functions are evaluated independently here (Math.* in float64), not through the code under test.
import { describe, expect, it } from 'vitest';
import {
  iabs,
  iadd,
  idiv,
  iexp,
  ilog,
  imax,
  imin,
  imul,
  ineg,
  irelu,
  isigmoid,
  isqrt,
  isquare,
  isub,
  itanh,
  type Interval,
} from '../src/prove/domains/interval.ts';
import { domainProblem, relax, type UnaryFunction } from '../src/prove/ops/relax.ts';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const EXACT: Record<UnaryFunction, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  reciprocal: (x) => 1 / x,
  sigmoid,
  tanh: Math.tanh,
  relu: (x) => Math.max(0, x),
  abs: Math.abs,
  silu: (x) => x / (1 + Math.exp(-x)),
};

/** A deterministic generator so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Intervals of many scales and signs, including points and intervals straddling zero. */
function intervals(seed: number, count: number, opts: { positive?: boolean; maxScale?: number } = {}): Interval[] {
  const r = rng(seed);
  const out: Interval[] = [];
  for (let i = 0; i < count; i++) {
    const scale = 10 ** (r() * (opts.maxScale ?? 4) * 2 - (opts.maxScale ?? 4));
    let a = (r() * 2 - 1) * scale;
    let b = i % 7 === 0 ? a : a + r() * scale * (r() < 0.5 ? 0.001 : 2);
    if (opts.positive) {
      a = Math.abs(a) + 1e-9;
      b = Math.abs(b) + 1e-9;
    }
    out.push({ lo: Math.min(a, b), hi: Math.max(a, b) });
  }
  return out;
}

function samples(iv: Interval, n = 41): number[] {
  const out = [iv.lo, iv.hi];
  for (let i = 1; i < n; i++) out.push(iv.lo + ((iv.hi - iv.lo) * i) / n);
  return out;
}

function expectInside(v: number, iv: Interval, what: string): void {
  if (!(iv.lo <= v && v <= iv.hi)) throw new Error(`${what}: ${v} not in [${iv.lo}, ${iv.hi}]`);
}

describe('scalar interval operations enclose every sampled result', () => {
  const pairs = intervals(1, 60).map((a, i) => [a, intervals(2, 60)[i]!] as const);

  const binary: [string, (a: Interval, b: Interval) => Interval, (x: number, y: number) => number][] = [
    ['add', iadd, (x, y) => x + y],
    ['sub', isub, (x, y) => x - y],
    ['mul', imul, (x, y) => x * y],
    ['max', imax, Math.max],
    ['min', imin, Math.min],
  ];
  for (const [name, op, exact] of binary) {
    it(name, () => {
      for (const [a, b] of pairs) {
        const r = op(a, b);
        for (const x of samples(a, 13)) for (const y of samples(b, 13)) expectInside(exact(x, y), r, `${name}(${x}, ${y})`);
      }
    });
  }

  it('div (divisor away from zero)', () => {
    for (const [a, b0] of pairs) {
      const b = b0.lo <= 0 && b0.hi >= 0 ? { lo: b0.hi + 1, hi: b0.hi + 2 } : b0;
      const r = idiv(a, b);
      for (const x of samples(a, 13)) for (const y of samples(b, 13)) expectInside(x / y, r, `div(${x}, ${y})`);
    }
  });

  const unary: [string, (a: Interval) => Interval, (x: number) => number, boolean][] = [
    ['neg', ineg, (x) => -x, false],
    ['square', isquare, (x) => x * x, false],
    ['abs', iabs, Math.abs, false],
    ['relu', irelu, (x) => Math.max(0, x), false],
    ['exp', iexp, Math.exp, false],
    ['sigmoid', isigmoid, sigmoid, false],
    ['tanh', itanh, Math.tanh, false],
    ['sqrt', isqrt, Math.sqrt, true],
    ['log', ilog, Math.log, true],
  ];
  for (const [name, op, exact, positive] of unary) {
    it(name, () => {
      for (const a of intervals(3, 200, { positive, maxScale: name === 'exp' ? 2 : 4 })) {
        const r = op(a);
        for (const x of samples(a)) expectInside(exact(x), r, `${name}(${x})`);
      }
    });
  }

  it('widens a correctly rounded result enough to cover the exact value', () => {
    // 0.1 + 0.2 rounds to 0.30000000000000004; the exact sum of the two doubles is below it.
    const r = iadd({ lo: 0.1, hi: 0.1 }, { lo: 0.2, hi: 0.2 });
    expect(r.lo).toBeLessThan(0.30000000000000004);
    expect(r.hi).toBeGreaterThanOrEqual(0.30000000000000004);
  });
});

describe('linear relaxations: |f(x) − (αx + μ)| ≤ δ on the whole interval', () => {
  const cases: [UnaryFunction, { positive?: boolean; maxScale?: number }][] = [
    ['exp', { maxScale: 2 }],
    ['log', { positive: true }],
    ['sqrt', { positive: true }],
    ['reciprocal', { positive: true }],
    ['sigmoid', { maxScale: 3 }],
    ['tanh', { maxScale: 3 }],
    ['relu', {}],
    ['abs', {}],
    ['silu', { maxScale: 3 }],
  ];
  for (const [f, opts] of cases) {
    it(f, () => {
      let checked = 0;
      for (const iv of intervals(7, 300, opts)) {
        if (domainProblem(f, iv.lo, iv.hi)) continue;
        const { alpha, mu, delta } = relax(f, iv.lo, iv.hi);
        expect(delta).toBeGreaterThanOrEqual(0);
        for (const x of samples(iv, 97)) {
          const gap = Math.abs(EXACT[f](x) - (alpha * x + mu));
          if (!(gap <= delta)) throw new Error(`${f} on [${iv.lo}, ${iv.hi}] at ${x}: gap ${gap} > δ ${delta}`);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(10_000);
    });
  }

  it('reciprocal on negative intervals', () => {
    for (const iv of intervals(9, 200, { positive: true })) {
      const neg = { lo: -iv.hi, hi: -iv.lo };
      const { alpha, mu, delta } = relax('reciprocal', neg.lo, neg.hi);
      for (const x of samples(neg, 97)) expect(Math.abs(1 / x - (alpha * x + mu))).toBeLessThanOrEqual(delta);
    }
  });

  it('silu keeps its minimum inside the range and is tight where it is linear or flat', () => {
    const r = relax('silu', -3, 1);
    expect(-1.2784645427610738 / (1 + Math.exp(1.2784645427610738))).toBeGreaterThanOrEqual(r.alpha * -1.2784645427610738 + r.mu - r.delta);
    expect(relax('silu', 882, 918).delta).toBeLessThan(1e-9);
    expect(relax('silu', -17020, -17000).delta).toBeLessThanOrEqual(1e-300);
  });

  it('is tight where the function is nearly linear (a saturated sigmoid, a narrow exp)', () => {
    expect(relax('sigmoid', 900, 920).delta).toBeLessThan(1e-12);
    expect(relax('exp', 1, 1 + 1e-6).delta).toBeLessThan(1e-11);
  });

  it('refuses inputs outside the domain', () => {
    expect(domainProblem('sqrt', -1, 1)).toMatch(/sqrt/);
    expect(domainProblem('reciprocal', -1, 1)).toMatch(/contains 0/);
    expect(domainProblem('log', 0, 1)).toMatch(/log/);
    expect(domainProblem('exp', 0, 1000)).toMatch(/overflow/);
  });
});
