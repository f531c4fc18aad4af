// Large but valid handwire sources for the `check` benchmark and the linear-scaling test: the 10p
// design with many extra `let` lines, or padded with comment lines. Generated, not stored, since a
// 10 MB fixture would bloat the repository.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DESIGN = fileURLToPath(new URL('../examples/adder/adder-10p-rope19.hw', import.meta.url));
/** The line after which extra lines go: inside the model, among the other `let`s. */
const ANCHOR = /^ *let K .*\n/m;

function padded(bytes: number, line: (i: number) => string): string {
  const design = readFileSync(DESIGN, 'utf8');
  const at = ANCHOR.exec(design);
  if (!at) throw new Error(`${DESIGN} has no \`let K\` line to insert after`);
  const cut = at.index + at[0].length;
  const lines: string[] = [];
  let size = design.length;
  for (let i = 0; size < bytes; i++) {
    const l = line(i);
    lines.push(l);
    size += l.length;
  }
  return design.slice(0, cut) + lines.join('') + design.slice(cut);
}

/** About `bytes` long: the design plus `let` lines, each reading the one before it (so every name
 * is resolved and every value computed, as in a real chain of definitions). */
export function manyLets(bytes: number): string {
  return padded(bytes, (i) => (i === 0 ? '  let L0 = K / 1000 + omega\n' : `  let L${i} = L${i - 1} * 0.5 + ${i % 97} # step ${i}\n`));
}

/** About `bytes` long: the design plus comment lines. */
export function manyComments(bytes: number): string {
  return padded(bytes, (i) => `  # comment line ${i}: nothing here is code, so the lexer skips it all\n`);
}
