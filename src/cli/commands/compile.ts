// `handwire compile FILE [-o OUT.onnx] [--dtype float32|float64] [--json]`: the .hw file as an ONNX model,
// written atomically (by default as <basename>.onnx in the current directory).
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parameterManifest } from '../../ir/metadata.ts';
import type { FloatDType } from '../../ir/types.ts';
import { compileSource } from '../../compile.ts';
import { hasErrors } from '../../diagnostics.ts';
import { diagnosticToJson, sortDiagnostics } from '../format-diagnostics.ts';
import { readSource, UserError, writeFileAtomic } from '../io.ts';
import { dtypeOption, printDiagnosticsToStderr } from '../load.ts';

interface CompileOptions {
  output?: string;
  dtype?: FloatDType;
  json?: boolean;
}

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile a .hw file to ONNX')
    .argument('<file>', '.hw source file')
    .option('-o, --output <path>', 'where to write the model (default: <basename>.onnx here)')
    .addOption(dtypeOption())
    .option('--json', 'print {file, output, bytes, parameters, dtype} (or {file, diagnostics} on errors) as JSON')
    .action((file: string, opts: CompileOptions) => compile(file, opts));
}

function compile(file: string, opts: CompileOptions): void {
  const out = opts.output ?? basename(file, extname(file)) + '.onnx';
  // A slip like `-o model.hw` would replace the source with binary; refuse before compiling.
  if (resolve(out) === resolve(file)) throw new UserError(`refusing to write the model over its own source ${file}`);
  const source = readSource(file);
  const compiled = compileSource(source, { dtype: opts.dtype });
  printDiagnosticsToStderr(compiled, file, source);
  if (!compiled.model || !compiled.onnx || hasErrors(compiled.diagnostics)) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ file, diagnostics: sortDiagnostics(compiled.diagnostics).map(diagnosticToJson) }, null, 2)}\n`);
    process.exitCode = 1;
    return;
  }
  writeFileAtomic(out, compiled.onnx);
  const result = { file, output: out, bytes: compiled.onnx.byteLength, parameters: parameterManifest(compiled.model).count, dtype: opts.dtype ?? compiled.model.dtype };
  process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `wrote ${out} (${result.bytes} bytes, ${result.parameters} parameters, ${result.dtype})\n`);
}
