// The task contract: which operands a prompt holds and where each digit goes, how many tokens are
// decoded and how they are read back, and the formula for the right answer. It is data: the runtime
// and verifier read it, the compiler stores it in the ONNX metadata.
import type { TaskAst } from '../syntax/ast.ts';
import { diag } from '../diagnostics.ts';
import { Scope } from './evaluate.ts';
import type { PromptSlot, StringTask, TaskContract, TaskOperand } from './model.ts';
import { checkStringTask } from './check-string-task.ts';
import { collectSettings, type Schema } from './settings.ts';
import type { CheckContext } from './context.ts';

const TASK: Schema = {
  decode: { form: 'value', help: '`decode 11`: number of tokens generated greedily' },
  answer: { form: 'value', help: '`answer lsb` or `answer msb`: the order in which the generated digits are read' },
  expect: { form: 'value', help: '`expect a + b`: the right answer as a formula of the inputs' },
};

const OWN_SYNTAX: Record<string, string> = {
  input: 'write `input a, b: 10 digits`',
  prompt: 'write e.g. `prompt [0, a lsb, 0 * 9, b lsb, 0]`: each item is a token number, a "token name" or an input with its digit order (lsb or msb), optionally `* count`',
};

const MAX_DIGITS = 15; // operands stay exact in float64 integers (10^15 < 2^53)

/** A task over token strings (an input with an alphabet, or a string placed in the prompt). */
export function isStringTask(t: TaskAst): boolean {
  return t.inputs.some((i) => i.alphabet);
}

export function checkAnyTask(c: CheckContext, t: TaskAst, vocab: number, tokenNames?: string[]): { task?: TaskContract; stringTask?: StringTask } {
  return isStringTask(t) ? { stringTask: checkStringTask(c, t, vocab, tokenNames) } : { task: checkTask(c, t, vocab, tokenNames) };
}

export function checkTask(c: CheckContext, t: TaskAst, vocab: number, tokenNames?: string[]): TaskContract | undefined {
  const before = c.diags.length;
  const operands: TaskOperand[] = [];
  for (const input of t.inputs) {
    if (input.unit.name !== 'digits') {
      c.diags.push(diag('HW026', `unknown input unit \`${input.unit.name}\``, input.unit.span, { hint: 'inputs are written `input a, b: 10 digits`' }));
      continue;
    }
    if (!Number.isInteger(input.digits) || input.digits < 1 || input.digits > MAX_DIGITS) {
      c.diags.push(diag('HW016', `an input has 1 to ${MAX_DIGITS} digits, not ${input.digits}`, input.span));
      continue;
    }
    for (const n of input.names) {
      if (operands.some((o) => o.name === n.name)) c.diags.push(diag('HW011', `input \`${n.name}\` is declared twice`, n.span));
      else operands.push({ name: n.name, digits: input.digits });
    }
  }
  if (operands.length === 0) c.diags.push(diag('HW026', 'the task declares no inputs', t.name.span, { hint: 'e.g. `input a, b: 10 digits`' }));

  const prompt: PromptSlot[] = [];
  if (!t.prompt) c.diags.push(diag('HW026', 'the task has no prompt layout', t.name.span, { hint: 'e.g. `prompt [0, a lsb, 0 * 9, b lsb, 0]`' }));
  for (const item of t.prompt?.items ?? []) {
    if (!Number.isInteger(item.repeat) || item.repeat < 1 || item.repeat > 10_000) {
      c.diags.push(diag('HW016', `repeat count ${item.repeat} is out of range (1..10000)`, item.span));
      continue;
    }
    if (item.kind === 'token') {
      let id: number | undefined;
      if (typeof item.token === 'string') {
        id = tokenNames?.indexOf(item.token);
        if (id === undefined || id < 0) {
          c.diags.push(diag('HW026', `"${item.token}" is not a token name`, item.span, { hint: tokenNames ? `tokens: ${tokenNames.join(' ')}` : 'this vocabulary has no token names' }));
          continue;
        }
      } else {
        id = item.token;
        if (!Number.isInteger(id) || id < 0 || id >= vocab) {
          c.diags.push(diag('HW026', `token ${id} is outside the vocabulary 0..${vocab - 1}`, item.span));
          continue;
        }
      }
      for (let r = 0; r < item.repeat; r++) prompt.push({ kind: 'token', token: id });
      continue;
    }
    if (item.kind === 'string') {
      c.diags.push(diag('HW026', `\`${item.operand.name}\` needs a digit order: \`${item.operand.name} lsb\` or \`${item.operand.name} msb\``, item.span, { hint: 'a number is placed digit by digit, lsb or msb first' }));
      continue;
    }
    const op = operands.find((o) => o.name === item.operand.name);
    if (!op) {
      c.diags.push(diag('HW010', `unknown input \`${item.operand.name}\``, item.operand.span, { hint: `inputs: ${operands.map((o) => o.name).join(', ')}` }));
      continue;
    }
    const order = item.order.name;
    if (order !== 'lsb' && order !== 'msb') {
      c.diags.push(diag('HW026', `digit order must be lsb or msb, not \`${order}\``, item.order.span));
      continue;
    }
    for (let r = 0; r < item.repeat; r++) {
      for (let i = 0; i < op.digits; i++) prompt.push({ kind: 'digit', operand: op.name, place: order === 'lsb' ? i : op.digits - 1 - i });
    }
  }
  if (prompt.length > 10_000) c.diags.push(diag('HW029', `the prompt has ${prompt.length} tokens (limit 10000)`, t.prompt!.span));
  if (vocab < 10) c.diags.push(diag('HW026', `digit tasks need tokens 0..9, but the vocabulary has ${vocab}`, t.span));

  // `input` and `prompt` have their own syntax; one that does not fit it reaches here as a setting.
  const settings = t.settings.filter((st) => {
    const form = OWN_SYNTAX[st.name.name];
    if (form) c.diags.push(diag('HW026', `\`${st.name.name}\` is not in its expected form`, st.span, { hint: form }));
    return !form;
  });
  const s = collectSettings(settings, TASK, 'task', c.diags);
  let decode = 0;
  const decodeSetting = s.get('decode');
  if (!decodeSetting) c.diags.push(diag('HW026', 'the task does not say how many tokens to decode', t.name.span, { hint: TASK.decode.help }));
  else {
    const v = c.guard(() => c.ev.integer(decodeSetting.value!, c.scope, 'decode'));
    if (v !== undefined && (v < 1 || v > 10_000)) c.diags.push(diag('HW016', `decode ${v} is out of range (1..10000)`, decodeSetting.value!.span));
    else if (v !== undefined) decode = v;
  }
  let answer: 'lsb' | 'msb' = 'lsb';
  const answerSetting = s.get('answer');
  if (!answerSetting) c.diags.push(diag('HW026', 'the task does not say how the answer is read', t.name.span, { hint: TASK.answer.help }));
  else {
    const v = answerSetting.value!;
    if (v.kind !== 'name' || (v.name !== 'lsb' && v.name !== 'msb')) c.diags.push(diag('HW026', 'answer is `lsb` or `msb`', v.span));
    else answer = v.name;
  }
  const expectSetting = s.get('expect');
  let expect = '';
  if (!expectSetting) c.diags.push(diag('HW026', 'the task has no `expect` formula for the right answer', t.name.span, { hint: TASK.expect.help }));
  else {
    // Check the formula now (names, arity) on sample operands, so a typo is a diagnostic here and
    // not an exception in the middle of a verification run.
    const scope = new Scope();
    for (const o of operands) scope.set(o.name, 10 ** o.digits - 1);
    c.guard(() => {
      const v = c.ev.evaluate(expectSetting.value!, scope);
      if (typeof v !== 'number') throw c.ev.error('HW026', 'the expected answer must be a single number', expectSetting.value!.span);
    });
    expect = c.text(expectSetting.value!.span);
  }
  if (c.diags.slice(before).some((d) => d.severity === 'error')) return undefined;
  return { name: t.name.name, operands, prompt, decode, answer, expect, expectFormula: expectSetting?.value, base: 10 };
}
