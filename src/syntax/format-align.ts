// Alignment for the formatter (format.ts): runs of similar consecutive lines padded so that their
// values, `=` signs or matrix entries line up. Widths are measured on the canonical spacing, never
// on the padding already there, so formatting twice pads the same way.
import type { FormatLine } from './format-lines.ts';

/** Lines whose `=` (or value) would need more padding than this start a new run instead: one long
 * name should not push a whole block of short declarations to the right. */
const MAX_PADDING = 8;

/** Lines up each run of consecutive lines with the same alignment key in the same block: the text
 * before the aligned token is padded to the run's widest. */
export function alignRuns(lines: FormatLine[]): void {
  let start = 0;
  while (start < lines.length) {
    const first = lines[start]!;
    let end = start + 1;
    if (first.align !== undefined) {
      let narrowest = prefixWidth(first);
      let widest = narrowest;
      while (end < lines.length && continuesRun(first, lines[end]!)) {
        const w = prefixWidth(lines[end]!);
        if (Math.max(widest, w) - Math.min(narrowest, w) > MAX_PADDING) break;
        [narrowest, widest] = [Math.min(narrowest, w), Math.max(widest, w)];
        end++;
      }
      for (const l of lines.slice(start, end)) l.spaces[l.align!.at] = widest - prefixWidth(l) + 1;
    }
    start = end;
  }
}

function continuesRun(first: FormatLine, next: FormatLine): boolean {
  return !next.blankBefore && next.align?.key === first.align!.key && next.depth === first.depth && next.block === first.block;
}

function prefixWidth(l: FormatLine): number {
  return width(l, 0, l.align!.at);
}

/** The width of tokens[from..to) with the spaces between them. */
function width(l: FormatLine, from: number, to: number): number {
  let w = 0;
  for (let i = from; i < to; i++) w += (i > from ? l.spaces[i]! : 0) + l.tokens[i]!.image.length;
  return w;
}

/** The entries of a matrix written one or more rows per line (`[ cos(a), 0], [-sin(a), 0],`):
 * token ranges [from, to) of each entry, by row. Undefined for a line that does not start with a row. */
function rowEntries(l: FormatLine): Array<Array<[number, number]>> | undefined {
  if (l.block !== 'vector' || l.tokens[0]?.tokenType.name !== 'LBracket') return undefined;
  const rows: Array<Array<[number, number]>> = [];
  let depth = 0;
  let entryStart = 0;
  l.tokens.forEach((t, i) => {
    const type = t.tokenType.name;
    if (type === 'LBracket' || type === 'LParen') {
      depth++;
      if (depth === 1) {
        rows.push([]);
        entryStart = i + 1;
      }
    } else if (type === 'RBracket' || type === 'RParen') {
      if (depth === 1 && i > entryStart) rows.at(-1)!.push([entryStart, i]);
      depth--;
    } else if (type === 'Comma' && depth === 1) {
      rows.at(-1)!.push([entryStart, i]);
      entryStart = i + 1;
    }
  });
  return depth === 0 && rows.length > 0 ? rows : undefined;
}

/** Consecutive lines of matrix rows with the same shape have their entries right-aligned in
 * columns, as people write weight matrices: `[ -10,  10, 0, 1000]` under `[-100, 100, 0, 0]`. */
export function alignMatrixColumns(lines: FormatLine[]): void {
  let start = 0;
  while (start < lines.length) {
    const shape = rowEntries(lines[start]!);
    let end = start + 1;
    if (shape !== undefined) {
      const key = shape.map((r) => r.length).join(',');
      while (end < lines.length) {
        const next = lines[end]!;
        const rows = rowEntries(next);
        if (next.blankBefore || next.depth !== lines[start]!.depth || rows?.map((r) => r.length).join(',') !== key) break;
        end++;
      }
      const run = lines.slice(start, end);
      const entries = run.map((l) => rowEntries(l)!.flat());
      entries[0]!.forEach((_, column) => {
        const widths = run.map((l, i) => width(l, ...entries[i]![column]!));
        const widest = Math.max(...widths);
        run.forEach((l, i) => {
          const [from] = entries[i]![column]!;
          l.spaces[from] = (l.spaces[from] ?? 0) + widest - widths[i]!;
        });
      });
    }
    start = end;
  }
}
