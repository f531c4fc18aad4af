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
    .action((code: string | undefined) => explain(code));
}

function explain(code: string | undefined): void {
  if (code === undefined) {
    for (const [c, d] of Object.entries(DIAGNOSTICS)) process.stdout.write(`${c}  ${d.title} (${d.severity})\n`);
    return;
  }
  process.stdout.write(explainText(parseCode(code)));
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
