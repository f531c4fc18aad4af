// `handwire run FILE "jump twice"` for token-string tasks: the input string(s) → the prompt → the
// answer read by the task's readout (the string Task, run and judged as verify runs and judges it),
// with the right answer from `expect` (or from the dataset line with the same input) and whether
// they match (exit 1 when they do not).
import type { CompiledFile } from '../load.ts';
import type { Device } from '../../runtime/session.ts';
import { stringFromText, StringInputError, tokenText, type StringCase } from '../../runtime/string-task.ts';
import { judge, openTaskRunner } from '../../runtime/tasks/runner.ts';
import { stringTaskOf } from '../../runtime/tasks/strings.ts';
import { datasetFor, DatasetRefused } from '../dataset-file.ts';
import { UserError } from '../io.ts';
import { traceJson, traceSequence, traceText, type TraceOptions } from './trace-output.ts';

export interface StringRunOptions extends TraceOptions {
  input: string[];
  device: Device;
  json?: boolean;
}

export async function runStringTask(file: string, compiled: CompiledFile, text: string | undefined, opts: StringRunOptions): Promise<number> {
  const { model } = compiled;
  const task = model.stringTask!;
  const t = stringTaskOf(model);
  const c = caseFrom(compiled, text, opts.input);
  const prompt = t.prompt(c);
  if (model.context > 0 && prompt.length + (task.readout === 'tokens' ? task.decode - 1 : 0) > model.context) {
    throw new UserError(`the prompt has ${prompt.length} tokens, more than the model's context of ${model.context} allows`);
  }
  let expected: number[] | undefined;
  if (task.expectFormula || task.expect) expected = t.expected(c);
  else {
    let data;
    try {
      data = datasetFor(model, file, undefined);
    } catch (e) {
      if (e instanceof DatasetRefused) return 1;
      throw e;
    }
    const input = c[task.inputs[0]!.name]!.join(' ');
    expected = data?.cases.find((d) => d.input.join(' ') === input)?.output;
  }

  const runner = await openTaskRunner(model, t, { dtype: compiled.dtype, device: opts.device, onnx: compiled.onnx });
  if (runner.notice) process.stderr.write(`notice: ${runner.notice}\n`);
  let a;
  try {
    [a] = await runner([c], [prompt]);
  } finally {
    await runner.close();
  }
  const { answer, margins, stopped } = a!;
  // The sequence the model read last (the prompt and every generated token but the last): the
  // trace follows that forward pass.
  const lastRead = a!.generated ? [...prompt, ...a!.generated.slice(0, -1)] : prompt;
  const trace = opts.trace ? await traceSequence(model, lastRead, { dtype: compiled.dtype, device: runner.device }) : undefined;
  // Right as verify judges a case: the tokens are the answer and generation ended with the stop
  // token (or the answer filled every step, leaving no room for one).
  const match = expected === undefined ? undefined : judge(a!, expected).firstWrong < 0;
  const minMargin = margins.length > 0 ? Math.min(...margins) : undefined;
  if (opts.json) {
    const json = {
      file,
      device: runner.device,
      dtype: compiled.dtype,
      input: Object.fromEntries(Object.entries(c).map(([k, v]) => [k, tokenText(model, v)])),
      prompt: tokenText(model, prompt),
      answer: tokenText(model, answer),
      ...(stopped !== undefined ? { stopped } : {}),
      expected: expected === undefined ? null : tokenText(model, expected),
      match: match ?? null,
      min_margin: minMargin === undefined || !Number.isFinite(minMargin) ? null : minMargin,
      ...(trace ? { trace: traceJson(trace, model, opts) } : {}),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    const rows: [string, string][] = [
      ['prompt', `${tokenText(model, prompt)}   (${prompt.length} tokens)`],
      ['answer', `${tokenText(model, answer) || '(empty)'}${stopped === false ? `   (no stop token within ${task.decode} steps)` : ''}`],
    ];
    if (expected !== undefined) {
      rows.push(['expected', `${tokenText(model, expected) || '(empty)'}   (${task.expect ?? `dataset ${task.data}`})`]);
      rows.push(['match', match ? 'yes' : 'NO']);
    } else rows.push(['expected', 'unknown: no dataset line has this input']);
    if (minMargin !== undefined && Number.isFinite(minMargin)) rows.push(['min margin', `${minMargin.toPrecision(6)}   (top-1 minus top-2 logit, smallest over the answer)`]);
    rows.push(['ran on', `${runner.device}, ${compiled.dtype}`]);
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('') + (trace ? traceText(trace, model, opts) : ''));
  }
  return match === false ? 1 : 0;
}

function caseFrom(compiled: CompiledFile, text: string | undefined, entries: string[]): StringCase {
  const task = compiled.model.stringTask!;
  const given = new Map<string, string>();
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq <= 0) throw new UserError(`--input expects name=tokens, got '${e}'`);
    given.set(e.slice(0, eq).trim(), e.slice(eq + 1));
  }
  if (text !== undefined) {
    if (task.inputs.length !== 1) throw new UserError(`the task has ${task.inputs.length} inputs: give each as --input name="tokens"`);
    given.set(task.inputs[0]!.name, text);
  }
  for (const name of given.keys()) {
    if (!task.inputs.some((i) => i.name === name)) throw new UserError(`the task has no input \`${name}\` (its inputs: ${task.inputs.map((i) => i.name).join(', ')})`);
  }
  const c: StringCase = {};
  for (const input of task.inputs) {
    const t = given.get(input.name);
    if (t === undefined) throw new UserError(`no value for the task input \`${input.name}\`: give it as ${task.inputs.length === 1 ? 'the argument after the file' : `--input ${input.name}="tokens"`}`);
    try {
      c[input.name] = stringFromText(compiled.model, input, t);
    } catch (e) {
      if (e instanceof StringInputError) throw new UserError(e.message);
      throw e;
    }
  }
  return c;
}
