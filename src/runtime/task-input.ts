// Turning what a person typed into model inputs: task operands from `--a`, `--b` and
// `--input name=value`, raw prompts from `--tokens`, and the operands read back out of a raw prompt
// laid out like the task's. Shared by every command that runs a model on one input (run, inspect);
// mistakes are TaskInputErrors, which the commands show as one line.
import { didYouMean } from '../diagnostics.ts';
import type { CheckedModel, TaskContract } from '../check/model.ts';
import { promptFor, type Operands } from './task.ts';
import { checkContextLength } from './context-length.ts';

export class TaskInputError extends Error {}

export interface OperandOptions {
  a?: string;
  b?: string;
  /** `name=value` entries. */
  input?: readonly string[];
}

/** The task's inputs, each given exactly once, each fitting its declared digits. */
export function operandsFromOptions(task: TaskContract, opts: OperandOptions): Operands {
  const given = new Map<string, string>();
  const give = (name: string, value: string, how: string) => {
    if (given.has(name)) throw new TaskInputError(`input \`${name}\` is given twice (last by ${how})`);
    given.set(name, value);
  };
  if (opts.a !== undefined) give('a', opts.a, '--a');
  if (opts.b !== undefined) give('b', opts.b, '--b');
  for (const entry of opts.input ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new TaskInputError(`--input expects name=value, got '${entry}'`);
    give(entry.slice(0, eq).trim(), entry.slice(eq + 1), `--input ${entry}`);
  }
  const names = task.operands.map((o) => o.name);
  for (const name of given.keys()) {
    if (!names.includes(name)) {
      // Among one-letter names every other name is one edit away, so only longer names get a guess.
      const hint = name.length > 2 ? didYouMean(name, names) : undefined;
      throw new TaskInputError(`the task has no input \`${name}\` (its inputs: ${names.join(', ')})${hint ? `; ${hint}` : ''}`);
    }
  }
  const operands: Operands = {};
  for (const { name, digits } of task.operands) {
    const text = given.get(name);
    const flag = name === 'a' || name === 'b' ? `--${name} N` : `--input ${name}=N`;
    if (text === undefined) throw new TaskInputError(`no value for the task input \`${name}\`: give ${flag}`);
    const value = wholeNumber(text, `input \`${name}\``);
    if (value >= task.base ** digits) throw new TaskInputError(`input \`${name}\` = ${value} has more than ${digits} base-${task.base} digits`);
    operands[name] = value;
  }
  return operands;
}

/** Token ids separated by commas or spaces; a model with named tokens also takes the names. */
export function tokensFromText(text: string, vocab: number, names: readonly string[] | undefined): number[] {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new TaskInputError('--tokens needs at least one token');
  return parts.map((p) => {
    const named = names?.indexOf(p) ?? -1;
    if (named >= 0) return named;
    if (/^\d+$/.test(p) && Number(p) < vocab) return Number(p);
    throw new TaskInputError(`--tokens: '${p}' is not a token id (0..${vocab - 1})${names ? ' or a token name' : ''}`);
  });
}

/** The task's inputs read back from a raw prompt; undefined when it does not have the task's
 * layout (another length, or a fixed token that differs). */
export function operandsFromPrompt(task: TaskContract, prompt: readonly number[]): Operands | undefined {
  if (prompt.length !== task.prompt.length) return undefined;
  const operands: Operands = Object.fromEntries(task.operands.map((o) => [o.name, 0]));
  for (let i = 0; i < prompt.length; i++) {
    const slot = task.prompt[i]!;
    const token = prompt[i]!;
    if (slot.kind === 'token') {
      if (token !== slot.token) return undefined;
    } else {
      if (token >= task.base) return undefined;
      operands[slot.operand]! += token * task.base ** slot.place;
    }
  }
  return operands;
}

export function wholeNumber(text: string, what: string): number {
  const t = text.trim();
  const v = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v)) throw new TaskInputError(`${what} must be a non-negative whole number, got '${text}'`);
  return v;
}

export interface RunInputOptions extends OperandOptions {
  /** Token ids (or token names), separated by commas or spaces. */
  tokens?: string;
  steps?: string;
}

export interface RunInput {
  prompt: number[];
  steps: number;
  /** The task's inputs, when the prompt has the task's layout. */
  operands?: Operands;
}

/**
 * The prompt and number of steps for one run: from the task's inputs, or a raw `--tokens` prompt;
 * with neither, `fallback` picks operands (or it is a mistake). A prompt that does not fit the
 * model's context is a ContextLengthError.
 */
export function resolveRunInput(model: CheckedModel, opts: RunInputOptions, fallback?: (task: TaskContract) => Operands): RunInput {
  const task = model.task;
  const givesInputs = opts.a !== undefined || opts.b !== undefined || (opts.input?.length ?? 0) > 0;
  if (givesInputs && opts.tokens !== undefined) throw new TaskInputError('give either --tokens or task inputs (--a, --b, --input), not both');
  let prompt: number[];
  let operands: Operands | undefined;
  if (opts.tokens !== undefined) {
    prompt = tokensFromText(opts.tokens, model.vocab, model.tokenNames);
    operands = task && operandsFromPrompt(task, prompt);
  } else {
    if (!task) throw new TaskInputError('this model defines no task: give a raw prompt with --tokens');
    operands = givesInputs || !fallback ? operandsFromOptions(task, opts) : fallback(task);
    prompt = promptFor(task, operands);
  }
  const steps = opts.steps !== undefined ? wholeNumber(opts.steps, '--steps') : task?.decode;
  if (steps === undefined) throw new TaskInputError('this model defines no task, so say how many tokens to generate with --steps N');
  // The last step reads the prompt and every generated token but the last.
  const positions = prompt.length + Math.max(steps - 1, 0);
  checkContextLength(positions, model.context, `${prompt.length} prompt tokens and ${steps} steps`);
  return { prompt, steps, operands };
}
