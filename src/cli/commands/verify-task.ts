// `handwire verify FILE` for token-string tasks (and `--dataset FILE`): the library's verifyModel
// does the work; this file picks the options, draws the progress bar and prints the report.
import { parameterManifest } from '../../ir/metadata.ts';
import type { CheckedModel, FloatDType } from '../../check/model.ts';
import type { Device } from '../../runtime/session.ts';
import { verifyModel, type ModelVerification } from '../../verify/verify-model.ts';
import { datasetFor, DatasetRefused } from '../dataset-file.ts';
import { formatCount } from '../../verify/task.ts';
import { UserError } from '../io.ts';
import { whole } from '../load.ts';
import { progressBar } from '../progress.ts';

export interface TaskVerifyOptions {
  dtype?: FloatDType;
  device: Device;
  json?: boolean;
  compareDtypes?: boolean;
  budget?: string;
  samples?: string;
  seed?: string;
  dataset?: string;
  fullRecompute?: boolean;
}

/** Options that only mean something for digit tasks (the AdderBoard protocol and its sweeps). */
const DIGIT_ONLY = ['tests', 'edge', 'exhaustiveDigits', 'carryChains', 'threads'];
const FLAG: Record<string, string> = { tests: '--tests', edge: '--no-edge', exhaustiveDigits: '--exhaustive-digits', carryChains: '--carry-chains', threads: '--threads' };

export async function verifyStringTask(file: string, model: CheckedModel, opts: TaskVerifyOptions, given: (option: string) => boolean): Promise<number> {
  const digitOnly = DIGIT_ONLY.filter(given);
  if (digitOnly.length > 0) throw new UserError(`${FLAG[digitOnly[0]!]} is for digit tasks; for token-string tasks use --budget, --samples, --seed or --dataset`);
  let dataset;
  try {
    dataset = datasetFor(model, file, opts.dataset);
  } catch (e) {
    if (e instanceof DatasetRefused) return 1;
    throw e;
  }
  const budget = opts.budget !== undefined ? whole(opts.budget, '--budget') : undefined;
  const samples = opts.samples !== undefined ? whole(opts.samples, '--samples') : undefined;
  const seed = opts.seed !== undefined ? whole(opts.seed, '--seed', 0) : undefined;
  const dtypes: FloatDType[] = opts.compareDtypes ? ['float32', 'float64'] : [opts.dtype ?? model.dtype];
  const params = parameterManifest(model).count;
  const reports: ModelVerification[] = [];
  for (const dtype of dtypes) {
    const bar = !opts.json && process.stderr.isTTY ? progressBar(dtypes.length > 1 ? `${dtype} ` : '') : undefined;
    try {
      reports.push(await verifyModel(model, { dtype, device: opts.device, budget, samples, seed, dataset, fullRecompute: opts.fullRecompute, onProgress: bar?.update }));
    } finally {
      bar?.finish();
    }
  }
  if (opts.json) {
    const body = reports.length === 1 ? { file, params, ...reports[0] } : { file, params, reports };
    process.stdout.write(`${JSON.stringify(body, (_k, v) => (v === Infinity ? null : v), 2)}\n`);
  } else {
    process.stdout.write(reports.map((r) => formatVerification(model.name, params, r)).join('\n'));
  }
  return reports.every((r) => r.passed === r.cases) ? 0 : 1;
}

const int = (n: number) => n.toLocaleString('en-US');
const pct = (a: number, b: number) => `${b === 0 ? '100' : ((100 * a) / b).toFixed(a === b ? 0 : 3)}%`;

export function formatVerification(name: string, params: number, r: ModelVerification): string {
  const lines: string[] = [];
  lines.push(`${name} (task ${r.task}): ${int(params)} params, ${r.dtype} on ${r.device}`);
  const how = r.mode === 'exhaustive' ? `all ${int(r.cases)} checked (exhaustive)` : r.mode === 'dataset' ? `every line checked` : `${int(r.cases)} sampled of ${formatCount(r.domainSize)}, stratified by length`;
  lines.push(`Domain: ${r.domain}: ${how}`);
  lines.push(`Exact match: ${int(r.passed)}/${int(r.cases)} (${pct(r.passed, r.cases)}); per token: ${int(r.tokens.right)}/${int(r.tokens.total)} (${pct(r.tokens.right, r.tokens.total)})`);
  if (Number.isFinite(r.minMargin)) lines.push(`Smallest logit margin: ${r.minMargin.toPrecision(6)}`);
  if (r.failures.length > 0) {
    lines.push(`First failures (${r.failures.length} of ${int(r.cases - r.passed)}):`);
    for (const f of r.failures) lines.push(`  ${f.input}: expected ${f.expected || '(empty)'}, got ${f.got || '(empty)'} (first wrong at ${f.firstWrong})`);
  }
  lines.push(`Time: ${r.seconds.toFixed(2)} s (${int(Math.round(r.cases / Math.max(r.seconds, 1e-9)))} cases/s)`);
  return `${lines.join('\n')}\n`;
}
