// The contract of a task over token strings: `input s: ["0", "1"] length 0..12`, a prompt that
// places the strings between fixed tokens, how the answer is read (generated tokens up to a stop
// token, one class at the last position, or a label at each input position), and the right answer:
// a formula over the inputs (`expect reverse(s)`) or a dataset file (`data "pairs.txt"`).
import type { Expr, Setting, TaskAst } from '../syntax/ast.ts';
import { diag } from '../diagnostics.ts';
import { Scope, shapeOf, type Value } from './evaluate.ts';
import type { Readout, StringInput, StringPromptSlot, StringTask } from './model.ts';
import { collectSettings, type Schema } from './settings.ts';
import type { CheckContext } from './context.ts';

const SCHEMA: Schema = {
  answer: { form: 'value', help: '`answer tokens` (generated), `answer class` (the last position) or `answer each` (every input position)' },
  decode: { form: 'value', help: '`decode 49`: the most tokens generated, the stop token included' },
  stop: { form: 'value', help: '`stop "EOS"`: the token that ends generation' },
  expect: { form: 'value', help: '`expect reverse(s)`: the right answer as a formula of the inputs' },
  data: { form: 'value', help: '`data "pairs.txt"`: a file of `input -> output` lines, relative to this .hw file' },
};

/** Longest string input: verification enumerates and samples strings, and the prompt must fit a context. */
export const MAX_STRING_LENGTH = 100_000;
const READOUTS: readonly Readout[] = ['tokens', 'class', 'each'];

export function checkStringTask(c: CheckContext, t: TaskAst, vocab: number, tokenNames: string[] | undefined): StringTask | undefined {
  const before = c.diags.length;
  const inputs = stringInputs(c, t, tokenNames);
  const prompt = promptSlots(c, t, inputs, vocab, tokenNames);
  const settings = collectSettings(t.settings, SCHEMA, 'task', c.diags);

  const readout = readoutOf(c, t, settings.get('answer'));
  let decode = 0;
  const decodeSetting = settings.get('decode');
  if (readout === 'tokens') {
    if (!decodeSetting) c.diags.push(diag('HW026', 'the task does not say how many tokens to generate at most', t.name.span, { hint: SCHEMA.decode.help }));
    else {
      const v = c.guard(() => c.ev.integer(decodeSetting.value!, c.scope, 'decode'));
      if (v !== undefined && (v < 1 || v > 10_000)) c.diags.push(diag('HW016', `decode ${v} is out of range (1..10000)`, decodeSetting.value!.span));
      else if (v !== undefined) decode = v;
    }
  } else if (decodeSetting && readout) {
    c.diags.push(diag('HW025', `\`decode\` is for generated answers; \`answer ${readout}\` reads the prompt's own positions`, decodeSetting.span));
  }
  const stopSetting = settings.get('stop');
  let stop: number | undefined;
  if (stopSetting && readout && readout !== 'tokens') c.diags.push(diag('HW025', '`stop` ends generation, so it goes with `answer tokens`', stopSetting.span));
  else if (stopSetting) stop = c.guard(() => tokenValue(c, stopSetting.value!));

  const labelled = readout === 'each' ? labelledInput(c, t, prompt, inputs) : undefined;
  const data = dataPath(c, settings.get('data'));
  const expectSetting = settings.get('expect');
  if (data !== undefined && inputs.length !== 1) c.diags.push(diag('HW026', 'a dataset task has exactly one input (each line is `input -> output`)', settings.get('data')!.span));
  if (expectSetting && settings.get('data')) {
    c.diags.push(diag('HW025', 'the right answer comes from `expect` or from `data`, not both', settings.get('data')!.span, { related: [{ message: '`expect` is here', span: expectSetting.span }] }));
  }
  if (!expectSetting && !settings.get('data')) {
    c.diags.push(diag('HW026', 'the task has no right answer: give `expect FORMULA` or `data "FILE"`', t.name.span, { hint: SCHEMA.expect.help }));
  }
  if (expectSetting && readout && inputs.length > 0 && !hasErrors(c, before)) checkExpect(c, expectSetting.value!, inputs, readout, vocab);

  if (hasErrors(c, before) || !readout) return undefined;
  return {
    name: t.name.name,
    inputs,
    prompt,
    readout,
    decode,
    ...(stop !== undefined ? { stop } : {}),
    ...(labelled ? { labelled } : {}),
    ...(expectSetting ? { expect: c.text(expectSetting.value!.span), expectFormula: expectSetting.value } : {}),
    ...(data !== undefined ? { data } : {}),
  };
}

function hasErrors(c: CheckContext, before: number): boolean {
  return c.diags.slice(before).some((d) => d.severity === 'error');
}

function stringInputs(c: CheckContext, t: TaskAst, tokenNames: string[] | undefined): StringInput[] {
  const inputs: StringInput[] = [];
  for (const input of t.inputs) {
    if (!input.alphabet || !input.length) {
      c.diags.push(diag('HW026', 'a task has either digit inputs or token-string inputs, not both', input.span, { hint: 'write every input as `input s: ["0", "1"] length 0..12`' }));
      continue;
    }
    if (input.unit.name !== 'length') {
      c.diags.push(diag('HW026', `after the alphabet comes \`length\`, not \`${input.unit.name}\``, input.unit.span, { hint: 'e.g. `input s: ["0", "1"] length 0..12`' }));
      continue;
    }
    const { min, max, span } = input.length;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min || max > MAX_STRING_LENGTH) {
      c.diags.push(diag('HW016', `a string length range is lo..hi with 0 ≤ lo ≤ hi ≤ ${MAX_STRING_LENGTH}, not ${min}..${max}`, span));
      continue;
    }
    const alphabet: number[] = [];
    for (const name of input.alphabet.tokens) {
      const id = tokenNames?.indexOf(name) ?? -1;
      if (id < 0) {
        c.diags.push(diag('HW026', `"${name}" is not a token of the vocabulary`, input.alphabet.span, { hint: tokenNames ? `tokens: ${tokenNames.join(' ')}` : 'name the tokens: `vocab ["0", "1", "BOS"]`' }));
      } else if (alphabet.includes(id)) {
        c.diags.push(diag('HW011', `"${name}" appears twice in the alphabet`, input.alphabet.span));
      } else alphabet.push(id);
    }
    if (input.alphabet.tokens.length === 0) c.diags.push(diag('HW028', 'the alphabet is empty', input.alphabet.span));
    for (const n of input.names) {
      if (inputs.some((o) => o.name === n.name)) c.diags.push(diag('HW011', `input \`${n.name}\` is declared twice`, n.span));
      else inputs.push({ name: n.name, alphabet, minLength: min, maxLength: max });
    }
  }
  if (t.inputs.length === 0) c.diags.push(diag('HW026', 'the task declares no inputs', t.name.span, { hint: 'e.g. `input s: ["0", "1"] length 0..12`' }));
  return inputs;
}

function promptSlots(c: CheckContext, t: TaskAst, inputs: StringInput[], vocab: number, tokenNames: string[] | undefined): StringPromptSlot[] {
  const prompt: StringPromptSlot[] = [];
  if (!t.prompt) {
    c.diags.push(diag('HW026', 'the task has no prompt layout', t.name.span, { hint: 'e.g. `prompt ["BOS", s]`' }));
    return prompt;
  }
  for (const item of t.prompt.items) {
    if (!Number.isInteger(item.repeat) || item.repeat < 1 || item.repeat > 10_000) {
      c.diags.push(diag('HW016', `repeat count ${item.repeat} is out of range (1..10000)`, item.span));
      continue;
    }
    let slot: StringPromptSlot | undefined;
    if (item.kind === 'token') {
      const id = typeof item.token === 'string' ? (tokenNames?.indexOf(item.token) ?? -1) : item.token;
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        c.diags.push(diag('HW026', typeof item.token === 'string' ? `"${item.token}" is not a token name` : `token ${id} is outside the vocabulary 0..${vocab - 1}`, item.span, tokenNames ? { hint: `tokens: ${tokenNames.join(' ')}` } : {}));
        continue;
      }
      slot = { kind: 'token', token: id };
    } else if (item.kind === 'operand') {
      c.diags.push(diag('HW026', `\`${item.operand.name} ${item.order.name}\` places a number's digits; a token string is placed by its name alone`, item.span, { hint: `write \`${item.operand.name}\`` }));
      continue;
    } else {
      if (!inputs.some((i) => i.name === item.operand.name)) {
        c.diags.push(diag('HW010', `unknown input \`${item.operand.name}\``, item.operand.span, { hint: `inputs: ${inputs.map((i) => i.name).join(', ')}` }));
        continue;
      }
      slot = { kind: 'string', input: item.operand.name };
    }
    for (let r = 0; r < item.repeat; r++) prompt.push(slot);
  }
  return prompt;
}

function readoutOf(c: CheckContext, t: TaskAst, s: Setting | undefined): Readout | undefined {
  if (!s) {
    c.diags.push(diag('HW026', 'the task does not say how the answer is read', t.name.span, { hint: SCHEMA.answer.help }));
    return undefined;
  }
  const v = s.value!;
  if (v.kind === 'name' && (READOUTS as string[]).includes(v.name)) return v.name as Readout;
  c.diags.push(diag('HW026', `a token-string task's answer is read as ${READOUTS.map((r) => `\`${r}\``).join(', ')}`, v.span, { hint: SCHEMA.answer.help }));
  return undefined;
}

/** `answer each` labels the positions of one string placed once in the prompt. */
function labelledInput(c: CheckContext, t: TaskAst, prompt: StringPromptSlot[], inputs: StringInput[]): string | undefined {
  const placed = prompt.filter((s): s is Extract<StringPromptSlot, { kind: 'string' }> => s.kind === 'string');
  if (inputs.length !== 1 || placed.length !== 1) {
    c.diags.push(diag('HW026', '`answer each` labels the positions of one input string, placed once in the prompt', t.prompt?.span ?? t.span));
    return undefined;
  }
  return placed[0]!.input;
}

function tokenValue(c: CheckContext, e: Expr): number {
  const v = c.evaluate(e);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw c.ev.error('HW021', 'this must be one token, e.g. "EOS"', e.span);
  return v;
}

function dataPath(c: CheckContext, s: Setting | undefined): string | undefined {
  if (!s) return undefined;
  const v = s.value!;
  if (v.kind !== 'str' || v.value === '') {
    c.diags.push(diag('HW021', '`data` is a file path in quotes', v.span, { hint: SCHEMA.data.help }));
    return undefined;
  }
  return v.value;
}

/** Evaluates `expect` on sample strings (shortest and longest, cycling through the alphabet) so that
 * a typo or a wrongly shaped answer is a diagnostic here, not an exception halfway through a run. */
function checkExpect(c: CheckContext, e: Expr, inputs: StringInput[], readout: Readout, vocab: number): void {
  for (const pick of ['min', 'max'] as const) {
    // The inputs alone, as at run time (src/runtime/string-task.ts): the model's own names are not
    // part of the right answer.
    const scope = new Scope();
    const values: Record<string, number[]> = {};
    for (const i of inputs) {
      const n = Math.min(pick === 'min' ? i.minLength : i.maxLength, 1000);
      values[i.name] = Array.from({ length: n }, (_, k) => i.alphabet[k % i.alphabet.length]!);
      scope.set(i.name, values[i.name]!);
    }
    const v = c.guard(() => c.evaluate(e, scope));
    if (v === undefined) return;
    const problem = answerProblem(v, readout, vocab, values);
    if (problem) {
      c.diags.push(diag('HW026', `the expected answer ${problem}`, e.span, { hint: `on the sample input ${inputs.map((i) => `${i.name} of length ${values[i.name]!.length}`).join(', ')}` }));
      return;
    }
  }
}

/** Why a value computed by `expect` is not an answer of this readout, or undefined. */
export function answerProblem(v: Value, readout: Readout, vocab: number, inputs: Record<string, number[]>): string | undefined {
  const tokens = typeof v === 'number' ? [v] : Array.isArray(v) && shapeOf(v).length === 1 ? (v as Value[]) : undefined;
  if (!tokens || !tokens.every((t) => typeof t === 'number')) return `must be a token or a vector of tokens, not ${typeof v === 'boolean' ? 'true/false' : `shape [${shapeOf(v).join(', ')}]`}`;
  const bad = (tokens as number[]).find((t) => !Number.isInteger(t) || t < 0 || t >= vocab);
  if (bad !== undefined) return `holds ${bad}, which is not a token id (0..${vocab - 1}); write tokens by name, e.g. "1" or token(n)`;
  if (readout === 'class' && tokens.length !== 1) return `must be one token for \`answer class\`, not ${tokens.length}`;
  if (readout === 'each') {
    const n = Object.values(inputs)[0]?.length ?? 0;
    if (tokens.length !== n) return `must have one label per input position (${n}), not ${tokens.length}`;
  }
  return undefined;
}

/** The longest prompt a string task builds, and the tokens decoded after it (1 for the readouts
 * that read the prompt itself), so the context check can treat it like a digit task. */
export function stringTaskPositions(t: StringTask): { prompt: number; decode: number } {
  let prompt = 0;
  for (const slot of t.prompt) prompt += slot.kind === 'token' ? 1 : t.inputs.find((i) => i.name === slot.input)!.maxLength;
  return { prompt, decode: t.readout === 'tokens' ? t.decode : 1 };
}
