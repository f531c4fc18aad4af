// `handwire prove FILE [--dtype float32|float64] [--json]`: prove that greedy decoding gives the
// task's answer for every input (or find an input where it does not). Exit 0 when proved, 1 when
// refuted or undecided, 2 when the command could not run (bad file, unsupported task).
import type { Command } from 'commander';
import { compileSource } from '../../compile.ts';
import { hasErrors } from '../../diagnostics.ts';
import type { FloatDType } from '../../ir/types.ts';
import { ProofLimit } from '../../prove/affine-tensor.ts';
import { proofProblem, prove, type ProofResult } from '../../prove/prove.ts';
import { readSource, UserError } from '../io.ts';
import { dtypeOption, printDiagnosticsToStderr } from '../load.ts';

interface ProveCommandOptions {
  dtype?: FloatDType;
  json?: boolean;
  timeLimit?: string;
}

export function registerProve(program: Command): void {
  program
    .command('prove')
    .description('prove that the model answers its task for every input, or find a counterexample (exit 1 unless proved)')
    .argument('<file>', '.hw source file')
    .addOption(dtypeOption())
    .option('--json', 'print the result as JSON')
    .option('--time-limit <seconds>', 'give up (status unknown) after this long')
    .action((file: string, opts: ProveCommandOptions) => proveCommand(file, opts));
}

async function proveCommand(file: string, opts: ProveCommandOptions): Promise<void> {
  const timeLimit = opts.timeLimit === undefined ? undefined : parseSeconds(opts.timeLimit);
  const source = readSource(file);
  const compiled = compileSource(source, { dtype: opts.dtype });
  printDiagnosticsToStderr(compiled, file, source);
  if (!compiled.model || !compiled.ir || !compiled.onnx || hasErrors(compiled.diagnostics)) {
    process.exitCode = 1;
    return;
  }
  const problem = proofProblem(compiled.model.task);
  if (problem) throw new UserError(`${file}: cannot prove: ${problem}`);

  const bar = !opts.json && process.stderr.isTTY ? progressBar() : undefined;
  let result: ProofResult;
  try {
    result = await prove(compiled.ir, compiled.model.task!, { onnx: compiled.onnx, onProgress: bar?.update, timeLimitSeconds: timeLimit });
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
    lines.push(`  counterexample: a = ${c.a}, b = ${c.b}: expected ${c.expected}, got ${c.got ?? `tokens [${c.tokens.join(', ')}]`}`);
    lines.push(`  first wrong token: decode step ${c.step} (sequence position ${c.position}, answer digit ${c.digit_place}) gave ${c.tokens[c.step]}, expected ${c.expected_tokens[c.step]}`);
    lines.push(`  found by sampling an undecided region of decode step ${c.region_step}`);
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
  lines.push(`  time: ${r.seconds.toFixed(1)} s`);
  if (r.status === 'proved') {
    lines.push(`  this covers the ${r.dtype} model under the rounding model of docs/prove.md (ONNX Runtime CPU kernels within their stated error bounds)`);
  }
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return `${lines.join('\n')}\n`;
}

function formatShare(f: number): string {
  return f >= 1e-3 ? `${(f * 100).toPrecision(3)}%` : f.toExponential(2);
}

/** A one-line bar on stderr, redrawn at most every 100 ms. */
function progressBar(): { update(p: { step: number; steps: number; done: number; leaves: number }): void; finish(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      const width = 30;
      const filled = Math.round(Math.min(1, p.done) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${p.step + 1}/${p.steps}, ${int(p.leaves)} regions certified`);
      drawn = true;
    },
    finish() {
      if (drawn) process.stderr.write('\r\x1b[2K');
    },
  };
}
