// What a digit task asks, read off its contract as data: how each output digit follows from the
// input digits. Two shapes are understood:
// - `sum`: `a + b`, whose output digits follow a carry automaton (addition-spec.ts);
// - `digit map`: every output digit is one input digit or 0 (a copy, a reversal: `expect x` with
//   any prompt order), so output place p is a fixed input digit (digit-map-spec.ts).
// The prompt's own slots say which input digit sits at which position, so the same plan covers a
// prompt written msb or lsb first. select.ts turns the plan into a ProofSpec.
import type { TaskContract } from '../../check/model.ts';
import type { Expr } from '../../syntax/ast.ts';
import { parseFormula } from '../../syntax/parse.ts';
import { additionProblem } from './addition-spec.ts';

/** One output digit: input `operand`'s digit at `place`, or the constant 0. */
export type OutputDigit = { kind: 'digit'; operand: number; place: number } | { kind: 'zero' };

export type DigitTaskPlan = { kind: 'sum' } | { kind: 'digit map'; outputs: OutputDigit[] };

/** The plan for `task`, or why there is none (a string). */
export function digitTaskPlan(task: TaskContract): DigitTaskPlan | string {
  if (task.base < 2 || task.base > 16) return `base ${task.base} is not supported`;
  for (const slot of task.prompt) {
    if (slot.kind === 'digit' && !task.operands.some((o) => o.name === slot.operand)) return `the prompt reads an unknown input ${slot.operand}`;
  }
  const expr = formula(task);
  if (expr?.kind === 'name') {
    const operand = task.operands.findIndex((o) => o.name === expr.name);
    if (operand < 0) return `the task expects \`${task.expect}\`, which is not one of its inputs`;
    const digits = task.operands[operand]!.digits;
    if (task.decode < digits) return `the answer has ${task.decode} digits but ${expr.name} has ${digits}`;
    // Answer place p is the input's digit p; places past its width are 0.
    const outputs: OutputDigit[] = Array.from({ length: task.decode }, (_, p) => (p < digits ? { kind: 'digit', operand, place: p } : { kind: 'zero' }));
    return { kind: 'digit map', outputs };
  }
  const problem = additionProblem(task);
  if (problem) return `${problem} (the prover knows \`a + b\` and copies of one input, \`expect x\`)`;
  return { kind: 'sum' };
}

function formula(task: TaskContract): Expr | undefined {
  if (task.expectFormula) return task.expectFormula;
  return parseFormula(task.expect).expr ?? undefined;
}
