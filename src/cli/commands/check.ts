// `handwire check FILE [--json]`: every diagnostic the parser and checker find, in one run.
// Exit 0 when there are no errors (warnings allowed), 1 when there are.
import type { Command } from 'commander';
import { checkSource } from '../../check/check-source.ts';
import { hasErrors } from '../../diagnostics.ts';
import { diagnosticToJson, formatDiagnostics, sortDiagnostics, summarize, wantsColor } from '../format-diagnostics.ts';
import { readSource } from '../io.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check a .hw file and print its diagnostics (exit 1 on errors)')
    .argument('<file>', '.hw source file')
    .option('--json', 'print {file, diagnostics} as JSON')
    .action((file: string, opts: { json?: boolean }) => check(file, opts));
}

function check(file: string, opts: { json?: boolean }): void {
  const source = readSource(file);
  const { diagnostics } = checkSource(source, { audit: false });
  if (opts.json) {
    const json = { file, diagnostics: sortDiagnostics(diagnostics).map(diagnosticToJson) };
    process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  } else {
    const text = formatDiagnostics(diagnostics, { file, source, color: wantsColor(process.stdout) });
    process.stdout.write(`${text}${file}: ${summarize(diagnostics)}\n`);
  }
  process.exitCode = hasErrors(diagnostics) ? 1 : 0;
}
