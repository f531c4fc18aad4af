// Affine-tensor operations checked against dense sampling. Random tensors carry symbols local to
// rows; each trial draws a value for every (row, symbol) and for every element's free error,
// computes the operation concretely in float64, and checks that the result lies in the output
// form *evaluated at the same symbol values* (output symbols that are new, and the output's own
// error, are free). This checks both the bounds and the correlations the forms claim.
import { describe, expect, it } from 'vitest';
import { AffineTensor, ProofLimit, SymbolAllocator, compact, constantTensor, toBox } from '../src/prove/domains/affine-tensor.ts';
import { binary, extremum, negate, unary, type OpContext } from '../src/prove/ops/affine-ops.ts';
import { matmulBilinear, matmulWithConstant, reduce } from '../src/prove/ops/affine-linear.ts';
import { attentionMix, softmaxLastAxis } from '../src/prove/ops/attention-bounds.ts';
import { decide, differenceBounds } from '../src/prove/search/certify.ts';
import { floatModel } from '../src/prove/ops/float-model.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const ctx = (): OpContext => ({ model: floatModel('float64'), alloc: new SymbolAllocator() });

/** A random tensor [rows, cols] whose row r uses symbols local to row r (ids from `alloc`). */
function randomTensor(r: () => number, alloc: SymbolAllocator, rows: number, cols: number, opts: { positive?: boolean; scale?: number; k?: number } = {}): AffineTensor {
  const k = opts.k ?? 3;
  const n = rows * cols;
  const scale = opts.scale ?? 3;
  const center = new Float64Array(n);
  const err = new Float64Array(n);
  const coef = new Float64Array(n * k);
  const row = new Int32Array(n);
  for (let e = 0; e < n; e++) {
    row[e] = Math.floor(e / cols);
    let rad = 0;
    for (let s = 0; s < k; s++) {
      const c = r() < 0.3 ? 0 : (r() * 2 - 1) * scale * 0.2;
      coef[e * k + s] = c;
      rad += Math.abs(c);
    }
    err[e] = r() < 0.5 ? 0 : r() * scale * 0.05;
    rad += err[e]!;
    center[e] = opts.positive ? rad + 0.5 + r() * scale : (r() * 2 - 1) * scale;
  }
  return new AffineTensor([rows, cols], center, err, alloc.fresh(k), coef, row);
}

type Symbols = Map<string, number>;

function symbolValue(sym: Symbols, r: () => number, row: number, slot: number): number {
  const key = `${row}:${slot}`;
  let v = sym.get(key);
  if (v === undefined) {
    const u = r();
    v = u < 0.1 ? -1 : u < 0.2 ? 1 : u * 2 - 1;
    sym.set(key, v);
  }
  return v;
}

/** A concrete value of element e under the symbol values (its free error drawn anew). */
function sample(t: AffineTensor, e: number, sym: Symbols, r: () => number): number {
  if (!Number.isFinite(t.center[e]!)) return t.center[e]!;
  let v = t.center[e]!;
  for (let s = 0; s < t.k; s++) v += t.coef[e * t.k + s]! * symbolValue(sym, r, t.row[e]!, t.slots[s]!);
  return v + (r() * 2 - 1) * t.err[e]!;
}

/** Checks that `value` is inside output element e given the symbol values of the inputs. */
function expectContained(out: AffineTensor, e: number, value: number, sym: Symbols, inputSlots: Set<number>, what: string): void {
  let known = out.center[e]!;
  let free = out.err[e]!;
  for (let s = 0; s < out.k; s++) {
    const c = out.coef[e * out.k + s]!;
    const slot = out.slots[s]!;
    if (inputSlots.has(slot) && sym.has(`${out.row[e]}:${slot}`)) known += c * sym.get(`${out.row[e]}:${slot}`)!;
    else free += Math.abs(c);
  }
  const slack = free * 1e-12 + Math.abs(known) * 1e-15 + 1e-300;
  if (!(Math.abs(value - known) <= free + slack)) {
    throw new Error(`${what}: element ${e}: value ${value}, form gives ${known} ± ${free}`);
  }
}

function slotsOf(...ts: AffineTensor[]): Set<number> {
  return new Set(ts.flatMap((t) => Array.from(t.slots)));
}

const TRIALS = 300;

describe('elementwise operations', () => {
  const shapes: [string, number, number, number, number][] = [
    ['same shape', 4, 3, 4, 3],
    ['broadcast a column', 4, 3, 4, 1],
  ];
  const ops: ['add' | 'sub' | 'mul' | 'div', (x: number, y: number) => number][] = [
    ['add', (x, y) => x + y],
    ['sub', (x, y) => x - y],
    ['mul', (x, y) => x * y],
    ['div', (x, y) => x / y],
  ];
  for (const [label, xr, xc, yr, yc] of shapes) {
    for (const [kind, exact] of ops) {
      it(`${kind}, ${label}`, () => {
        const r = rng(kind.length * 31 + xc * 7 + yc);
        const c = ctx();
        const x = randomTensor(r, c.alloc, xr, xc);
        const y = randomTensor(r, c.alloc, yr, yc, { positive: kind === 'div' });
        const out = binary(kind, x, y, c);
        const inputs = slotsOf(x, y);
        for (let t = 0; t < TRIALS; t++) {
          const sym: Symbols = new Map();
          for (let i = 0; i < xr; i++) {
            for (let j = 0; j < xc; j++) {
              const e = i * xc + j;
              const ye = i * yc + (yc === 1 ? 0 : j);
              expectContained(out, e, exact(sample(x, e, sym, r), sample(y, ye, sym, r)), sym, inputs, kind);
            }
          }
        }
      });
    }
  }

  it('x·x of one tensor (the square keeps the sign information)', () => {
    const r = rng(5);
    const c = ctx();
    const x = randomTensor(r, c.alloc, 3, 4);
    const out = binary('mul', x, x, c);
    for (let t = 0; t < TRIALS; t++) {
      const sym: Symbols = new Map();
      for (let e = 0; e < x.size; e++) {
        // The same element on both sides: one draw of its free error too.
        const v = sample(x, e, sym, r);
        expectContained(out, e, v * v, sym, slotsOf(x), 'square');
      }
    }
  });

  it('symbols of different rows stay apart (a row-1 operand broadcast over rows)', () => {
    const r = rng(6);
    const c = ctx();
    const x = randomTensor(r, c.alloc, 3, 2);
    const y = randomTensor(r, c.alloc, 1, 2);
    y.row.fill(7); // its symbols belong to another position
    const out = binary('add', x, y, c);
    for (let t = 0; t < TRIALS; t++) {
      const sym: Symbols = new Map();
      for (let e = 0; e < out.size; e++) expectContained(out, e, sample(x, e, sym, r) + sample(y, e % 2, sym, r), sym, slotsOf(x, y), 'add across rows');
    }
  });

  const unaries: [Parameters<typeof unary>[0], (v: number) => number, boolean][] = [
    ['exp', Math.exp, false],
    ['log', Math.log, true],
    ['sqrt', Math.sqrt, true],
    ['reciprocal', (v) => 1 / v, true],
    ['sigmoid', (v) => 1 / (1 + Math.exp(-v)), false],
    ['tanh', Math.tanh, false],
    ['relu', (v) => Math.max(0, v), false],
    ['abs', Math.abs, false],
  ];
  for (const [f, exact, positive] of unaries) {
    it(f, () => {
      const r = rng(f.length * 17);
      const c = ctx();
      const x = randomTensor(r, c.alloc, 4, 5, { positive });
      const out = unary(f, x, c);
      for (let t = 0; t < TRIALS; t++) {
        const sym: Symbols = new Map();
        for (let e = 0; e < x.size; e++) expectContained(out, e, exact(sample(x, e, sym, r)), sym, slotsOf(x), f);
      }
    });
  }

  it('neg, max, min', () => {
    const r = rng(8);
    const c = ctx();
    const x = randomTensor(r, c.alloc, 3, 4);
    const y = randomTensor(r, c.alloc, 3, 4);
    const outs: [AffineTensor, (a: number, b: number) => number][] = [
      [negate(x), (a) => -a],
      [extremum('max', x, y), Math.max],
      [extremum('min', x, y), Math.min],
    ];
    for (const [out, exact] of outs) {
      for (let t = 0; t < TRIALS; t++) {
        const sym: Symbols = new Map();
        for (let e = 0; e < x.size; e++) expectContained(out, e, exact(sample(x, e, sym, r), sample(y, e, sym, r)), sym, slotsOf(x, y), 'max/min/neg');
      }
    }
  });
});

describe('linear combinations and products', () => {
  it('x @ W and W @ x with W constant', () => {
    const r = rng(11);
    const c = ctx();
    const x = randomTensor(r, c.alloc, 3, 4);
    const w = constantTensor([4, 2], Float64Array.from({ length: 8 }, () => r() * 4 - 2));
    const right = matmulWithConstant(x, w, 'right', c);
    const wl = constantTensor([2, 3], Float64Array.from({ length: 6 }, () => r() * 4 - 2));
    const left = matmulWithConstant(wl, x, 'left', c);
    for (let t = 0; t < TRIALS; t++) {
      const sym: Symbols = new Map();
      const v = Array.from({ length: x.size }, (_, e) => sample(x, e, sym, r));
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 2; j++) {
          let s = 0;
          for (let q = 0; q < 4; q++) s += v[i * 4 + q]! * w.center[q * 2 + j]!;
          expectContained(right, i * 2 + j, s, sym, slotsOf(x), 'x @ W');
        }
      }
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 4; j++) {
          let s = 0;
          for (let q = 0; q < 3; q++) s += wl.center[i * 3 + q]! * v[q * 4 + j]!;
          expectContained(left, i * 4 + j, s, sym, slotsOf(x), 'W @ x');
        }
      }
    }
  });

  it('reductions over the last axis and over rows', () => {
    const r = rng(12);
    const c = ctx();
    const x = randomTensor(r, c.alloc, 3, 5);
    const checks: [AffineTensor, number, (vals: number[]) => number][] = [
      [reduce('sum', x, [-1], true, c), 1, (v) => v.reduce((a, b) => a + b, 0)],
      [reduce('mean', x, [1], false, c), 1, (v) => v.reduce((a, b) => a + b, 0) / v.length],
      [reduce('max', x, [-1], true, c), 1, (v) => Math.max(...v)],
      [reduce('sum', x, [0], true, c), 0, (v) => v.reduce((a, b) => a + b, 0)],
    ];
    for (let t = 0; t < TRIALS; t++) {
      const sym: Symbols = new Map();
      const v = Array.from({ length: x.size }, (_, e) => sample(x, e, sym, r));
      for (const [out, axis, exact] of checks) {
        if (axis === 1) for (let i = 0; i < 3; i++) expectContained(out, i, exact(v.slice(i * 5, i * 5 + 5)), sym, slotsOf(x), 'reduce rows');
        else for (let j = 0; j < 5; j++) expectContained(out, j, exact([0, 1, 2].map((i) => v[i * 5 + j]!)), sym, slotsOf(x), 'reduce columns');
      }
    }
  });

  it('x @ y with both uncertain (attention scores), including shared rows', () => {
    const r = rng(13);
    const c = ctx();
    const q = randomTensor(r, c.alloc, 3, 2);
    const kT = randomTensor(r, c.alloc, 2, 3);
    // Column j of kᵀ is position j: its symbols are row j's.
    for (let e = 0; e < kT.size; e++) kT.row[e] = e % 3;
    const out = matmulBilinear(q, kT, c);
    for (let t = 0; t < TRIALS; t++) {
      const sym: Symbols = new Map();
      const qv = Array.from({ length: q.size }, (_, e) => sample(q, e, sym, r));
      const kv = Array.from({ length: kT.size }, (_, e) => sample(kT, e, sym, r));
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expectContained(out, i * 3 + j, qv[i * 2]! * kv[j]! + qv[i * 2 + 1]! * kv[3 + j]!, sym, slotsOf(q, kT), 'scores');
    }
  });
});

describe('softmax and the attention mix', () => {
  it('softmax weights and weights @ values, with a masked key', () => {
    const r = rng(21);
    const c = ctx();
    const n = 6;
    const scores = randomTensor(r, c.alloc, 2, n, { scale: 4 });
    scores.center[n - 1] = -Infinity; // row 0 cannot see its last key
    for (let s = 0; s < scores.k; s++) scores.coef[(n - 1) * scores.k + s] = 0;
    scores.err[n - 1] = 0;
    const w = softmaxLastAxis(scores, c);
    const v = randomTensor(r, c.alloc, n, 2, { scale: 10 });
    const mix = attentionMix(w, v, c);
    for (let t = 0; t < TRIALS * 3; t++) {
      const sym: Symbols = new Map();
      const sv = Array.from({ length: scores.size }, (_, e) => sample(scores, e, sym, r));
      const vv = Array.from({ length: v.size }, (_, e) => sample(v, e, sym, r));
      for (let i = 0; i < 2; i++) {
        const row = sv.slice(i * n, i * n + n);
        const m = Math.max(...row);
        const ex = row.map((x) => Math.exp(x - m));
        const z = ex.reduce((a, b) => a + b, 0);
        const weights = ex.map((x) => x / z);
        weights.forEach((wt, j) => expectContained(w, i * n + j, wt, sym, new Set(), 'softmax'));
        for (let ch = 0; ch < 2; ch++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += weights[j]! * vv[j * 2 + ch]!;
          expectContained(mix, i * 2 + ch, s, sym, new Set(), 'mix');
        }
      }
    }
  });

  it('softmax bounds are tight for point scores and sum to about 1', () => {
    const c = ctx();
    const scores = constantTensor([1, 3], Float64Array.of(1, 2, 3));
    const w = softmaxLastAxis(scores, c);
    const exact = [1, 2, 3].map((x) => Math.exp(x - 3));
    const z = exact.reduce((a, b) => a + b, 0);
    for (let j = 0; j < 3; j++) {
      expect(w.lo(j)).toBeLessThanOrEqual(exact[j]! / z);
      expect(w.hi(j)).toBeGreaterThanOrEqual(exact[j]! / z);
      expect(w.hi(j) - w.lo(j)).toBeLessThan(1e-13);
    }
  });

  it('the mix uses Σw = 1: identical values give a tight result whatever the weights', () => {
    const c = ctx();
    const scores = new AffineTensor([1, 4], Float64Array.of(0, 1, 2, 3), Float64Array.of(1, 1, 1, 1), new Int32Array(0), new Float64Array(0), new Int32Array(4));
    const w = softmaxLastAxis(scores, c);
    const v = constantTensor([4, 1], Float64Array.of(5, 5, 5, 5));
    const mix = attentionMix(w, v, c);
    expect(mix.lo(0)).toBeGreaterThan(5 - 1e-9);
    expect(mix.hi(0)).toBeLessThan(5 + 1e-9);
  });
});

describe('bookkeeping', () => {
  it('compact and toBox only forget correlations', () => {
    const r = rng(31);
    const c = ctx();
    const x = randomTensor(r, c.alloc, 3, 3, { k: 8 });
    const small = compact(x, 2);
    expect(small.k).toBeLessThanOrEqual(2);
    const box = toBox(x);
    for (let t = 0; t < TRIALS; t++) {
      const sym: Symbols = new Map();
      for (let e = 0; e < x.size; e++) {
        const v = sample(x, e, sym, r);
        expectContained(small, e, v, sym, slotsOf(x), 'compact');
        expectContained(box, e, v, sym, slotsOf(x), 'toBox');
      }
    }
  });
});

describe('overflow, as the runtime computes it', () => {
  it('exp of a range past the overflow point is exactly +∞, and t / (1 + e^−t) then exactly 0', () => {
    const c = ctx();
    const t = new AffineTensor([1, 2], Float64Array.of(-17000, 900), Float64Array.of(5, 5), new Int32Array(0), new Float64Array(0), new Int32Array(2));
    const e = unary('exp', negate(t), c);
    expect(e.center[0]).toBe(Infinity);
    expect(e.isInfinite(0)).toBe(true);
    expect(Math.exp(17000 - 5)).toBe(Infinity); // what IEEE arithmetic gives
    const silu = binary('div', t, binary('add', constantTensor([], Float64Array.of(1)), e, c), c);
    expect(silu.lo(0)).toBe(0);
    expect(silu.hi(0)).toBe(0);
    expect(-17000 / (1 + Math.exp(17000))).toBe(-0);
    // The other element is t·(1 − tiny): its bounds hold t's own range.
    expect(silu.lo(1)).toBeLessThanOrEqual(895);
    expect(silu.hi(1)).toBeGreaterThanOrEqual(905);
    expect(silu.hi(1) - silu.lo(1)).toBeLessThan(10 + 1e-9);
  });

  it('an exp range that may or may not overflow is refused', () => {
    const c = ctx();
    const t = constantTensor([1], Float64Array.of(709.75));
    expect(() => unary('exp', t, c)).toThrow(ProofLimit);
    const f32 = { model: floatModel('float32'), alloc: new SymbolAllocator() };
    expect(() => unary('exp', constantTensor([1], Float64Array.of(88.7)), f32)).toThrow(ProofLimit);
    expect(unary('exp', constantTensor([1], Float64Array.of(89.5)), f32).center[0]).toBe(Infinity);
  });

  it('a product past the largest float32 is refused', () => {
    const f32 = { model: floatModel('float32'), alloc: new SymbolAllocator() };
    const big = constantTensor([1], Float64Array.of(3e38));
    expect(() => binary('add', big, big, f32)).toThrow(ProofLimit);
  });
});

/** Masks elements of `t` in place: each becomes exactly −∞ (a masked score), no symbols, no error. */
function mask(t: AffineTensor, elements: number[]): void {
  for (const e of elements) {
    t.center[e] = -Infinity;
    t.err[e] = 0;
    t.coef.fill(0, e * t.k, (e + 1) * t.k);
  }
}

describe('exactly −∞ entries (masked keys, ruled-out tokens), as IEEE arithmetic treats them', () => {
  it('exp(−∞) is 0; the other elements keep their bounds', () => {
    const r = rng(41);
    const c = ctx();
    const x = randomTensor(r, c.alloc, 3, 4);
    mask(x, [1, 6, 11]);
    const out = unary('exp', x, c);
    expect(Math.exp(-Infinity)).toBe(0);
    for (const e of [1, 6, 11]) {
      expect(out.isInfinite(e)).toBe(false);
      expect(out.lo(e)).toBeLessThanOrEqual(0);
      expect(out.hi(e)).toBeGreaterThanOrEqual(0);
      expect(out.hi(e)).toBeLessThanOrEqual(2 * floatModel('float64').eta); // the underflow allowance
    }
    for (let t = 0; t < TRIALS; t++) {
      const sym: Symbols = new Map();
      for (let e = 0; e < x.size; e++) expectContained(out, e, Math.exp(sample(x, e, sym, r)), sym, slotsOf(x), 'exp');
    }
  });

  it('exp of +∞, and of a range unbounded below but not exactly −∞, is refused', () => {
    const c = ctx();
    expect(() => unary('exp', constantTensor([1], Float64Array.of(Infinity)), c)).toThrow(ProofLimit);
    // Centre −5, radius ∞: its lower bound is −∞ and its upper bound finite; not a masked entry.
    const wide = new AffineTensor([1], Float64Array.of(-5), Float64Array.of(Infinity), new Int32Array(0), new Float64Array(0), new Int32Array(1));
    expect(wide.lo(0)).toBe(-Infinity);
    expect(() => unary('exp', wide, c)).toThrow(ProofLimit);
    // The other functions still refuse any infinite input.
    for (const f of ['sigmoid', 'tanh', 'relu', 'abs'] as const) expect(() => unary(f, constantTensor([1], Float64Array.of(-Infinity)), c)).toThrow(ProofLimit);
  });

  it('ReduceMax ignores −∞ entries, and a fully masked row has maximum −∞', () => {
    const r = rng(42);
    const c = ctx();
    const x = randomTensor(r, c.alloc, 3, 5);
    mask(x, [0, 3, 5, 6, 7, 8, 9]); // row 0: two masked; row 1: all masked; row 2: none
    const out = reduce('max', x, [-1], true, c);
    expect(out.isInfinite(1)).toBe(true);
    expect(out.center[1]).toBe(-Infinity);
    for (let t = 0; t < TRIALS; t++) {
      const sym: Symbols = new Map();
      const v = Array.from({ length: x.size }, (_, e) => sample(x, e, sym, r));
      for (const i of [0, 2]) expectContained(out, i, Math.max(...v.slice(i * 5, i * 5 + 5)), sym, slotsOf(x), 'reduce max');
      expect(Math.max(...v.slice(5, 10))).toBe(out.center[1]);
    }
  });

  it('ReduceMax of an entry unbounded below (not exactly −∞) is refused', () => {
    const c = ctx();
    const x = new AffineTensor([1, 2], Float64Array.of(-Infinity, 3), Float64Array.of(0, Infinity), new Int32Array(0), new Float64Array(0), new Int32Array(2));
    expect(() => reduce('max', x, [-1], true, c)).toThrow(ProofLimit);
    const alone = new AffineTensor([1, 1], Float64Array.of(3), Float64Array.of(Infinity), new Int32Array(0), new Float64Array(0), new Int32Array(1));
    expect(() => reduce('max', alone, [-1], true, c)).toThrow(ProofLimit);
  });

  it('softmax1 as the compiler writes it (ReduceMax, Max 0, Sub, Exp, ReduceSum, Neg, Exp, Add, Div) over masked scores', () => {
    const r = rng(43);
    const c = ctx();
    const n = 5;
    const scores = toBox(randomTensor(r, c.alloc, 3, n, { scale: 4 }));
    mask(scores, [3, 4, 7, 8, 9]); // causal-style masks; row 1 keeps two keys, row 2 all five
    const zero = constantTensor([], Float64Array.of(0));
    const m = extremum('max', reduce('max', scores, [-1], true, c), zero);
    const e = unary('exp', binary('sub', scores, m, c), c);
    const den = binary('add', reduce('sum', e, [-1], true, c), unary('exp', negate(m), c), c);
    const w = binary('div', e, den, c);
    for (const masked of [3, 4, 7, 8, 9]) {
      expect(w.lo(masked)).toBeLessThanOrEqual(0);
      expect(w.hi(masked)).toBeLessThan(1e-300);
    }
    for (let t = 0; t < TRIALS * 3; t++) {
      const sym: Symbols = new Map();
      const sv = Array.from({ length: scores.size }, (_, i) => sample(scores, i, sym, r));
      for (let i = 0; i < 3; i++) {
        // IEEE float64 evaluation of the same formula, −∞ included.
        const row = sv.slice(i * n, i * n + n);
        const mm = Math.max(Math.max(...row), 0);
        const ex = row.map((s) => Math.exp(s - mm));
        const z = ex.reduce((a, b) => a + b, 0) + Math.exp(-mm);
        ex.forEach((x, j) => expectContained(w, i * n + j, x / z, sym, new Set(), 'softmax1'));
      }
    }
  });

  it('a logit of exactly −∞ never wins the argmax; a finite rival still counts', () => {
    const logits = constantTensor([1, 1, 4], Float64Array.of(-Infinity, 2, 1.5, -Infinity));
    expect(differenceBounds(logits, 1, 0)).toEqual({ lo: Infinity, hi: Infinity });
    const d = decide(logits, 0, 1);
    expect(d.margin).toBeGreaterThan(0.49);
    expect(d.margin).toBeLessThanOrEqual(0.5);
    expect(decide(logits, 0, 2).beaten).toBe(1);
    // A right token ruled out by −∞ is certainly beaten by a finite rival.
    expect(decide(logits, 0, 0).beaten).toBe(1);
  });
});
