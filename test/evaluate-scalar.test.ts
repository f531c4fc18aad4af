// The evaluator computes scalar arithmetic, comparisons of small integers and a few functions of
// one number in plain JavaScript instead of through mathjs (src/check/evaluate.ts: fastBinary,
// SCALAR_FUNCTIONS), to keep `handwire check` fast. "Formulas mean what mathjs says" stays true only
// if each shortcut gives what mathjs itself gives: checked here against a mathjs instance with the
// checker's configuration, on random values and on the special ones (±0, ±∞, NaN, huge, tiny).
import { createRequire } from 'node:module';
import type * as MathJs from 'mathjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastBinary, SCALAR_FUNCTIONS } from '../src/check/evaluate.ts';

const mathjs = createRequire(import.meta.url)('mathjs') as typeof MathJs;
const math = mathjs.create(mathjs.all, { matrix: 'Array', number: 'number', precision: 64 });

const SPECIAL = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, 1e-300, -1e-300, 1e300, -1e300, Infinity, -Infinity, NaN, 2 ** 31 - 1, -(2 ** 31) + 1, 2 ** 31, 1e15, 1e15 + 1];
const number = fc.oneof(fc.double(), fc.constantFrom(...SPECIAL), fc.integer({ min: -1000, max: 1000 }));
const smallInt = fc.oneof(fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), fc.integer({ min: -5, max: 5 }));

const MATHJS_BINARY: Record<string, (a: any, b: any) => unknown> = {
  '+': math.add, '-': math.subtract, '*': math.multiply, '/': math.divide, '^': math.pow,
  '==': math.equal, '!=': math.unequal, '<': math.smaller, '<=': math.smallerEq, '>': math.larger, '>=': math.largerEq,
  and: math.and, or: math.or,
};

/** mathjs's result where it is a plain value; Object.is tells -0 from 0 and NaN from NaN. */
function same(fast: unknown, reference: unknown): boolean {
  if (Array.isArray(fast) && Array.isArray(reference)) return fast.length === reference.length && fast.every((v, i) => same(v, reference[i]));
  return Object.is(fast, reference);
}

describe('shortcuts of the evaluator give what mathjs gives', () => {
  for (const op of ['+', '-', '*', '/', '^']) {
    it(`number ${op} number`, () => {
      fc.assert(
        fc.property(number, number, (a, b) => {
          const fast = fastBinary(op, a, b);
          if (fast === undefined) return true;
          return same(fast, MATHJS_BINARY[op]!(a, b));
        }),
        { numRuns: 20_000 },
      );
    });
  }

  it('takes no shortcut where mathjs gives a complex number (negative base, fractional exponent)', () => {
    expect(fastBinary('^', -8, 1 / 3)).toBeUndefined();
    expect(typeof math.pow(-8, 1 / 3)).toBe('object');
  });

  for (const op of ['==', '!=', '<', '<=', '>', '>=']) {
    it(`small integer ${op} small integer`, () => {
      fc.assert(
        fc.property(smallInt, smallInt, (a, b) => same(fastBinary(op, a, b), MATHJS_BINARY[op]!(a, b))),
        { numRuns: 20_000 },
      );
      // Neighbours, where a tolerance would show first.
      for (const a of [0, 1, -1, 2 ** 31 - 2, -(2 ** 31) + 2]) expect(same(fastBinary(op, a, a + 1), MATHJS_BINARY[op]!(a, a + 1))).toBe(true);
    });
  }

  it('compares non-integers through mathjs, whose equal has a tolerance', () => {
    expect(fastBinary('==', 0.1 + 0.2, 0.3)).toBeUndefined();
    expect(math.equal(0.1 + 0.2, 0.3)).toBe(true); // the reason: JavaScript says false
    expect(fastBinary('==', 1e15, 1e15 + 1)).toBeUndefined();
  });

  it('and / or of booleans', () => {
    for (const a of [true, false]) for (const b of [true, false]) {
      expect(fastBinary('and', a, b)).toBe(MATHJS_BINARY.and!(a, b));
      expect(fastBinary('or', a, b)).toBe(MATHJS_BINARY.or!(a, b));
    }
  });

  it('a number times, or an array over, a number: each entry', () => {
    const vector = fc.array(number, { maxLength: 6 });
    const matrix = fc.array(fc.array(number, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(number, fc.oneof(vector, matrix), (k, x) =>
        same(fastBinary('*', k, x), math.multiply(k, x)) && same(fastBinary('*', x, k), math.multiply(x, k)) && same(fastBinary('/', x, k), math.divide(x, k)),
      ),
      { numRuns: 5_000 },
    );
  });

  it('leaves arrays of booleans and array-by-array products to mathjs', () => {
    expect(fastBinary('*', 2, [true, false] as never)).toBeUndefined();
    expect(fastBinary('*', [1, 2], [3, 4])).toBeUndefined();
  });

  for (const [name, f] of Object.entries(SCALAR_FUNCTIONS)) {
    it(`${name}(number)`, () => {
      const reference = (name === 'ln' ? math.log : (math as unknown as Record<string, (x: number) => unknown>)[name]!) as (x: number) => unknown;
      fc.assert(
        fc.property(number, (x) => {
          const fast = f(x);
          return fast === undefined || same(fast, reference(x));
        }),
        { numRuns: 20_000 },
      );
    });
  }
});
