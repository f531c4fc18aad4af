// `handwire prove FILE [--dtype float32|float64] [--json] [--time-limit S] [--max-memory SIZE]`:
// prove that greedy decoding gives the task's answer for every input (or find an input where it
// does not). Exit 0 when proved, 1 when refuted or undecided (a limit reached is undecided), 2 when
// the command could not run (bad file, unsupported task, bad option).
import { totalmem } from 'node:os';
import type { Command } from 'commander';
import { compileSource } from '../../compile.ts';
import { hasErrors } from '../../diagnostics.ts';
import type { FloatDType } from '../../ir/types.ts';
import { ProofLimit } from '../../prove/domains/affine-tensor.ts';
import { formatBytes, proofProblem, proofSpecFor, prove, type ProofResult } from '../../prove/prove.ts';
import { readSource, UserError } from '../io.ts';
import { proveProgressBar } from '../progress.ts';
import { dtypeOption, printDiagnosticsToStderr } from '../load.ts';
import { proveEnumerateCommand } from './prove-enumerate.ts';

interface ProveCommandOptions {
  dtype?: FloatDType;
  json?: boolean;
  timeLimit?: string;
  budget?: string;
  dataset?: string;
  maxMemory?: string;
}

/** The default memory budget: 2 GiB, or half the machine's memory when that is less. */
const DEFAULT_MEMORY = Math.min(2 * 2 ** 30, Math.floor(totalmem() / 2));
/** Time kept back from --time-limit for what follows the proof: closing the runtime session,
 * printing, exiting. */
const CLEAN_UP_SECONDS = 0.5;

export function registerProve(program: Command): void {
  program
    .command('prove')
    .description('prove that the model answers its task for every input, or find a counterexample (exit 1 unless proved)')
    .argument('<file>', '.hw source file')
    .addOption(dtypeOption())
    .option('--json', 'print the result as JSON')
    .option('--time-limit <seconds>', 'give up (status unknown) after this long, start-up included')
    .option('--max-memory <size>', 'give up (status unknown) when the process uses more memory than this, e.g. 1500M or 2G (default: 2G or half the machine\'s memory)')
    .option('--budget <n>', 'tasks proved by enumeration: the most inputs to enumerate (default 1,000,000)')
    .option('--dataset <file>', 'prove by enumeration over every `input -> output` line of FILE (token-string tasks)')
    .action((file: string, opts: ProveCommandOptions) => proveCommand(file, opts));
}

async function proveCommand(file: string, opts: ProveCommandOptions): Promise<void> {
  const timeLimit = opts.timeLimit === undefined ? undefined : parseSeconds(opts.timeLimit);
  const maxMemory = opts.maxMemory === undefined ? DEFAULT_MEMORY : parseBytes(opts.maxMemory);
  const source = readSource(file);
  const compiled = compileSource(source, { dtype: opts.dtype });
  printDiagnosticsToStderr(compiled, file, source);
  if (!compiled.model || !compiled.ir || !compiled.onnx || hasErrors(compiled.diagnostics)) {
    process.exitCode = 1;
    return;
  }
  const model = compiled.model;
  // The affine prover covers addition; every other task is proved by enumerating its domain.
  const problem = model.stringTask || opts.dataset !== undefined ? undefined : proofProblem(model.task);
  if (model.stringTask || opts.dataset !== undefined || (model.task && problem)) {
    process.exitCode = await proveEnumerateCommand(file, model, opts, problem);
    return;
  }
  if (problem) throw new UserError(`${file}: cannot prove: ${problem}`);
  if (opts.budget !== undefined) throw new UserError('--budget is for tasks proved by enumeration; this one is proved by the affine prover');

  const bar = !opts.json && process.stderr.isTTY ? proveProgressBar((text) => process.stderr.write(text)) : undefined;
  let result: ProofResult;
  try {
    // The limit counts from the start of the process: reading, compiling and loading are part of it.
    result = await prove(compiled.ir, proofSpecFor(compiled.model.task!), {
      onnx: compiled.onnx,
      onProgress: bar?.update,
      timeLimitSeconds: timeLimit,
      timeLimitFrom: performance.now() - process.uptime() * 1000,
      reserveSeconds: CLEAN_UP_SECONDS,
      maxMemoryBytes: maxMemory,
      memoryUsage: () => process.memoryUsage.rss(),
    });
  } catch (e) {
    if (e instanceof ProofLimit) throw new UserError(`${file}: cannot prove: ${e.message}`);
    throw e;
  } finally {
    bar?.finish();
  }
  const name = typeof compiled.model.about['name'] === 'string' ? compiled.model.about['name'] : compiled.model.name;
  if (opts.json) process.stdout.write(`${JSON.stringify({ file, model: name, ...result }, null, 2)}\n`);
  else process.stdout.write(formatResult(name, result));
  process.exitCode = result.status === 'proved' ? 0 : 1;
}

function parseSeconds(text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new UserError(`--time-limit needs a positive number of seconds, got '${text}'`);
  return v;
}

/** `2G`, `1500M`, `512k` or a number of bytes (binary units: 1G = 2^30 bytes). */
function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*$/.exec(text);
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[(m?.[2] ?? '').toLowerCase()];
  const v = m && unit ? Number(m[1]) * unit : NaN;
  if (!Number.isFinite(v) || v < 2 ** 20) throw new UserError(`--max-memory needs a size of at least 1M, e.g. 1500M or 2G, got '${text}'`);
  return v;
}

const int = (n: number) => n.toLocaleString('en-US');

function formatResult(name: string, r: ProofResult): string {
  const lines: string[] = [];
  const headline = {
    proved: 'PROVED: greedy decoding gives the right answer for every input',
    refuted: 'REFUTED: a counterexample, confirmed by decoding with the runtime',
    unknown: 'UNKNOWN: the bounds could not decide every input (no counterexample found either)',
  }[r.status];
  lines.push(`${name} (${r.dtype}): ${headline}`);
  if (r.counterexample) {
    const c = r.counterexample;
    const inputs = Object.entries(c.inputs)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ');
    lines.push(`  counterexample: ${inputs}: expected ${c.expected}, got ${c.got ?? `tokens [${c.tokens.join(', ')}]`}`);
    lines.push(`  first wrong token: decode step ${c.step} (sequence position ${c.position}, answer digit ${c.digit_place}) gave ${c.tokens[c.step]}, expected ${c.expected_tokens[c.step]}`);
    lines.push(`  found by sampling an undecided region of decode step ${c.region_step}`);
  }
  if (r.stopped) {
    const what = r.stopped.limit === 'time' ? 'the time limit' : 'the memory budget';
    lines.push(`  stopped by ${what} at decode step ${r.stopped.step} after ${r.stopped.seconds.toFixed(1)} s${r.stopped.memory_bytes !== null ? `, ${formatBytes(r.stopped.memory_bytes)} in use` : ''}`);
  }
  if (r.unknown) {
    lines.push(`  smallest undecided region: step ${r.unknown.step}, ${r.unknown.region} (${formatShare(r.unknown.fraction)} of inputs)`);
    lines.push(`    why: ${r.unknown.reason}`);
    lines.push(`  undecided overall: ${formatShare(r.undecided_fraction)} of (step, input) pairs`);
  }
  lines.push(`  regions certified: ${int(r.leaves)} over ${r.per_step.length} decode steps`);
  if (r.min_certified_margin !== null && r.min_margin_at) {
    lines.push(`  smallest certified margin: ${r.min_certified_margin.toPrecision(6)} at step ${r.min_margin_at.step} (${r.min_margin_at.region})`);
  }
  lines.push(`  time: ${r.seconds.toFixed(1)} s${r.peak_memory_bytes !== null ? `, memory: ${formatBytes(r.peak_memory_bytes)} at most` : ''}`);
  if (r.status === 'proved') {
    lines.push(`  this covers the ${r.dtype} model under the rounding model of docs/prove.md (ONNX Runtime CPU kernels within their stated error bounds)`);
  }
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return `${lines.join('\n')}\n`;
}

function formatShare(f: number): string {
  return f >= 1e-3 ? `${(f * 100).toPrecision(3)}%` : f.toExponential(2);
}
