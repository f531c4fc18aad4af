// `handwire compile FILE [-o OUT.onnx] [--dtype float32|float64]`: the .hw file as an ONNX model,
// written atomically (by default as <basename>.onnx in the current directory).
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parameterManifest } from '../../ir/metadata.ts';
import type { FloatDType } from '../../ir/types.ts';
import { UserError, writeFileAtomic } from '../io.ts';
import { compileFileOrReport, dtypeOption } from '../load.ts';

interface CompileOptions {
  output?: string;
  dtype?: FloatDType;
}

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile a .hw file to ONNX')
    .argument('<file>', '.hw source file')
    .option('-o, --output <path>', 'where to write the model (default: <basename>.onnx here)')
    .addOption(dtypeOption())
    .action((file: string, opts: CompileOptions) => compile(file, opts));
}

function compile(file: string, opts: CompileOptions): void {
  const out = opts.output ?? basename(file, extname(file)) + '.onnx';
  // A slip like `-o model.hw` would replace the source with binary; refuse before compiling.
  if (resolve(out) === resolve(file)) throw new UserError(`refusing to write the model over its own source ${file}`);
  const compiled = compileFileOrReport(file, opts.dtype);
  if (!compiled) {
    process.exitCode = 1;
    return;
  }
  writeFileAtomic(out, compiled.onnx);
  const params = parameterManifest(compiled.model).count;
  process.stdout.write(`wrote ${out} (${compiled.onnx.byteLength} bytes, ${params} parameters, ${compiled.dtype})\n`);
}
