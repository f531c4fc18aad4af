// Choosing the specification a task is proved against. The affine prover knows one kind of task,
// `a + b` (addition-spec.ts); a new kind plugs in here, beside it.
import type { TaskContract } from '../../check/model.ts';
import { AdditionSpec, additionProblem } from './addition-spec.ts';
import type { ProofSpec } from './spec.ts';

/** Why the affine prover has no specification for this task, or undefined when it has one. */
export function proofProblem(task: TaskContract | undefined): string | undefined {
  if (!task) return 'the model has no task block, so there is nothing to prove';
  return additionProblem(task);
}

/** The specification to prove `task` against. Throws ProofLimit with `proofProblem`'s reason when
 * there is none. */
export function proofSpecFor(task: TaskContract): ProofSpec<unknown> {
  return new AdditionSpec(task) as ProofSpec<unknown>;
}
