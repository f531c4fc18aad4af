// `handwire prove FILE` for tasks the affine prover does not cover (token-string tasks, datasets,
// digit tasks other than addition): proof by enumeration of the whole domain, when it fits the budget.
import type { CheckedModel, FloatDType } from '../../check/model.ts';
import { proveByEnumeration, type EnumerationProof } from '../../prove/search/enumerate.ts';
import { datasetFor, DatasetRefused } from '../dataset-file.ts';
import { whole } from '../load.ts';
import { progressBar } from '../progress.ts';

export interface EnumerateOptions {
  dtype?: FloatDType;
  json?: boolean;
  budget?: string;
  dataset?: string;
}

/** Exit code: 0 proved, 1 refuted or unknown (or a malformed dataset). */
export async function proveEnumerateCommand(file: string, model: CheckedModel, opts: EnumerateOptions, why?: string): Promise<number> {
  let dataset;
  try {
    dataset = datasetFor(model, file, opts.dataset);
  } catch (e) {
    if (e instanceof DatasetRefused) return 1;
    throw e;
  }
  const budget = opts.budget !== undefined ? whole(opts.budget, '--budget') : undefined;
  const bar = !opts.json && process.stderr.isTTY ? progressBar('') : undefined;
  let result: EnumerationProof;
  try {
    result = await proveByEnumeration(model, { dtype: opts.dtype, budget, dataset, onProgress: bar?.update });
  } finally {
    bar?.finish();
  }
  const name = typeof model.about['name'] === 'string' ? model.about['name'] : model.name;
  const notes = why ? [`the affine prover does not apply (${why}), this task is proved by enumerating its inputs`] : [];
  if (opts.json) process.stdout.write(`${JSON.stringify({ file, model: name, ...result, notes }, (_k, v) => (v === Infinity ? null : v), 2)}\n`);
  else process.stdout.write(formatEnumeration(name, result, notes));
  return result.status === 'proved' ? 0 : 1;
}

const int = (n: number) => n.toLocaleString('en-US');

function formatEnumeration(name: string, r: EnumerationProof, notes: string[]): string {
  const lines: string[] = [];
  if (r.status === 'proved') {
    lines.push(`${name} (${r.dtype}): PROVED by enumeration: the right answer on all ${int(r.size)} inputs (${r.domain})`);
    if (r.minMargin !== undefined && Number.isFinite(r.minMargin)) lines.push(`  smallest logit margin: ${r.minMargin.toPrecision(6)}`);
    lines.push(`  this covers the ${r.dtype} model as ONNX Runtime (CPU) computes it, input by input`);
  } else if (r.status === 'refuted') {
    const c = r.counterexample!;
    lines.push(`${name} (${r.dtype}): REFUTED by enumeration: a wrong answer after ${int(r.checked)} of ${int(r.size)} inputs (${r.domain})`);
    lines.push(`  counterexample: ${c.input}: expected ${c.expected || '(empty)'}, got ${c.got || '(empty)'} (first wrong at ${c.firstWrong})`);
  } else {
    lines.push(`${name} (${r.dtype}): UNKNOWN: ${r.reason}`);
  }
  lines.push(`  time: ${r.seconds.toFixed(1)} s`);
  for (const n of notes) lines.push(`  note: ${n}`);
  return `${lines.join('\n')}\n`;
}
