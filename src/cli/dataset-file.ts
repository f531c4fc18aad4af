// Reading a dataset file for verify and prove: plain text or gzip (`.gz`), at most 256 MiB once
// unpacked; a malformed line is printed as a diagnostic at the file's own line and column, and the
// command stops before running anything (DatasetRefused, exit 1 like a source with errors).
import { gunzipSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import type { CheckedModel } from '../check/model.ts';
import { parseDataset } from '../verify/dataset.ts';
import type { DatasetCase } from '../runtime/tasks/dataset.ts';
import { formatDiagnostics, wantsColor } from './format-diagnostics.ts';
import { readBytesIfPresent, UserError } from './io.ts';

const MAX_BYTES = 256 * 1024 * 1024;

export class DatasetRefused extends Error {}

/** The dataset to verify against: `--dataset` (relative to the working directory), else the task's
 * `data` (relative to the .hw file); undefined when neither is given. */
export function datasetFor(model: CheckedModel, hwFile: string, option: string | undefined): { cases: DatasetCase[]; source: string } | undefined {
  const path = option ?? (model.stringTask?.data !== undefined ? resolve(dirname(hwFile), model.stringTask.data) : undefined);
  if (path === undefined) return undefined;
  if (!model.stringTask) throw new UserError('--dataset gives the answers of a token-string task; this model has a digit task');
  const shown = option ?? model.stringTask.data!;
  const bytes = readBytesIfPresent(path);
  if (!bytes) throw new UserError(`cannot read dataset ${shown}: no such file`);
  let text: string;
  try {
    const raw = path.endsWith('.gz') ? gunzipSync(bytes, { maxOutputLength: MAX_BYTES }) : bytes;
    if (raw.byteLength > MAX_BYTES) throw new UserError(`dataset ${shown} is over ${MAX_BYTES / 2 ** 20} MiB`);
    text = Buffer.from(raw).toString('utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read dataset ${shown}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = parseDataset(text, model);
  if (parsed.diagnostics.length > 0) {
    process.stderr.write(formatDiagnostics(parsed.diagnostics, { file: shown, source: text, color: wantsColor(process.stderr) }));
    if (parsed.unlisted > 0) process.stderr.write(`… and ${parsed.unlisted.toLocaleString('en-US')} more malformed lines\n`);
    throw new DatasetRefused(`dataset ${shown} has malformed lines`);
  }
  return { cases: parsed.cases, source: shown };
}
