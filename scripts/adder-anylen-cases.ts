// The cases the any-length adder (examples/adder/adder-5p-anylen.hw) is checked on, shared by its
// test (test/adder-anylen.test.ts, which runs a subset in float64) and its bench
// (bench/adder-anylen.ts, all of them in both float types). Operands are msb-first vectors of
// decimal digits; the right sums are computed by whoever runs the cases (BigInt in both).
import { mulberry32 } from '../src/util/rng.ts';

export interface DigitPair {
  a: number[];
  b: number[];
}

/**
 * For each length 1..maxLength, `perLength` seeded pairs: four in five of them two numbers of that
 * length (no leading zero), the rest that length against a random length 1..maxLength (any digits,
 * so zero-led operands come up too), alternating which operand is the long one.
 */
export function randomPairs(perLength: number, seed: number, maxLength = 100): DigitPair[] {
  const rand = mulberry32(seed);
  const digits = (n: number, leading: boolean) =>
    Array.from({ length: n }, (_, i) => (i === 0 && !leading && n > 1 ? 1 + Math.floor(rand() * 9) : Math.floor(rand() * 10)));
  const same = Math.round((perLength * 4) / 5);
  const out: DigitPair[] = [];
  for (let len = 1; len <= maxLength; len++) {
    for (let k = 0; k < same; k++) out.push({ a: digits(len, false), b: digits(len, false) });
    for (let k = 0; k < perLength - same; k++) {
      const x = digits(len, true);
      const y = digits(1 + Math.floor(rand() * maxLength), true);
      out.push(k % 2 === 0 ? { a: x, b: y } : { a: y, b: x });
    }
  }
  return out;
}

/** The all-nines carry chains of every length 1..maxLength: 9…9 + 1, 1 + 9…9 and 9…9 + 9…9. */
export function nineChains(maxLength = 100): DigitPair[] {
  const out: DigitPair[] = [];
  for (let len = 1; len <= maxLength; len++) {
    const nines = new Array<number>(len).fill(9);
    out.push({ a: nines, b: [1] }, { a: [1], b: nines }, { a: nines, b: nines });
  }
  return out;
}
