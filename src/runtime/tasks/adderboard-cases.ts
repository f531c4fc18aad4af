// The AdderBoard test protocol: fixed edge cases followed by pseudo-random
// operand pairs drawn with Python's `random.Random(seed)`, so the list matches
// the one the reference Python harness generates, pair for pair.

import { createHash } from 'node:crypto';
import { PythonRandom } from './python-random.ts';

/** Fixed edge cases, in protocol order (the duplicate all-nines pair is part of the protocol). */
export const ADDERBOARD_EDGE_CASES: ReadonlyArray<readonly [number, number]> = Object.freeze([
  [0, 0],
  [0, 1],
  [9999999999, 0],
  [9999999999, 1],
  [9999999999, 9999999999],
  [5000000000, 5000000000],
  [1111111111, 8888888889],
  [1234567890, 9876543210],
  [9999999999, 9999999999],
  [1, 9999999999],
].map((pair) => Object.freeze(pair as [number, number])));

export const ADDERBOARD_DEFAULT_SEED = 2025;
export const ADDERBOARD_DEFAULT_TESTS = 10_000;

/** `count` pairs from `random.Random(seed)`, each drawn as a = randint(0, max), then b = randint(0, max). */
export function randomPairs(
  seed: number | bigint,
  count: number,
  maxOperand = 9_999_999_999,
): Array<[number, number]> {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`randomPairs: count must be a non-negative integer, got ${count}`);
  }
  const rng = new PythonRandom(seed);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const a = rng.randint(0, maxOperand);
    const b = rng.randint(0, maxOperand);
    pairs.push([a, b]);
  }
  return pairs;
}

export interface ProtocolOptions {
  seed?: number | bigint;
  tests?: number;
  edge?: boolean;
}

/** The full protocol list: edge cases (unless disabled) and then `tests` random pairs. */
export function protocolCases(opts: ProtocolOptions = {}): Array<[number, number]> {
  return [...protocolPairs(opts)];
}

/** The protocol list one pair at a time, none of it held: what a 10,000,000-case run reads. */
export function* protocolPairs(opts: ProtocolOptions = {}): Generator<[number, number]> {
  const seed = opts.seed ?? ADDERBOARD_DEFAULT_SEED;
  const tests = opts.tests ?? ADDERBOARD_DEFAULT_TESTS;
  const edge = opts.edge ?? true;
  if (!Number.isSafeInteger(tests) || tests < 0) throw new RangeError(`protocolPairs: tests must be a non-negative integer, got ${tests}`);
  if (edge) for (const [a, b] of ADDERBOARD_EDGE_CASES) yield [a, b];
  const rng = new PythonRandom(seed);
  for (let i = 0; i < tests; i++) {
    const a = rng.randint(0, 9_999_999_999);
    const b = rng.randint(0, 9_999_999_999);
    yield [a, b];
  }
}

/** Hex SHA-256 over the lines `a,b\n` in order (one value per input, comma-separated): a compact
 * fingerprint to compare case lists across tools. */
export function casesSha256(cases: Iterable<readonly number[]>): string {
  const hash = casesHasher();
  hash.add(cases);
  return hash.hex();
}

/** casesSha256 fed in batches. */
export function casesHasher(): { add(cases: Iterable<readonly number[]>): void; hex(): string } {
  const hash = createHash('sha256');
  return {
    add(cases) {
      for (const c of cases) hash.update(`${c.join(',')}\n`);
    },
    hex: () => hash.digest('hex'),
  };
}
