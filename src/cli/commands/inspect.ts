// `handwire inspect FILE [--a A --b B | --input name=value … | --tokens …] [--steps N] [-o OUT.html]`:
// one self-contained HTML page that shows the model: summary, parameters, every weight matrix,
// each head's attention pattern on the input, the residual stream after every block, and the
// logits at each decode step. The graph runs in float64 with extra outputs for the intermediate
// values (src/inspect/probe.ts); the lowering itself is untouched. --compare runs a second input
// and shows both side by side; --ablate reruns onnxruntime on a copy of the graph with one head's
// output or one residual channel zeroed (src/inspect/ablate.ts) and shows what changed.
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import type { CheckedModel } from '../../check/model.ts';
import { compileSource } from '../../compile.ts';
import { hasErrors } from '../../diagnostics.ts';
import { ablateGraph, parseAblation, type Ablation } from '../../inspect/ablate.ts';
import { collectAblation, type AblationFigure } from '../../inspect/ablation.ts';
import { collectInspection, type Inspection, type ProbeTensor, type RunProbes } from '../../inspect/collect.ts';
import { resolveInspectInput, type InspectInput, type InspectInputOptions } from '../../inspect/input.ts';
import { renderInspection } from '../../inspect/page.ts';
import { probeGraph } from '../../inspect/probe.ts';
import type { IrGraph } from '../../ir/types.ts';
import { irToOnnx } from '../../onnx/ir-to-onnx.ts';
import { greedyDecode } from '../../runtime/greedy.ts';
import { openSession } from '../../runtime/session.ts';
import { openTrace, type LoopIterations } from '../../runtime/trace.ts';
import { diagnosticToJson, sortDiagnostics } from '../format-diagnostics.ts';
import { UserError, readSource, writeFileAtomic } from '../io.ts';
import { printDiagnosticsToStderr } from '../load.ts';

interface InspectOptions extends InspectInputOptions {
  output?: string;
  json?: boolean;
  compare?: string;
  ablate: string[];
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('write an HTML page that shows the model: weights, attention, residual stream and logits on one input')
    .argument('<file>', '.hw source file')
    .option('--a <value>', 'value of the task input `a` (shorthand for --input a=VALUE)')
    .option('--b <value>', 'value of the task input `b` (shorthand for --input b=VALUE)')
    .option('--input <name=value>', 'value of a task input (repeat for each input)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--tokens <ids>', 'a raw prompt of token ids (or names), comma-separated, instead of task inputs')
    .option('--steps <n>', "tokens to generate (default: the task's decode count)")
    .option('--compare <input>', 'a second input shown side by side: name=value pairs (a=57,b=68) for a task, else token ids like --tokens')
    .option('--ablate <target>', 'rerun with a head (LAYER.HEAD, e.g. layer0.0) or a residual channel (name or index) zeroed; repeat for several', (v: string, prev: string[]) => [...prev, v], [])
    .option('-o, --output <path>', 'where to write the page (default: <basename>.html here)')
    .option('--json', 'print {file, output, bytes, prompt, generated, operands, answer, expected, compare, ablations} as JSON')
    .action((file: string, opts: InspectOptions) => inspect(file, opts));
}

async function inspect(file: string, opts: InspectOptions): Promise<void> {
  const out = opts.output ?? basename(file, extname(file)) + '.html';
  if (resolve(out) === resolve(file)) throw new UserError(`refusing to write the page over its own source ${file}`);
  const source = readSource(file);
  // float64 whatever the file declares: the page shows values, and float32 rounding would show up
  // in them as noise that is not the model's.
  const compiled = compileSource(source, { dtype: 'float64' });
  printDiagnosticsToStderr(compiled, file, source);
  if (!compiled.model || !compiled.ir || hasErrors(compiled.diagnostics)) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ file, diagnostics: sortDiagnostics(compiled.diagnostics).map(diagnosticToJson) }, null, 2)}\n`);
    process.exitCode = 1;
    return;
  }
  const resolved = resolveInspectInput(compiled.model, opts);
  if (!resolved.ok) throw new UserError(resolved.message);
  const second = opts.compare === undefined ? undefined : resolveInspectInput(compiled.model, compareOptions(opts.compare, opts.steps));
  if (second && !second.ok) throw new UserError(`--compare: ${second.message}`);
  const probed = probeGraph(compiled.ir, compiled.model);
  const ablations = opts.ablate.map((spec) => {
    const parsed = parseAblation(compiled.model!, probed, spec);
    if (!parsed.ok) throw new UserError(parsed.message);
    return parsed.ablation;
  });
  const inspection = await inspectModel(compiled.model, compiled.ir, resolved.input);
  const compare = second?.ok ? await inspectModel(compiled.model, compiled.ir, second.input) : undefined;
  const ablated = [];
  for (const a of ablations) ablated.push(await inspectAblation(compiled.model, compiled.ir, inspection, a));
  const loops = compiled.model.loops?.length ? await inspectLoops(compiled.model, inspection) : undefined;
  const page = new TextEncoder().encode(renderInspection(inspection, { compare, ablations: ablated, loops }));
  writeFileAtomic(out, page);
  const t = inspection.task;
  if (opts.json) {
    const json = {
      file,
      output: out,
      bytes: page.byteLength,
      prompt: resolved.input.prompt,
      generated: inspection.generated,
      operands: t?.operands ?? null,
      answer: t?.answer ?? null,
      expected: t?.expected ?? null,
      compare: compare
        ? { prompt: compare.sequence.slice(0, compare.promptLength), generated: compare.generated, operands: compare.task?.operands ?? null, answer: compare.task?.answer ?? null, expected: compare.task?.expected ?? null }
        : null,
      ablations: ablated.map((a) => ({ target: a.ablation.text, generated: a.generated, answer: a.answer ?? null, changedSteps: a.steps.filter((s) => s.chosenAblated !== s.chosenBase).map((s) => s.step) })),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const result = t?.answer !== undefined ? `: ${Object.values(t.operands).join(', ')} → ${t.answer}${t.answer === t.expected ? '' : ` (expected ${t.expected})`}` : '';
  process.stdout.write(`wrote ${out}${result}\n`);
  for (const a of ablated) {
    const what = a.answer !== undefined ? `answer ${a.answer}` : `generates ${a.generated.join(',')}`;
    process.stdout.write(`  --ablate ${a.ablation.text}: ${what}\n`);
  }
}

/** `a=57,b=68` → task inputs; anything else is a token list as --tokens takes it. */
function compareOptions(text: string, steps: string | undefined): InspectInputOptions {
  const base = steps === undefined ? {} : { steps };
  if (text.includes('=')) return { ...base, input: text.split(/[\s,]+/).filter(Boolean) };
  return { ...base, tokens: text };
}

/** Runs the ablated graph in onnxruntime: its own greedy decode, and the plain run's prefixes. */
export async function inspectAblation(model: CheckedModel, ir: IrGraph, base: Inspection, ablation: Ablation): Promise<AblationFigure> {
  const probed = probeGraph(ir, model);
  const graph = ablateGraph(ir, model, probed, ablation);
  const { session } = await openSession(irToOnnx(graph), { dtype: 'float64' });
  try {
    const prompt = base.sequence.slice(0, base.promptLength);
    const decoded = await greedyDecode(session, [prompt], base.generated.length);
    return await collectAblation(model, base, ablation, runner(session), decoded.tokens[0]!);
  } finally {
    await session.release();
  }
}

function runner(session: InferenceSession): RunProbes {
  return async (ids) => {
    const out = await session.run({ input_ids: new Tensor('int64', BigInt64Array.from(ids, (t) => BigInt(t)), [1, ids.length]) });
    const values: Record<string, ProbeTensor> = {};
    for (const [name, t] of Object.entries(out)) {
      if (t.data instanceof Float64Array) values[name] = { dims: t.dims, data: t.data };
    }
    return values;
  };
}

/** The iterations of every `repeat` on the sequence the inspection read, in float64. */
export async function inspectLoops(model: CheckedModel, ins: Inspection): Promise<LoopIterations[]> {
  const trace = await openTrace(model, { dtype: 'float64' });
  try {
    return (await trace.run(ins.sequence)).loops;
  } finally {
    await trace.release();
  }
}

/** Decodes greedily on the probed float64 graph, then collects every value the page shows. */
export async function inspectModel(model: CheckedModel, ir: IrGraph, input: InspectInput): Promise<Inspection> {
  if (ir.dtype !== 'float64') throw new Error('inspectModel needs a float64 graph');
  const probed = probeGraph(ir, model);
  const { session } = await openSession(irToOnnx(probed.graph), { dtype: 'float64' });
  try {
    const decoded = await greedyDecode(session, [input.prompt], input.steps);
    return await collectInspection(model, ir, probed, runner(session), { prompt: input.prompt, generated: decoded.tokens[0]!, operands: input.operands });
  } finally {
    await session.release();
  }
}
