// One Task interface for run, verify and prove: what the inputs are (a domain that can be counted,
// enumerated in a fixed order and sampled with a seed), the prompt of each case, its right answer as
// tokens, and how the answer is read from the model. Three implementations: token-string tasks
// (strings.ts), digit tasks with addition among them (digits.ts, which also offers the AdderBoard
// protocol and the sweeps), and a dataset's lines (dataset.ts); taskOf (model-task.ts) picks one.

export type TaskReadout<C> =
  | { kind: 'tokens'; decode: number; stop?: number }
  | { kind: 'positions'; at(c: C, prompt: readonly number[]): number[] };

export interface Domain<C> {
  /** How many cases there are (Infinity when too many to count in a double). */
  size: number;
  /** In words, e.g. "strings of length 1..12 over 0 1". */
  describe: string;
  /** Every case in a fixed order; only called when `size` is within a budget. */
  enumerate(): Iterable<C>;
  /** `n` cases drawn with `seed`, stratified where the domain has strata (string lengths). */
  sample(n: number, seed: number): C[];
}

export interface Task<C = unknown> {
  name: string;
  domain: Domain<C>;
  prompt(c: C): number[];
  expected(c: C): number[];
  readout: TaskReadout<C>;
  /** The input as a person would type it. */
  show(c: C): string;
  showTokens(tokens: readonly number[]): string;
}

