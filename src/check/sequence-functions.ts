// Functions over sequences, for task contracts (`expect majority(s)`) and for any formula: a token
// string is a vector of token ids, and a quoted token name ("(") is its id, so these take and give
// plain vectors of numbers. Each is the textbook definition, written out so that what a task means
// is read off here and nowhere else.

/** The evaluator's Value (./evaluate.ts), restated so that this module, which evaluate.ts imports,
 * imports nothing back. */
type Value = number | boolean | Value[];

export class SequenceError extends Error {}

function sequence(v: Value, fn: string): number[] {
  if (typeof v === 'number') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new SequenceError(`\`${fn}\` takes a vector of numbers (a token string)`);
  return v as number[];
}

function scalar(v: Value, fn: string): number {
  if (typeof v !== 'number') throw new SequenceError(`\`${fn}\`: this argument must be a single number (a token)`);
  return v;
}

function count(s: number[], x: number): number {
  let n = 0;
  for (const t of s) if (t === x) n++;
  return n;
}

/** The digits of a + b, most significant first and without leading zeros ([0] when the sum is 0),
 * where a and b are numbers written as vectors of decimal digits, most significant first (the token
 * ids of a vocabulary that starts "0", …, "9"). BigInt, so any length is exact. */
function addDigits(a: Value, b: Value): number[] {
  const number = (v: Value): bigint => {
    const digits = sequence(v, 'add_digits');
    for (const d of digits) if (!Number.isInteger(d) || d < 0 || d > 9) throw new SequenceError(`\`add_digits\` adds numbers written as decimal digits 0..9, and ${d} is not one`);
    return digits.length === 0 ? 0n : BigInt(digits.join(''));
  };
  return [...(number(a) + number(b)).toString()].map(Number);
}

/** Name → arity and definition. `entries` bounds the result's size before it is built. */
export const SEQUENCE_FUNCTIONS: Record<string, { min: number; max: number; fn: (...a: Value[]) => Value; entries?: (...a: Value[]) => number }> = {
  /** How often x occurs in s. */
  count: { min: 2, max: 2, fn: (s, x) => count(sequence(s, 'count'), scalar(x, 'count')) },
  /** 1 when x occurs an odd number of times in s, else 0. */
  parity: { min: 2, max: 2, fn: (s, x) => count(sequence(s, 'parity'), scalar(x, 'parity')) % 2 },
  /** s back to front. */
  reverse: { min: 1, max: 1, fn: (s) => [...sequence(s, 'reverse')].reverse() },
  /** s in ascending order (of token id). */
  sort: { min: 1, max: 1, fn: (s) => [...sequence(s, 'sort')].sort((a, b) => a - b) },
  /** s with every repeat of an earlier token removed (first occurrences, in order). */
  dedupe: { min: 1, max: 1, fn: (s) => [...new Set(sequence(s, 'dedupe'))] },
  /** The token that occurs most often in s; on a tie, the one with the lowest id. */
  majority: {
    min: 1,
    max: 1,
    fn: (s) => {
      const seq = sequence(s, 'majority');
      if (seq.length === 0) throw new SequenceError('`majority` of an empty string is undefined');
      let best = seq[0]!;
      for (const t of new Set(seq)) {
        const c = count(seq, t);
        const b = count(seq, best);
        if (c > b || (c === b && t < best)) best = t;
      }
      return best;
    },
  },
  /** 1 when the brackets `open`/`close` in s are balanced (every prefix has at least as many opens
   * as closes, and the totals are equal), else 0; other tokens are ignored. */
  balanced: {
    min: 3,
    max: 3,
    fn: (s, open, close) => {
      const o = scalar(open, 'balanced');
      const c = scalar(close, 'balanced');
      let depth = 0;
      for (const t of sequence(s, 'balanced')) {
        if (t === o) depth++;
        else if (t === c && --depth < 0) return 0;
      }
      return depth === 0 ? 1 : 0;
    },
  },
  /** For each position, how often its token occurs in the whole of s. */
  histogram: { min: 1, max: 1, fn: (s) => { const seq = sequence(s, 'histogram'); return seq.map((t) => count(seq, t)); } },
  /** The decimal digits of a + b (see addDigits). */
  add_digits: { min: 2, max: 2, fn: (a, b) => addDigits(a, b), entries: (a, b) => Math.max(Array.isArray(a) ? a.length : 1, Array.isArray(b) ? b.length : 1) + 1 },
  /** For each position i: the token that followed the most recent earlier occurrence of s[i], or
   * `none` where s[i] has not occurred before (the induction-head task). */
  induction: {
    min: 2,
    max: 2,
    fn: (s, none) => {
      const seq = sequence(s, 'induction');
      const fallback = scalar(none, 'induction');
      return seq.map((t, i) => {
        for (let j = i - 1; j >= 0; j--) if (seq[j] === t) return seq[j + 1]!;
        return fallback;
      });
    },
  },
};
