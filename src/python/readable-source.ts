// Text helpers of the readable exports: quoting the .hw lines a weight or step comes from, and
// array literals packed a few rows to a line so small matrices stay short.
import type { Span } from '../syntax/ast.ts';
import { nestedList } from './python-literals.ts';

const LINE_WIDTH = 100;

/** The .hw source's lines, quoted as `.hw line N: text` (comments after `#` left out). */
export class SourceQuotes {
  private readonly lines: string[] | undefined;

  constructor(source: string | undefined) {
    this.lines = source?.split(/\r?\n/);
  }

  private text(line: number): string | undefined {
    const raw = this.lines?.[line - 1];
    return raw === undefined ? undefined : raw.replace(/\s+#.*$/, '').trim();
  }

  private quote(line: number): string {
    const text = this.text(line);
    return text ? `.hw line ${line}: ${text}` : `.hw line ${line}`;
  }

  lineOf(span: Span | undefined): number | undefined {
    return span?.line;
  }

  at(span: Span | undefined): string | undefined {
    return span ? this.quote(span.line) : undefined;
  }

  /** The first line of the whole source whose text matches. */
  find(re: RegExp): string | undefined {
    const i = this.lines?.findIndex((_, k) => re.test(this.text(k + 1) ?? '')) ?? -1;
    return i >= 0 ? this.quote(i + 1) : undefined;
  }

  /** The first line inside the `{ … }` block that starts at `span` whose text matches. */
  inBlock(span: Span, re: RegExp): string | undefined {
    if (!this.lines) return undefined;
    let depth = 0;
    for (let line = span.line; line <= this.lines.length; line++) {
      const text = this.text(line) ?? '';
      if (line > span.line && re.test(text)) return this.quote(line);
      for (const ch of text) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
      if (depth <= 0 && line > span.line) return undefined;
    }
    return undefined;
  }
}

/**
 * Row-major values of `shape` as a nested list literal. A matrix whose rows are short gets as many
 * rows on a line as fit in about 100 columns; anything else is laid out by nestedList (one
 * innermost row per line).
 */
export function compactList(values: readonly string[], shape: readonly number[], indent: number): string {
  if (shape.length !== 2) return nestedList(values, shape, indent);
  const [rows, cols] = shape as [number, number];
  const rendered = Array.from({ length: rows }, (_, r) => `[${values.slice(r * cols, (r + 1) * cols).join(', ')}]`);
  const pad = ' '.repeat(indent + 1);
  if (rendered.some((r) => pad.length + r.length + 2 > LINE_WIDTH)) return nestedList(values, shape, indent);
  const lines: string[] = [];
  let line = '';
  for (const r of rendered) {
    const piece = line === '' ? r : `, ${r}`;
    if (line !== '' && pad.length + line.length + piece.length + 1 > LINE_WIDTH) {
      lines.push(line + ',');
      line = r;
    } else {
      line += piece;
    }
  }
  lines.push(line);
  return `[${lines.join(`\n${pad}`)}]`;
}
