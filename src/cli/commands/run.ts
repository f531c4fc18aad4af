// `handwire run FILE`: greedy decoding of one prompt, built either from the task's inputs
// (`--a 123 --b 456`, or generally `--input name=value`) or given raw (`--tokens 0,1,2`).
// Prints the prompt, the generated tokens, the answer read from them and, when the task defines
// one, the expected answer and whether they match (exit 1 when they do not).
import { Option, type Command } from 'commander';
import { env as ortEnv } from 'onnxruntime-node';
import type { CheckedModel, TaskContract } from '../../check/model.ts';
import type { FloatDType } from '../../ir/types.ts';
import { greedyDecode } from '../../runtime/greedy.ts';
import { openSession, type Device } from '../../runtime/session.ts';
import type { Operands } from '../../runtime/task.ts';
import { digitTaskOf } from '../../runtime/tasks/digits.ts';
import { openTaskRunner } from '../../runtime/tasks/runner.ts';
import { resolveRunInput, TaskInputError } from '../../runtime/task-input.ts';
import { ContextLengthError } from '../../runtime/context-length.ts';
import { UserError } from '../io.ts';
import { compileFileOrReport, dtypeOption } from '../load.ts';
import { runStringTask } from './run-task.ts';
import { checkTraceOptions, traceJson, traceOptions, traceSequence, traceText, type TraceOptions } from './trace-output.ts';
import type { TraceResult } from '../../runtime/trace.ts';

interface RunOptions extends TraceOptions {
  a?: string;
  b?: string;
  input: string[];
  tokens?: string;
  steps?: string;
  device: Device;
  dtype?: FloatDType;
  json?: boolean;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description("run a .hw model on one prompt and compare its answer with the task's")
    .argument('<file>', '.hw source file')
    .argument('[input]', 'token-string tasks: the input string, token names separated by spaces (e.g. "jump twice")')
    .option('--a <value>', 'value of the task input `a` (shorthand for --input a=VALUE)')
    .option('--b <value>', 'value of the task input `b` (shorthand for --input b=VALUE)')
    .option('--input <name=value>', 'value of a task input (repeat for each input)', collect, [])
    .option('--tokens <ids>', 'a raw prompt of comma-separated token ids, instead of task inputs')
    .option('--steps <n>', "tokens to generate (default: the task's decode count)")
    .addOption(new Option('--device <device>', 'where to run; cuda falls back to cpu with a notice').choices(['cpu', 'cuda']).default('cpu'))
    .addOption(dtypeOption())
    .option('--json', 'print the result as JSON');
  for (const o of traceOptions()) cmd.addOption(o);
  cmd.action((file: string, text: string | undefined, opts: RunOptions) => run(file, text, opts));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface RunResult {
  file: string;
  device: Device;
  dtype: FloatDType;
  task?: TaskContract;
  tokenNames?: string[];
  operands?: Operands;
  prompt: number[];
  generated: number[];
  /** The generated tokens read as the task's answer; NaN when one is not a digit. */
  answer?: number;
  expected?: number;
  margins: number[];
  trace?: TraceResult;
}

async function run(file: string, text: string | undefined, opts: RunOptions): Promise<void> {
  const compiled = compileFileOrReport(file, opts.dtype);
  if (!compiled) {
    process.exitCode = 1;
    return;
  }
  const { model } = compiled;
  if (process.env.HANDWIRE_DEBUG !== '1') ortEnv.logLevel = 'fatal';
  checkTraceOptions(model, opts);
  if (model.stringTask && opts.tokens === undefined) {
    for (const [flag, v] of [['--a', opts.a], ['--b', opts.b], ['--steps', opts.steps]] as const) {
      if (v !== undefined) throw new UserError(`${flag} is for digit tasks; give the input string after the file, or --input name="tokens"`);
    }
    process.exitCode = await runStringTask(file, compiled, text, opts);
    return;
  }
  if (text !== undefined) throw new UserError(`an input string after the file is for token-string tasks; ${model.task ? 'give this task\'s inputs with --a, --b or --input' : 'give a raw prompt with --tokens'}`);
  const task = model.task;
  let input;
  try {
    input = resolveRunInput(model, opts);
  } catch (e) {
    if (e instanceof TaskInputError || e instanceof ContextLengthError) throw new UserError(e.message);
    throw e;
  }
  const { prompt, steps, operands } = input;

  // ORT prints its own log lines to stderr (a failed CUDA load is a red multi-line error) before
  // the runtime falls back to CPU; the fallback's one-line notice below says it for people, so
  // ORT is kept quiet unless debugging. This must be set before the first session is created.
  if (process.env.HANDWIRE_DEBUG !== '1') ortEnv.logLevel = 'fatal';
  const digits = task ? digitTaskOf(task, model.tokenNames) : undefined;
  let decoded: { generated: number[]; margins: number[]; device: Device };
  if (digits && operands) {
    // A case of the task: the digit Task runs it, as verify does (for --steps N, with that many steps).
    const t = steps === task!.decode ? digits : { ...digits, readout: { kind: 'tokens' as const, decode: steps } };
    const runner = await openTaskRunner(model, t, { dtype: compiled.dtype, device: opts.device, onnx: compiled.onnx });
    if (runner.notice) process.stderr.write(`notice: ${runner.notice}\n`);
    try {
      const [a] = await runner([operands], [prompt]);
      decoded = { generated: a!.read, margins: a!.margins, device: runner.device };
    } finally {
      await runner.close();
    }
  } else {
    // A raw prompt (no task, or not laid out like the task's): plain greedy decoding.
    const opened = await openSession(compiled.onnx, { device: opts.device, dtype: compiled.dtype });
    if (opened.notice) process.stderr.write(`notice: ${opened.notice}\n`);
    const out = await greedyDecode(opened.session, [prompt], steps, { context: model.context });
    await opened.session.release();
    decoded = { generated: out.tokens[0]!, margins: Array.from(out.margins), device: opened.device };
  }

  const { generated } = decoded;
  // The trace follows the last forward pass: the prompt and every generated token but the last.
  const trace = opts.trace ? await traceSequence(model, [...prompt, ...generated.slice(0, -1)], { dtype: compiled.dtype, device: decoded.device }) : undefined;
  const result: RunResult = {
    file,
    device: decoded.device,
    dtype: compiled.dtype,
    task,
    tokenNames: model.tokenNames,
    operands,
    prompt,
    generated,
    answer: digits ? digits.answerOf(generated) : undefined,
    expected: digits && operands ? digits.expectedValue(operands) : undefined,
    margins: decoded.margins,
    trace,
  };
  if (matches(result) === false) process.exitCode = 1;
  process.stdout.write(opts.json ? resultJson(result, model, opts) : resultText(result) + (trace ? traceText(trace, model, opts) : ''));
}

function matches(r: RunResult): boolean | undefined {
  return r.answer !== undefined && r.expected !== undefined ? r.answer === r.expected : undefined;
}

function resultJson(r: RunResult, model: CheckedModel, opts: TraceOptions): string {
  const json = {
    file: r.file,
    device: r.device,
    dtype: r.dtype,
    operands: r.operands ?? null,
    prompt: r.prompt,
    generated: r.generated,
    answer: r.answer === undefined || Number.isNaN(r.answer) ? null : r.answer,
    expected: r.expected ?? null,
    match: matches(r) ?? null,
    // top-1 minus top-2 logit per step; null where there is no runner-up (JSON has no Infinity).
    margins: r.margins.map((m) => (Number.isFinite(m) ? m : null)),
    ...(r.trace ? { trace: traceJson(r.trace, model, opts) } : {}),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

function resultText(r: RunResult): string {
  const rows: [string, string][] = [
    ['prompt', `${tokenText(r.prompt, r.tokenNames)}   (${r.prompt.length} tokens)`],
    ['generated', `${tokenText(r.generated, r.tokenNames)}   (${r.generated.length} steps)`],
  ];
  if (r.task && r.answer !== undefined) {
    rows.push(['answer', Number.isNaN(r.answer) ? `none: a generated token is not a base-${r.task.base} digit` : String(r.answer)]);
  }
  if (r.task && r.operands && r.expected !== undefined) {
    const given = Object.entries(r.operands).map(([name, v]) => `${name} = ${v}`).join(', ');
    rows.push(['expected', `${r.expected}   (${r.task.expect} with ${given})`]);
    rows.push(['match', matches(r) ? 'yes' : 'NO']);
  } else if (r.task) {
    rows.push(['expected', "unknown: the prompt does not have the task's layout"]);
  }
  if (r.margins.length > 0) rows.push(['min margin', `${Math.min(...r.margins)}   (top-1 minus top-2 logit, smallest over the steps)`]);
  rows.push(['ran on', `${r.device}, ${r.dtype}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('');
}

/** Tokens as the model's names when it has them (and they print as one word), else as ids. */
function tokenText(tokens: readonly number[], names: readonly string[] | undefined): string {
  return tokens.map((t) => (names?.[t] && /^\S+$/.test(names[t]!) ? names[t] : String(t))).join(' ');
}

