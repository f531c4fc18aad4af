// What the prover needs from a task: a way to cut the input space into regions and, per region and
// decode step, the token sets the model sees and the token it must produce. The driver (prove.ts)
// proves, for every step k, that whenever the tokens generated before k are the right ones, the
// model's argmax at step k is the right one too; by induction over k, greedy decoding then
// produces the right answer for every input.
//
// A task plugs in by implementing ProofSpec for its own region type and being chosen in select.ts;
// addition-spec.ts is the implementation for `a + b`.
import type { TaskContract } from '../../check/model.ts';
import type { Operands } from '../../runtime/task.ts';

export interface ProofSpec<R> {
  /** The task specified: its prompt, decode steps and answer format are what the runtime decodes
   * sampled inputs with when it looks for a counterexample. */
  readonly task: TaskContract;
  /** Decode steps to prove. */
  readonly steps: number;
  /** The whole input space, for one step. */
  root(step: number): R;
  /** Bitmask of the tokens possible at each position of the sequence the model reads at `step`
   * (prompt, then the tokens generated at steps < `step`, assumed right). Must contain every token
   * any input of the region puts there. */
  tokenSets(region: R, step: number): Int32Array;
  /** The token every input of the region must get at `step`, or undefined when they differ. */
  expected(region: R, step: number): number | undefined;
  /** Worth bounding: the expected token is known and the sequence's last token is fixed. */
  ready(region: R, step: number): boolean;
  /** Regions whose union is `region` (one more variable fixed), or undefined when nothing is left
   * to split. Empty regions are left out. */
  split(region: R, step: number): R[] | undefined;
  /** Inputs of the region at random (for looking for a counterexample). */
  samples(region: R, count: number, random: () => number): Operands[];
  /** How many inputs the region holds, as a fraction of the whole input space. */
  fraction(region: R): number;
  /** The region in words, e.g. "a_3 = 9, b_3 = 0, carry into 3 = 1". */
  describe(region: R): string;
  /** Number of fixed variables (for reporting the smallest undecided region). */
  depth(region: R): number;
}
