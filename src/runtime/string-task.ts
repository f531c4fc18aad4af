// Running a token-string task: a case is one token string per input; its prompt is the task's
// layout with the strings put in, its right answer comes from `expect` (the checker's evaluator, so
// the formula means what it means in a weight) or from a dataset line, and its answer is read from
// the model by the task's readout.
import { EvalError, Evaluator, Scope } from '../check/evaluate.ts';
import { answerProblem } from '../check/check-string-task.ts';
import type { CheckedModel, StringTask } from '../check/model.ts';
import { parseFormula } from '../syntax/parse.ts';

/** Token ids per input name. */
export type StringCase = Record<string, number[]>;

export function stringPrompt(task: StringTask, c: StringCase): number[] {
  const out: number[] = [];
  for (const slot of task.prompt) {
    if (slot.kind === 'token') out.push(slot.token);
    else out.push(...c[slot.input]!);
  }
  return out;
}

/** Where the labelled input's tokens sit in the prompt (`answer each`). */
export function labelPositions(task: StringTask, c: StringCase): number[] {
  const positions: number[] = [];
  let at = 0;
  for (const slot of task.prompt) {
    if (slot.kind === 'token') at++;
    else {
      const n = c[slot.input]!.length;
      if (slot.input === task.labelled) for (let i = 0; i < n; i++) positions.push(at + i);
      at += n;
    }
  }
  return positions;
}

const evaluators = new WeakMap<CheckedModel, Evaluator>();

/** The right answer's tokens by the task's `expect` formula. */
export function expectedTokens(model: CheckedModel, c: StringCase): number[] {
  const task = model.stringTask!;
  let ev = evaluators.get(model);
  if (!ev) {
    ev = new Evaluator();
    ev.tokenNames = model.tokenNames;
    evaluators.set(model, ev);
  }
  let formula = task.expectFormula;
  if (!formula) {
    const parsed = parseFormula(task.expect ?? '');
    if (!parsed.expr) throw new Error(`the task's expected answer \`${task.expect}\` is not a formula`);
    formula = task.expectFormula = parsed.expr;
  }
  const scope = new Scope();
  for (const [name, value] of Object.entries(c)) scope.set(name, value);
  let v;
  try {
    v = ev.evaluate(formula, scope);
  } catch (e) {
    if (e instanceof EvalError) throw new Error(`the task's expected answer \`${task.expect}\` cannot be computed for ${describeCase(model, c)}: ${e.message}`);
    throw e;
  }
  const problem = answerProblem(v, task.readout, model.vocab, c);
  if (problem) throw new Error(`the expected answer \`${task.expect}\` for ${describeCase(model, c)} ${problem}`);
  return typeof v === 'number' ? [v] : (v as number[]);
}

export function tokenText(model: CheckedModel, tokens: readonly number[]): string {
  return tokens.map((t) => model.tokenNames?.[t] ?? String(t)).join(' ');
}

export function describeCase(model: CheckedModel, c: StringCase): string {
  const entries = Object.entries(c);
  if (entries.length === 1) return `"${tokenText(model, entries[0]![1])}"`;
  return entries.map(([k, v]) => `${k} = "${tokenText(model, v)}"`).join(', ');
}

export class StringInputError extends Error {}

/** A token string typed by a person: token names separated by spaces (single-character names may
 * also be run together, as in `0110` or `(())`). Checked against the input's alphabet and length. */
export function stringFromText(model: CheckedModel, input: StringTask['inputs'][number], text: string): number[] {
  const names = model.tokenNames ?? [];
  const words = text.trim() === '' ? [] : text.trim().split(/\s+/);
  const singles = input.alphabet.every((t) => (names[t] ?? '').length === 1);
  const parts = words.length === 1 && singles && !names.includes(words[0]!) ? [...words[0]!] : words;
  const ids = parts.map((w) => {
    const id = names.indexOf(w);
    if (id < 0 || !input.alphabet.includes(id)) {
      throw new StringInputError(`'${w}' is not in the alphabet of input \`${input.name}\` (${input.alphabet.map((t) => names[t]).join(' ')})`);
    }
    return id;
  });
  if (ids.length < input.minLength || ids.length > input.maxLength) {
    throw new StringInputError(`input \`${input.name}\` has ${ids.length} tokens; the task takes ${input.minLength}..${input.maxLength}`);
  }
  return ids;
}
