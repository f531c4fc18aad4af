// Running a task contract: building prompts from operand values, reading the generated digits
// back, and computing the expected answer from the contract's formula (with the checker's evaluator).
import { EvalError, Evaluator, Scope } from '../check/evaluate.ts';
import { parseFormula } from '../syntax/parse.ts';
import type { Expr } from '../syntax/ast.ts';
import type { TaskContract } from '../check/model.ts';

export type Operands = Record<string, number>;

export function digitOf(n: number, place: number, base = 10): number {
  return Math.floor(n / base ** place) % base;
}

export function promptFor(task: TaskContract, operands: Operands): number[] {
  return task.prompt.map((slot) => {
    if (slot.kind === 'token') return slot.token;
    const v = operands[slot.operand];
    if (v === undefined) throw new Error(`no value for input ${slot.operand}`);
    return digitOf(v, slot.place, task.base);
  });
}

/** The generated tokens as a number; NaN when a token is not a digit of the task's base. */
export function readAnswer(task: TaskContract, generated: readonly number[]): number {
  const digits = task.answer === 'lsb' ? [...generated].reverse() : [...generated];
  let value = 0;
  for (const d of digits) {
    if (!Number.isInteger(d) || d < 0 || d >= task.base) return NaN;
    value = value * task.base + d;
  }
  return value;
}

// One formula language: `expect` is evaluated by the checker's evaluator, on the syntax tree the
// checker read (or, for a contract read back from ONNX metadata, on its text parsed by the same
// grammar), so it means exactly what the same text means in a weight formula.
const evaluator = new Evaluator();
const parsedFormulas = new Map<string, Expr>();

function expectFormula(task: TaskContract): Expr {
  if (task.expectFormula) return task.expectFormula;
  let expr = parsedFormulas.get(task.expect);
  if (!expr) {
    const parsed = parseFormula(task.expect);
    if (!parsed.expr) throw new Error(`the task's expected answer \`${task.expect}\` is not a formula: ${parsed.diagnostics[0]?.message ?? 'parse error'}`);
    expr = parsed.expr;
    parsedFormulas.set(task.expect, expr);
  }
  return expr;
}

export function expectedAnswer(task: TaskContract, operands: Operands): number {
  const scope = new Scope();
  for (const [name, value] of Object.entries(operands)) scope.set(name, value);
  let v: unknown;
  try {
    v = evaluator.evaluate(expectFormula(task), scope);
  } catch (e) {
    if (e instanceof EvalError) throw new Error(`the task's expected answer \`${task.expect}\` cannot be computed: ${e.message}`);
    throw e;
  }
  if (typeof v !== 'number') throw new Error(`the task's expected answer \`${task.expect}\` did not give a number`);
  return v;
}

/** Pairs (a, b) → operand records in the task's input order (the first two inputs). */
export function operandsFromPair(task: TaskContract, pair: readonly number[]): Operands {
  const out: Operands = {};
  task.operands.forEach((o, i) => (out[o.name] = pair[i]));
  return out;
}
