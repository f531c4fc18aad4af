// `handwire params FILE [--json]`: the parameter audit. Every free parameter with its values and
// where it is used, every literal constant acting as a weight with where it occurs, the classes of
// every weight tensor, and the two totals: the AdderBoard count (unique free parameters; fixed
// encodings free) and the strict count (plus the distinct literal constants).
import type { Command } from 'commander';
import type { Audit } from '../../check/audit.ts';
import { checkFileOrReport } from '../load.ts';

export function registerParams(program: Command): void {
  program
    .command('params')
    .description('audit where every number of a .hw model comes from; count its parameters')
    .argument('<file>', '.hw source file')
    .option('--json', 'print {file, adderboard, strict, params, literals, tensors} as JSON')
    .action((file: string, opts: { json?: boolean }) => params(file, opts));
}

function params(file: string, opts: { json?: boolean }): void {
  const checked = checkFileOrReport(file);
  if (!checked) {
    process.exitCode = 1;
    return;
  }
  const audit = checked.model.audit;
  if (!audit) throw new Error('the pipeline did not produce a parameter audit');
  if (opts.json) {
    process.stdout.write(JSON.stringify({ file, total: audit.adderboard, ...audit }, null, 2) + '\n');
    return;
  }
  process.stdout.write(render(audit));
}

function table(header: string[], rows: string[][], numeric: Set<number>): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  // Text left-aligned, numbers right-aligned, as in any table meant to be scanned.
  const line = (r: string[]) => r.map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const lines = all.map(line);
  const rule = '-'.repeat(Math.max(...lines.map((l) => l.length)));
  return `${lines[0]}\n${rule}\n${lines.slice(1).map((l) => l + '\n').join('')}`;
}

const short = (v: number) => (Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString());

function values(vs: number[]): string {
  const shown = vs.slice(0, 4).map(short).join(', ');
  return vs.length > 4 ? `${shown}, … (${vs.length})` : shown;
}

function render(a: Audit): string {
  let out = 'free parameters (counted once however often used)\n';
  out += table(
    ['name', 'shape', 'count', 'line', 'values', 'used in'],
    a.params.map((p) => [p.name, p.shape.length ? p.shape.join('×') : 'scalar', String(p.count), String(p.line), values(p.values), p.usedIn.join(', ')]),
    new Set([2, 3]),
  );
  out += '\nliteral constants acting as weights\n';
  out += a.literals.length === 0
    ? '(none)\n'
    : table(
        ['value', 'kind', 'where'],
        a.literals.map((l) => [short(l.value), l.kind, l.where.map((w) => `${w.tensor ? w.tensor + ' ' : ''}line ${w.line}:${w.col}${w.via ? ` (via ${w.via})` : ''}`).join('; ')]),
        new Set([0]),
      );
  out += '\nweight tensors by class\n';
  out += table(
    ['tensor', 'line', 'entries', 'param/derived', 'literal', 'structural', 'encoding'],
    a.tensors.map((t) => [t.name, String(t.line), String(t.entries), String(t.counts.derived), String(t.counts['literal constant']), String(t.counts.structural), String(t.counts['fixed encoding'])]),
    new Set([1, 2, 3, 4, 5, 6]),
  );
  out += `\nAdderBoard count: ${a.adderboard} (unique free parameters; fixed encodings are free)\n`;
  out += `strict count:     ${a.strict} (plus ${a.literals.length} distinct literal constant${a.literals.length === 1 ? '' : 's'} acting as weights)\n`;
  return out;
}
