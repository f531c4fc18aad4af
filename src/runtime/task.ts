// Running a task contract: building prompts from operand values, reading the generated digits
// back, and computing the expected answer from the contract's formula (with mathjs).
import type { EvalFunction, MathJsInstance } from 'mathjs';
import { loadMathjs } from '../check/mathjs.ts';
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

let mathjs: MathJsInstance | undefined;
const compiled = new Map<string, EvalFunction>();

export function expectedAnswer(task: TaskContract, operands: Operands): number {
  let f = compiled.get(task.expect);
  if (!f) {
    // mathjs's default configuration, as `expect` formulas have always been read; loaded on first use.
    mathjs ??= (({ create, all }) => create(all))(loadMathjs());
    f = mathjs.compile(task.expect);
    compiled.set(task.expect, f);
  }
  const v = f.evaluate({ ...operands });
  if (typeof v !== 'number') throw new Error(`the task's expected answer \`${task.expect}\` did not give a number`);
  return v;
}

/** Pairs (a, b) → operand records in the task's input order (the first two inputs). */
export function operandsFromPair(task: TaskContract, pair: readonly number[]): Operands {
  const out: Operands = {};
  task.operands.forEach((o, i) => (out[o.name] = pair[i]));
  return out;
}
