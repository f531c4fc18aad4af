// Running a task contract: building prompts from operand values, reading the generated digits
// back, and computing the expected answer from the contract's formula (with mathjs).
import { createRequire } from 'node:module';
import type { EvalFunction } from 'mathjs';
import type * as MathJs from 'mathjs';

// The CommonJS build of mathjs loads about twice as fast as its ES modules (see check/evaluate.ts).
const { compile } = createRequire(import.meta.url)('mathjs') as typeof MathJs;
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

const compiled = new Map<string, EvalFunction>();

export function expectedAnswer(task: TaskContract, operands: Operands): number {
  let f = compiled.get(task.expect);
  if (!f) {
    f = compile(task.expect);
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
