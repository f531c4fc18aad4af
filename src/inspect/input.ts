// What `handwire inspect` runs the model on, with the same options as `handwire run`: task inputs
// (--a, --b as shorthands for --input a=…, b=…), or a raw prompt (--tokens), and --steps. With
// no input at all it picks operands that exercise carries. Mistakes here are the user's, so they
// come back as messages, not exceptions.
import type { CheckedModel, TaskContract } from '../check/model.ts';
import { didYouMean } from '../diagnostics.ts';
import { promptFor, type Operands } from '../runtime/task.ts';

export interface InspectInputOptions {
  a?: string;
  b?: string;
  /** `name=value` entries. */
  input?: string[];
  /** Token ids (or token names), separated by commas or spaces. */
  tokens?: string;
  steps?: string;
}

export interface InspectInput {
  prompt: number[];
  steps: number;
  /** The task's inputs, when the prompt has the task's layout. */
  operands?: Operands;
}

export type InspectInputResult = { ok: true; input: InspectInput } | { ok: false; message: string };

export function resolveInspectInput(model: CheckedModel, opts: InspectInputOptions): InspectInputResult {
  try {
    return { ok: true, input: resolve(model, opts) };
  } catch (e) {
    if (e instanceof InputMistake) return { ok: false, message: e.message };
    throw e;
  }
}

class InputMistake extends Error {}

function resolve(model: CheckedModel, opts: InspectInputOptions): InspectInput {
  const task = model.task;
  const givesInputs = opts.a !== undefined || opts.b !== undefined || (opts.input?.length ?? 0) > 0;
  if (givesInputs && opts.tokens !== undefined) throw new InputMistake('give either --tokens or task inputs (--a, --b, --input), not both');

  let prompt: number[];
  let operands: Operands | undefined;
  if (opts.tokens !== undefined) {
    prompt = parseTokens(model, opts.tokens);
    operands = task && operandsFromPrompt(task, prompt);
  } else {
    if (!task) throw new InputMistake('this model defines no task: give a raw prompt with --tokens');
    operands = givesInputs ? parseOperands(task, opts) : defaultOperands(task);
    prompt = promptFor(task, operands);
  }
  const steps = opts.steps !== undefined ? count(opts.steps, '--steps') : task?.decode;
  if (steps === undefined) throw new InputMistake('this model defines no task, so say how many tokens to generate with --steps N');
  // The last step reads the prompt and every generated token but the last.
  const positions = prompt.length + Math.max(steps - 1, 0);
  if (model.context > 0 && positions > model.context) {
    throw new InputMistake(`${prompt.length} prompt tokens and ${steps} steps need ${positions} positions, but the model's context is ${model.context}`);
  }
  return { prompt, steps, operands };
}

/** Operands that exercise carries: the digits of the first input count down from 9 and those of
 * the others up from 1, most significant first. For 10-digit addition: 9876543210 + 1234567890. */
export function defaultOperands(task: TaskContract): Operands {
  const out: Operands = {};
  task.operands.forEach((o, i) => {
    let v = 0;
    for (let d = 0; d < o.digits; d++) {
      const digit = i === 0 ? (((9 - d) % 10) + 10) % 10 : (1 + d) % 10;
      v = v * task.base + (digit % task.base);
    }
    out[o.name] = v;
  });
  return out;
}

function parseOperands(task: TaskContract, opts: InspectInputOptions): Operands {
  const given = new Map<string, string>();
  const give = (name: string, value: string, how: string) => {
    if (given.has(name)) throw new InputMistake(`input \`${name}\` is given twice (last by ${how})`);
    given.set(name, value);
  };
  if (opts.a !== undefined) give('a', opts.a, '--a');
  if (opts.b !== undefined) give('b', opts.b, '--b');
  for (const entry of opts.input ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new InputMistake(`--input expects name=value, got '${entry}'`);
    give(entry.slice(0, eq).trim(), entry.slice(eq + 1), `--input ${entry}`);
  }
  const names = task.operands.map((o) => o.name);
  for (const name of given.keys()) {
    if (!names.includes(name)) {
      const hint = didYouMean(name, names);
      throw new InputMistake(`the task has no input \`${name}\` (its inputs: ${names.join(', ')})${hint ? `; ${hint}` : ''}`);
    }
  }
  const operands: Operands = {};
  for (const { name, digits } of task.operands) {
    const text = given.get(name);
    if (text === undefined) throw new InputMistake(`no value for the task input \`${name}\`: give ${name === 'a' || name === 'b' ? `--${name} N` : `--input ${name}=N`}`);
    const value = count(text, `input \`${name}\``);
    if (value >= task.base ** digits) throw new InputMistake(`input \`${name}\` = ${value} has more than ${digits} base-${task.base} digits`);
    operands[name] = value;
  }
  return operands;
}

/** The task's inputs read back from a raw prompt; undefined when it does not have the task's layout. */
function operandsFromPrompt(task: TaskContract, prompt: readonly number[]): Operands | undefined {
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

function count(text: string, what: string): number {
  const t = text.trim();
  const v = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v)) throw new InputMistake(`${what} must be a non-negative whole number, got '${text}'`);
  return v;
}

function parseTokens(model: CheckedModel, text: string): number[] {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  if (parts.length === 0) throw new InputMistake('--tokens needs at least one token');
  return parts.map((p) => {
    const named = model.tokenNames?.indexOf(p) ?? -1;
    if (named >= 0) return named;
    if (/^\d+$/.test(p) && Number(p) < model.vocab) return Number(p);
    const names = model.tokenNames ? `, or a token name` : '';
    throw new InputMistake(`--tokens: '${p}' is not a token id (0..${model.vocab - 1}${names})`);
  });
}
