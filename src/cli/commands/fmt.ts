// `handwire fmt FILE… [--check] [--json]`: rewrites .hw files in the one canonical layout
// (src/syntax/format.ts), comments kept. A folder stands for every .hw file under it. Each file is
// replaced atomically, so an interrupted run leaves every file whole. With --check nothing is
// written: the command lists the files that would change and exits 1 if there are any, so CI can
// tell when someone committed an unformatted file. A file that does not parse is left alone and
// its errors printed (file:line:col with a caret); the run then exits 2. `handwire fmt -` reads
// stdin and prints the formatted text to stdout, for editors that format a buffer through a command.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatSource } from '../../syntax/format.ts';
import { diagnosticToJson, formatDiagnostics, sortDiagnostics, wantsColor } from '../format-diagnostics.ts';
import { isDirectory, readSource, UserError, writeFileAtomic } from '../io.ts';

const EXIT_UNFORMATTED = 1;
const EXIT_UNPARSABLE = 2;

export function registerFmt(program: Command): void {
  program
    .command('fmt')
    .description('format .hw files (or every .hw file in a folder) in the canonical layout, comments kept')
    .argument('<files...>', '.hw source files or folders; - reads stdin and writes the result to stdout')
    .option('--check', 'write nothing; list the files that would change and exit 1 if any would')
    .option('--json', 'print {files: [{file, changed, diagnostics}], changed, failed} as JSON instead of lines')
    .action((files: string[], opts: { check?: boolean; json?: boolean }) => fmt(files, opts.check === true, opts.json === true));
}

interface FileReport {
  file: string;
  changed: boolean;
  diagnostics: ReturnType<typeof diagnosticToJson>[];
}

function fmt(paths: string[], checkOnly: boolean, json: boolean): void {
  if (paths.includes('-')) {
    if (paths.length > 1) throw new UserError('- (stdin) cannot be given with other files');
    fmtStdin(checkOnly, json);
    return;
  }
  const reports: FileReport[] = [];
  for (const file of expand(paths)) {
    const source = readSource(file);
    const { text, diagnostics } = formatSource(source);
    if (text === undefined) {
      reports.push({ file, changed: false, diagnostics: sortDiagnostics(diagnostics).map(diagnosticToJson) });
      if (!json) process.stderr.write(formatDiagnostics(diagnostics, { file, source, color: wantsColor(process.stderr) }));
      continue;
    }
    const changed = text !== source;
    reports.push({ file, changed, diagnostics: [] });
    if (changed && !checkOnly) writeFileAtomic(file, new TextEncoder().encode(text));
    if (changed && !json) process.stdout.write(`${checkOnly ? 'would reformat' : 'formatted'} ${file}\n`);
  }
  const changed = reports.filter((r) => r.changed).length;
  const failed = reports.filter((r) => r.diagnostics.length > 0).length;
  if (json) process.stdout.write(`${JSON.stringify({ files: reports, changed, failed }, null, 2)}\n`);
  else if (failed > 0) process.stderr.write(`${failed} of ${reports.length} files could not be parsed and were left unchanged\n`);
  if (failed > 0) process.exitCode = EXIT_UNPARSABLE;
  else if (checkOnly && changed > 0) process.exitCode = EXIT_UNFORMATTED;
}

/** Formats stdin to stdout (nothing but the formatted text, so an editor can take it as is). */
function fmtStdin(checkOnly: boolean, json: boolean): void {
  const file = '<stdin>';
  const source = readFileSync(0, 'utf8');
  const { text, diagnostics } = formatSource(source);
  const changed = text !== undefined && text !== source;
  if (json) {
    const report = { file, changed, diagnostics: sortDiagnostics(diagnostics).map(diagnosticToJson), text: checkOnly ? undefined : text };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else if (text === undefined) process.stderr.write(formatDiagnostics(diagnostics, { file, source, color: wantsColor(process.stderr) }));
  else if (!checkOnly) process.stdout.write(text);
  if (text === undefined) process.exitCode = EXIT_UNPARSABLE;
  else if (checkOnly && changed) process.exitCode = EXIT_UNFORMATTED;
}

/** The files named, with each folder replaced by the .hw files under it (sorted, so every machine
 * reports them in one order). A file named explicitly is formatted whatever its extension. */
function expand(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (!isDirectory(path)) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path, { recursive: true, encoding: 'utf8' })
      .filter((p) => p.endsWith('.hw'))
      .map((p) => join(path, p))
      .sort();
    if (found.length === 0) throw new UserError(`no .hw files in ${path}`);
    files.push(...found);
  }
  return [...new Set(files)];
}
