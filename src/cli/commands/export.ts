// `handwire export --adderboard FILE [-o OUT.py] [--dtype float32|float64]`: the design as one
// self-contained Python file (numpy only) in the AdderBoard submission format, written atomically
// (by default as <basename>.py in the current directory).
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { compileSource } from '../../compile.ts';
import { hasErrors } from '../../diagnostics.ts';
import { parameterManifest } from '../../ir/metadata.ts';
import type { FloatDType } from '../../ir/types.ts';
import { irToNumpy, NumpyExportError } from '../../python/ir-to-numpy.ts';
import { readSource, UserError, writeFileAtomic } from '../io.ts';
import { dtypeOption, printDiagnosticsToStderr } from '../load.ts';

interface ExportOptions {
  adderboard: string;
  output?: string;
  dtype?: FloatDType;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a .hw design as a self-contained Python (numpy) AdderBoard submission')
    .requiredOption('--adderboard <file>', '.hw design with a task block, exported as build_model() and add(model, a, b)')
    .option('-o, --output <path>', 'where to write the Python file (default: <basename>.py here)')
    .addOption(dtypeOption())
    .action((opts: ExportOptions) => exportAdderboard(opts));
}

function exportAdderboard(opts: ExportOptions): void {
  const file = opts.adderboard;
  const out = opts.output ?? basename(file, extname(file)) + '.py';
  if (resolve(out) === resolve(file)) throw new UserError(`refusing to write the export over its own source ${file}`);
  const source = readSource(file);
  const compiled = compileSource(source, { dtype: opts.dtype });
  printDiagnosticsToStderr(compiled, file, source);
  if (!compiled.ir || hasErrors(compiled.diagnostics)) {
    process.exitCode = 1;
    return;
  }
  let python: string;
  try {
    // Only the base name goes into the file, so the same source exports identically anywhere.
    python = irToNumpy(compiled.ir, { source, sourceName: basename(file) });
  } catch (e) {
    if (e instanceof NumpyExportError) throw new UserError(`cannot export ${file}: ${e.message}`);
    throw e;
  }
  const bytes = new TextEncoder().encode(python);
  writeFileAtomic(out, bytes);
  const params = compiled.model ? parameterManifest(compiled.model).count : 0;
  process.stdout.write(`wrote ${out} (${bytes.byteLength} bytes, ${params} parameters, ${compiled.ir.dtype})\n`);
}
