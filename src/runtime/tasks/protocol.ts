// Which (a, b) pairs a verification run tests. Three families, all pure and deterministic:
//   - the AdderBoard protocol (fixed edge cases, then seeded random pairs: adderboard-cases.ts);
//   - an exhaustive sweep of every pair of K-digit operands;
//   - carry chains: structured cases that uniform random sampling almost never produces (long runs
//     of 9s that a single 1 turns over, and every carry pattern over a sliding window of columns).
// The AdderBoard families yield pairs (a, b) for two-input tasks; any other task is verified on
// seeded random values of its own inputs (`taskRandomCaseSet`). A case is one value per input, in
// the task's input order.

import type { TaskContract } from '../../check/model.ts';
import { ADDERBOARD_DEFAULT_SEED, ADDERBOARD_DEFAULT_TESTS, ADDERBOARD_EDGE_CASES, protocolPairs } from './adderboard-cases.ts';
import { PythonRandom } from './python-random.ts';

/** One case: a value for each of the task's inputs (a pair for addition). */
export type Pair = readonly number[];

export interface CaseSet {
  kind: 'protocol' | 'exhaustive' | 'carry-chains' | 'sweeps' | 'random';
  /** One line for the report, e.g. "AdderBoard protocol, seed 2025: 10 edge cases + 10,000 random pairs". */
  description: string;
  /** How many cases. */
  size: number;
  /** The cases in order, made afresh on each call: a run reads them this way, so a
   * 10,000,000-case protocol is never held whole. */
  each(): Iterable<Pair>;
  /** The whole list, built on first access (small sets, tests and scripts). */
  readonly pairs: Pair[];
  /**
   * How many pairs, at the end of `pairs`, are independent uniform draws. Only these are a random
   * sample, so only they support a statistical bound on the error rate.
   */
  randomCount: number;
  /** Set for the protocol, so a run can be reproduced from its report. */
  seed?: number;
}

/** A case set over `generate` (called once per pass over the cases), with `pairs` built only when read. */
export function caseSetOf(fields: Omit<CaseSet, 'each' | 'pairs'>, generate: () => Iterable<Pair>): CaseSet {
  let whole: Pair[] | undefined;
  return {
    ...fields,
    each: generate,
    get pairs() {
      whole ??= [...generate()];
      return whole;
    },
  };
}

/** A case set over a list already built. */
function listCaseSet(fields: Omit<CaseSet, 'each' | 'pairs' | 'size'>, pairs: Pair[]): CaseSet {
  return { ...fields, size: pairs.length, each: () => pairs, pairs };
}

/** The cases of `cases` in consecutive batches of `size` (the last one shorter). */
export function* caseBatches(cases: CaseSet, size: number): Generator<Pair[]> {
  let batch: Pair[] = [];
  for (const pair of cases.each()) {
    batch.push(pair);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export function protocolCaseSet(opts: { seed?: number; tests?: number; edge?: boolean } = {}): CaseSet {
  const seed = opts.seed ?? ADDERBOARD_DEFAULT_SEED;
  const tests = opts.tests ?? ADDERBOARD_DEFAULT_TESTS;
  const edge = opts.edge ?? true;
  const edgeCount = edge ? ADDERBOARD_EDGE_CASES.length : 0;
  const parts = [...(edge ? [`${count(edgeCount)} edge cases`] : []), `${count(tests)} random pairs`];
  return caseSetOf(
    { kind: 'protocol', description: `AdderBoard protocol, seed ${seed}: ${parts.join(' + ')}`, size: edgeCount + tests, randomCount: tests, seed },
    () => protocolPairs({ seed, tests, edge }),
  );
}

/**
 * For tasks that are not two-operand arithmetic: the all-zeros and all-largest inputs, then `tests`
 * cases drawn with Python's random.Random(seed), each input by randint(0, base^digits − 1) in input
 * order, so a case list can be reproduced in Python.
 */
export function taskRandomCaseSet(task: TaskContract, opts: { seed?: number; tests?: number; edge?: boolean } = {}): CaseSet {
  const seed = opts.seed ?? ADDERBOARD_DEFAULT_SEED;
  const tests = opts.tests ?? ADDERBOARD_DEFAULT_TESTS;
  const edge = opts.edge ?? true;
  const limits = task.operands.map((o) => task.base ** o.digits - 1);
  const names = task.operands.map((o) => o.name).join(', ');
  return caseSetOf(
    {
      kind: 'random',
      description: `random inputs (${names}), seed ${seed}: ${edge ? '2 edge cases + ' : ''}${count(tests)} random cases`,
      size: (edge ? 2 : 0) + tests,
      randomCount: tests,
      seed,
    },
    function* () {
      if (edge) yield* [limits.map(() => 0), [...limits]];
      const rng = new PythonRandom(seed);
      for (let i = 0; i < tests; i++) yield limits.map((max) => rng.randint(0, max));
    },
  );
}

/** Exhaustive sweeps grow as base^(2K); beyond this many cases a run would take hours. */
export const MAX_EXHAUSTIVE_CASES = 1_000_000;

/**
 * Every pair (a, b) with a, b in [0, base^digits), a in the outer loop. Returns an error message
 * instead when the sweep would exceed MAX_EXHAUSTIVE_CASES.
 */
export function exhaustiveCaseSet(digits: number, base = 10): CaseSet | { error: string } {
  if (!Number.isInteger(digits) || digits < 1) {
    return { error: `--exhaustive-digits needs a positive whole number of digits, got ${digits}` };
  }
  const span = base ** digits;
  const total = span * span;
  if (total > MAX_EXHAUSTIVE_CASES) {
    let largest = 0;
    while ((base ** (largest + 1)) ** 2 <= MAX_EXHAUSTIVE_CASES) largest++;
    return {
      error:
        `--exhaustive-digits ${digits} would test ${count(total)} pairs; the limit is ` +
        `${count(MAX_EXHAUSTIVE_CASES)} (at most ${largest} digits). Use the random protocol or --carry-chains for longer operands.`,
    };
  }
  const pairs: Pair[] = [];
  for (let a = 0; a < span; a++) for (let b = 0; b < span; b++) pairs.push([a, b]);
  return listCaseSet({ kind: 'exhaustive', description: `every pair of ${digits}-digit operands (${count(total)} pairs)`, randomCount: 0 }, pairs);
}

/** Columns per sliding window in the carry-pattern family: 3^4 patterns per offset and carry-in. */
export const CARRY_WINDOW = 4;

/** How a column behaves for the carry, by its digit sum S: kill (S < base−1), propagate (S = base−1), generate (S ≥ base). */
type ColumnClass = 'kill' | 'propagate' | 'generate';
const CLASSES: readonly ColumnClass[] = ['kill', 'propagate', 'generate'];

/**
 * Digit pairs for each class, extremes first. The generator cycles through them by column so the
 * family exercises both ends of each class (e.g. a generate column of 1+9 as well as 9+9).
 */
function representatives(base: number): Record<ColumnClass, Array<[number, number]>> {
  const top = base - 1;
  return {
    kill: [[0, 0], [0, top - 1], [top - 1, 0], [Math.floor((top - 1) / 2), Math.ceil((top - 1) / 2)]],
    propagate: [[0, top], [top, 0], [Math.floor(top / 2), Math.ceil(top / 2)]],
    generate: [[top, top], [1, top], [top, 1], [Math.ceil(base / 2), Math.ceil(base / 2)]],
  };
}

/**
 * Structured carry cases over operands of `digits` digits:
 *  1. runs of (base−1)s: a = (base^len − 1)·base^start for every run inside the operand, against
 *     b = m·base^j for every single nonzero digit m at every place j, in both orders (a, b) and (b, a);
 *  2. every kill/propagate/generate pattern over a window of CARRY_WINDOW columns at every offset,
 *     with carry-in 0 and (where a column below exists) 1; columns outside the window are 0.
 * Duplicates are dropped, keeping the first occurrence.
 */
export function carryChainCaseSet(digits: number, base = 10): CaseSet {
  const pairs: Pair[] = [];
  const seen = new Set<string>();
  const add = (a: number, b: number) => {
    const key = `${a},${b}`;
    if (!seen.has(key)) {
      seen.add(key);
      pairs.push([a, b]);
    }
  };

  for (let start = 0; start < digits; start++) {
    for (let len = 1; start + len <= digits; len++) {
      const run = (base ** len - 1) * base ** start;
      for (let j = 0; j < digits; j++) {
        for (let m = 1; m < base; m++) {
          add(run, m * base ** j);
          add(m * base ** j, run);
        }
      }
    }
  }

  const reps = representatives(base);
  const width = Math.min(CARRY_WINDOW, digits);
  const patterns = allPatterns(width);
  for (let offset = 0; offset + width <= digits; offset++) {
    // A carry into the window comes from the column just below it: 0+0 kills, (base−1)+(base−1) generates.
    const carryIns = offset > 0 ? [0, 1] : [0];
    for (const carryIn of carryIns) {
      patterns.forEach((pattern, p) => {
        let a = 0;
        let b = 0;
        if (carryIn === 1) {
          a += (base - 1) * base ** (offset - 1);
          b += (base - 1) * base ** (offset - 1);
        }
        pattern.forEach((cls, i) => {
          const choices = reps[cls];
          const [da, db] = choices[(p + i + offset) % choices.length]!;
          a += da * base ** (offset + i);
          b += db * base ** (offset + i);
        });
        add(a, b);
      });
    }
  }

  return listCaseSet(
    { kind: 'carry-chains', description: `carry chains over ${digits}-digit operands: runs of ${base - 1}s and every ${width}-column carry pattern (${count(pairs.length)} pairs)`, randomCount: 0 },
    pairs,
  );
}

function allPatterns(width: number): ColumnClass[][] {
  let out: ColumnClass[][] = [[]];
  for (let i = 0; i < width; i++) out = out.flatMap((p) => CLASSES.map((c) => [...p, c]));
  return out;
}

/** Several sweeps as one run (e.g. --exhaustive-digits with --carry-chains), duplicates kept once. */
export function combineCaseSets(sets: CaseSet[]): CaseSet {
  if (sets.length === 1) return sets[0]!;
  const seen = new Set<string>();
  const pairs: Pair[] = [];
  for (const s of sets) {
    for (const [a, b] of s.pairs) {
      const key = `${a},${b}`;
      if (!seen.has(key)) {
        seen.add(key);
        pairs.push([a, b]);
      }
    }
  }
  return listCaseSet({ kind: 'sweeps', description: sets.map((s) => s.description).join('; then ') + ` (${count(pairs.length)} distinct pairs)`, randomCount: 0 }, pairs);
}

/**
 * Why this task cannot run these cases, or undefined when it can. The cases are pairs, so the task
 * needs exactly two inputs, and every operand must fit the input's declared digits (a larger value
 * would be silently truncated by the prompt).
 */
export function caseSetProblem(task: TaskContract, cases: CaseSet): string | undefined {
  const inputs = task.operands.length;
  if (cases.kind !== 'random' && inputs !== 2) {
    return `the AdderBoard cases are pairs (a, b), but task '${task.name}' has ${inputs} input${inputs === 1 ? '' : 's'}`;
  }
  for (const pair of cases.each()) {
    if (pair.length !== inputs) return `a case has ${pair.length} values but task '${task.name}' has ${inputs} inputs`;
    for (let i = 0; i < inputs; i++) {
      const operand = task.operands[i]!;
      const limit = task.base ** operand.digits;
      if (!(Number.isSafeInteger(pair[i]) && pair[i]! >= 0 && pair[i]! < limit)) {
        return (
          `the case (${pair.join(', ')}) does not fit input '${operand.name}' ` +
          `(${operand.digits} digit${operand.digits === 1 ? '' : 's'} in base ${task.base})`
        );
      }
    }
  }
  return undefined;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
