// `handwire export FILE… [--format adderboard|torch|numpy-graph] [-o PATH] [--dtype float32|float64] [--json]`:
// each design as one self-contained Python file, written atomically: the AdderBoard submission
// format in numpy only (adderboard), or a PyTorch nn.Module of the design with its weights and the
// same build_model()/add() entry points (torch; docs/export.md). The default name is the design's
// name as an importable Python module (adder-10p-rope19.hw → adder_10p_rope19.py, or
// adder_10p_rope19_torch.py for torch) in the current directory; `-o` names the file when one
// design is exported (a path ending in .py) or the directory to write into.
import { basename, extname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { compileSource } from '../../compile.ts';
import { hasErrors } from '../../diagnostics.ts';
import { parameterManifest } from '../../ir/metadata.ts';
import type { FloatDType } from '../../ir/types.ts';
import { irToNumpy, NumpyExportError } from '../../python/ir-to-numpy.ts';
import { modelToNumpy } from '../../python/model-to-numpy.ts';
import { modelToTorch } from '../../python/model-to-torch.ts';
import { diagnosticToJson, sortDiagnostics } from '../format-diagnostics.ts';
import { isDirectory, readSource, UserError, writeFileAtomic } from '../io.ts';
import { dtypeOption, printDiagnosticsToStderr } from '../load.ts';

export const EXPORT_FORMATS = ['adderboard', 'torch', 'numpy-graph'] as const;

interface ExportOptions {
  format: (typeof EXPORT_FORMATS)[number];
  adderboard?: string;
  output?: string;
  dtype?: FloatDType;
  json?: boolean;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export .hw designs as Python: an AdderBoard submission (numpy) or a PyTorch module, self-contained')
    .argument('[files...]', '.hw designs with a task block')
    .addOption(new Option('--format <format>', 'what to write: adderboard = build_model() and add(model, a, b) in readable numpy that follows the design; torch = an nn.Module of the design with its weights, and the same entry points; numpy-graph = the compiled graph transcribed node by node, same entry points').choices(EXPORT_FORMATS).default('adderboard'))
    // The first form of this command took its one input as an option; kept so old scripts run.
    .addOption(new Option('--adderboard <file>', 'same as `export FILE --format adderboard`').hideHelp())
    .option('-o, --output <path>', 'the file to write (one design, a path ending in .py) or the directory to write into (default: here)')
    .addOption(dtypeOption())
    .option('--json', 'print one JSON object per call: {exports: [{file, output, bytes, parameters, dtype}]}')
    .action((files: string[], opts: ExportOptions) => exportAll(opts.adderboard ? [...files, opts.adderboard] : files, opts));
}

/** `adder-10p-rope19.hw` → `adder_10p_rope19`: a name `import` accepts. */
export function pythonModuleName(file: string): string {
  const name = basename(file, extname(file)).replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

interface Exported {
  file: string;
  output: string;
  bytes: number;
  parameters: number;
  dtype: FloatDType;
}

function exportAll(files: string[], opts: ExportOptions): void {
  if (files.length === 0) throw new UserError('name at least one .hw file to export');
  const outputs = files.map((file) => outputPath(file, files.length, opts.output, opts.format));
  // Refuse every slip before writing anything, so a bad argument leaves no half-done batch.
  files.forEach((file, i) => {
    if (resolve(outputs[i]!) === resolve(file)) throw new UserError(`refusing to write the export over its own source ${file}`);
  });
  const clash = outputs.findIndex((o, i) => outputs.findIndex((p) => resolve(p) === resolve(o)) !== i);
  if (clash >= 0) throw new UserError(`two designs would both be written to ${outputs[clash]}`);

  const done: Exported[] = [];
  const failed: { file: string; diagnostics: unknown[] }[] = [];
  // Compile all first: a design with errors stops the batch before any file is written.
  const built = files.map((file) => {
    const source = readSource(file);
    const compiled = compileSource(source, { dtype: opts.dtype });
    printDiagnosticsToStderr(compiled, file, source);
    if (!compiled.ir || !compiled.model || hasErrors(compiled.diagnostics)) {
      failed.push({ file, diagnostics: sortDiagnostics(compiled.diagnostics).map(diagnosticToJson) });
      return undefined;
    }
    try {
      // Only the base name goes into the file, so the same source exports identically anywhere.
      const python =
        opts.format === 'torch'
          ? modelToTorch(compiled.model, { dtype: compiled.ir.dtype, source, sourceName: basename(file) })
          : opts.format === 'numpy-graph'
            ? irToNumpy(compiled.ir, { source, sourceName: basename(file) })
            : modelToNumpy(compiled.model, { dtype: compiled.ir.dtype, source, sourceName: basename(file) });
      return { python, parameters: parameterManifest(compiled.model).count, dtype: compiled.ir.dtype };
    } catch (e) {
      if (e instanceof NumpyExportError) throw new UserError(`cannot export ${file}: ${e.message}`);
      throw e;
    }
  });
  if (failed.length > 0) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ exports: [], errors: failed }, null, 2)}\n`);
    process.exitCode = 1;
    return;
  }
  built.forEach((b, i) => {
    const bytes = new TextEncoder().encode(b!.python);
    writeFileAtomic(outputs[i]!, bytes);
    done.push({ file: files[i]!, output: outputs[i]!, bytes: bytes.byteLength, parameters: b!.parameters, dtype: b!.dtype });
  });
  if (opts.json) process.stdout.write(`${JSON.stringify({ exports: done }, null, 2)}\n`);
  else for (const e of done) process.stdout.write(`wrote ${e.output} (${e.bytes} bytes, ${e.parameters} parameters, ${e.dtype})\n`);
}

function outputPath(file: string, count: number, output: string | undefined, format: ExportOptions['format']): string {
  // The torch file gets its own default name, so exporting both formats keeps both.
  const name = `${pythonModuleName(file)}${format === 'torch' ? '_torch' : format === 'numpy-graph' ? '_graph' : ''}.py`;
  if (output === undefined) return name;
  if (output.endsWith('.py') && !isDirectory(output)) {
    if (count > 1) throw new UserError(`-o ${output} names one file, but ${count} designs are being exported; give a directory`);
    return output;
  }
  if (!isDirectory(output)) throw new UserError(`-o ${output}: no such directory (a single design's file name must end in .py)`);
  return join(output, name);
}
