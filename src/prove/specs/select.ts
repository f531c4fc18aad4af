// Choosing the specification a task is proved against, from the task's plan (digit-task.ts): `a + b`
// is proved over its carry automaton (addition-spec.ts), a task whose output digits are input
// digits over those digits (digit-map-spec.ts). A new shape of task plugs in here, beside them.
import type { TaskContract } from '../../check/model.ts';
import { ProofLimit } from '../domains/affine-tensor.ts';
import { AdditionSpec } from './addition-spec.ts';
import { DigitMapSpec } from './digit-map-spec.ts';
import { digitTaskPlan } from './digit-task.ts';
import type { ProofSpec } from './spec.ts';

/** Why the affine prover has no specification for this task, or undefined when it has one. */
export function proofProblem(task: TaskContract | undefined): string | undefined {
  if (!task) return 'the model has no task block, so there is nothing to prove';
  const plan = digitTaskPlan(task);
  return typeof plan === 'string' ? plan : undefined;
}

/** The specification to prove `task` against. Throws ProofLimit with `proofProblem`'s reason when
 * there is none. */
export function proofSpecFor(task: TaskContract): ProofSpec<unknown> {
  const plan = digitTaskPlan(task);
  if (typeof plan === 'string') throw new ProofLimit(plan);
  if (plan.kind === 'digit map') return new DigitMapSpec(task, plan.outputs) as ProofSpec<unknown>;
  return new AdditionSpec(task) as ProofSpec<unknown>;
}
