// What several commands share: reading a .hw file, running it through the pipeline and, when the
// pipeline reports problems, printing them. Diagnostics go to stderr here because these commands'
// stdout is their product (a table, a report, JSON); `check`, whose product they are, prints its own.
import { Option } from 'commander';
import { checkSource, compileSource, type CheckOutput, type CompileOutput } from '../compile.ts';
import { hasErrors } from '../diagnostics.ts';
import type { CheckedModel } from '../check/model.ts';
import type { FloatDType } from '../ir/types.ts';
import { formatDiagnostics, wantsColor } from './format-diagnostics.ts';
import { readSource, UserError } from './io.ts';

export const DTYPES: readonly FloatDType[] = ['float32', 'float64'];

/** `--dtype`, overriding the dtype the .hw file names. */
export function dtypeOption(): Option {
  return new Option('--dtype <dtype>', 'float type of the compiled model (default: the one the file names)').choices(DTYPES);
}

export function printDiagnosticsToStderr(output: CheckOutput, file: string, source: string): void {
  if (output.diagnostics.length === 0) return;
  process.stderr.write(formatDiagnostics(output.diagnostics, { file, source, color: wantsColor(process.stderr) }));
}

export interface CheckedFile {
  source: string;
  model: CheckedModel;
}

export interface CompiledFile extends CheckedFile {
  onnx: Uint8Array;
  dtype: FloatDType;
}

/** The checked model, or undefined after printing the errors that stopped it. Warnings are printed too. */
export function checkFileOrReport(file: string): CheckedFile | undefined {
  const source = readSource(file);
  const output = checkSource(source);
  printDiagnosticsToStderr(output, file, source);
  if (!output.model || hasErrors(output.diagnostics)) return undefined;
  return { source, model: output.model };
}

/** Like checkFileOrReport, through to ONNX bytes in `dtype` (default: the file's own). */
export function compileFileOrReport(file: string, dtype?: FloatDType): CompiledFile | undefined {
  const source = readSource(file);
  const output: CompileOutput = compileSource(source, { dtype });
  printDiagnosticsToStderr(output, file, source);
  if (!output.model || !output.onnx || hasErrors(output.diagnostics)) return undefined;
  return { source, model: output.model, onnx: output.onnx, dtype: dtype ?? output.model.dtype };
}

/** A whole-number option (`--budget 1000`): anything else is a user error naming the option. */
export function whole(text: string, option: string, min = 1): number {
  const v = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < min) throw new UserError(`${option} must be a whole number ≥ ${min}, got '${text}'`);
  return v;
}
