// `handwire explain HWnnn`: the long form of a diagnostic code (what it means, why, an example and
// its fix), from the catalogue in src/diagnostics-help.ts. Without a code: every code and title.
import type { Command } from 'commander';
import { DIAGNOSTICS, type DiagnosticCode } from '../../diagnostics.ts';
import { explainText } from '../../diagnostics-help.ts';
import { UserError } from '../io.ts';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('explain a diagnostic code (e.g. HW013): what it means and how to fix it; without a code, list them')
    .argument('[code]', 'a diagnostic code: HW013, hw13 or 13')
    .option('--json', 'print {code, title, severity} (every code without an argument) as JSON')
    .action((code: string | undefined, opts: { json?: boolean }) => explain(code, opts));
}

function explain(code: string | undefined, opts: { json?: boolean }): void {
  if (code === undefined) {
    const all = Object.entries(DIAGNOSTICS).map(([c, d]) => ({ code: c, title: d.title, severity: d.severity }));
    if (opts.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    else for (const d of all) process.stdout.write(`${d.code}  ${d.title} (${d.severity})\n`);
    return;
  }
  const c = parseCode(code);
  if (opts.json) {
    const d = DIAGNOSTICS[c];
    process.stdout.write(`${JSON.stringify({ code: c, title: d.title, severity: d.severity, text: explainText(c) }, null, 2)}\n`);
  } else process.stdout.write(explainText(c));
}

/** `HW013`, `hw013`, `hw13` and `13` all name HW013. */
function parseCode(text: string): DiagnosticCode {
  const m = /^(?:hw)?(\d{1,3})$/i.exec(text.trim());
  const code = m ? `HW${m[1].padStart(3, '0')}` : undefined;
  if (code === undefined || !(code in DIAGNOSTICS)) {
    throw new UserError(`${text} is not a diagnostic code (run handwire explain for the list)`);
  }
  return code as DiagnosticCode;
}
