// `handwire fmt`: one canonical layout for .hw source, comments kept. The layout:
//   - line breaks stay where the author put them (format-lines.ts says why), runs of blank lines
//     become one, and none follow a `{` or come before a `}`;
//   - two spaces of indentation per `{`; a line continuing a bracket that has more on its first line
//     lines up after the bracket, one continuing a bracket that ends its line is indented two more;
//   - one space between tokens, none inside brackets or before `,` `;`, none around `^` and `..`
//     or after a sign, as in written math (`2^-0.5`, `0..9`, `-d`);
//   - consecutive header items (`vocab`, `dtype`, `residual`, `context`) line up their values,
//     consecutive `about` entries their text, consecutive lines with `=` their `=`, and consecutive
//     end-of-line comments their `#`, two spaces after the longest line of the run.
// Formatting a formatted file changes nothing. Before returning, the result is checked to read the
// same as the source: the same tokens, the same line breaks between them, the same `v[i]` / `v [i]`
// and the same comments. Those are all the parser looks at, so the program is the same.
import type { IToken } from 'chevrotain';
import type { Diagnostic } from '../diagnostics.ts';
import { alignMatrixColumns, alignRuns } from './format-align.ts';
import { formatLines, type FormatLine } from './format-lines.ts';
import { parse } from './parse.ts';
import { handwireLexer } from './tokens.ts';

export interface FormatResult {
  /** The formatted text; undefined when the source does not parse (see diagnostics). */
  text?: string;
  /** The source's lexing and parsing errors: a file that does not parse is not formatted. */
  diagnostics: Diagnostic[];
}

/** The codes of text that does not parse. Other diagnostics of the parse (a setting given twice)
 * are about meaning, and the formatter formats such a file like any other. */
const SYNTAX_CODES = new Set(['HW001', 'HW002', 'HW099']);

const INDENT = 2;
const COMMENT_GAP = 2;

export function formatSource(source: string): FormatResult {
  const syntaxErrors = parse(source).diagnostics.filter((d) => SYNTAX_CODES.has(d.code));
  if (syntaxErrors.length > 0) return { diagnostics: syntaxErrors };
  const tokens = handwireLexer.tokenize(source).tokens;
  const lines = formatLines(source, tokens);
  dropBlankLinesAtBlockEdges(lines);
  alignRuns(lines);
  alignMatrixColumns(lines);
  const code = indentLines(lines);
  const text = placeComments(lines, code);
  assertSameProgram(source, text);
  return { text, diagnostics: [] };
}

function dropBlankLinesAtBlockEdges(lines: FormatLine[]): void {
  lines.forEach((l, i) => {
    const above = lines[i - 1];
    if (above === undefined || above.tokens.at(-1)?.tokenType.name === 'LBrace') l.blankBefore = false;
    if (l.tokens[0]?.tokenType.name === 'RBrace') l.blankBefore = false;
  });
}

interface OpenBracket {
  /** The indentation of a line that continues inside the bracket. */
  content: number;
  /** The indentation of a line that starts with the closing bracket. */
  closer: number;
}

/** Each line's code (no comment) with its indentation, from the brackets open at its start. */
function indentLines(lines: readonly FormatLine[]): string[] {
  const open: OpenBracket[] = [];
  return lines.map((l) => {
    const firstType = l.tokens[0]?.tokenType.name;
    const closes = firstType === 'RBrace' || firstType === 'RParen' || firstType === 'RBracket';
    const indent = (closes ? open.at(-1)?.closer : open.at(-1)?.content) ?? 0;
    let text = ' '.repeat(indent);
    l.tokens.forEach((t, i) => {
      if (i > 0) text += ' '.repeat(l.spaces[i]!);
      const column = text.length;
      text += t.image;
      const type = t.tokenType.name;
      if (type === 'LBrace') open.push({ content: indent + INDENT, closer: indent });
      else if (type === 'LParen' || type === 'LBracket') {
        const endsLine = i === l.tokens.length - 1;
        open.push(endsLine ? { content: indent + INDENT, closer: indent } : { content: column + 1, closer: column });
      } else if (type === 'RBrace' || type === 'RParen' || type === 'RBracket') open.pop();
    });
    return l.tokens.length === 0 ? ' '.repeat(indent) : text;
  });
}

/** The finished text: comment lines at their indentation, and the comments that end consecutive
 * lines of code lined up two spaces after the run's longest line. */
function placeComments(lines: readonly FormatLine[], code: readonly string[]): string {
  const out: string[] = [];
  let start = 0;
  while (start < lines.length) {
    let end = start + 1;
    const trailing = (l: FormatLine) => l.tokens.length > 0 && l.comment !== undefined;
    if (trailing(lines[start]!)) {
      while (end < lines.length && trailing(lines[end]!) && !lines[end]!.blankBefore) end++;
    }
    const column = Math.max(...code.slice(start, end).map((c) => c.length)) + COMMENT_GAP;
    for (let i = start; i < end; i++) {
      const l = lines[i]!;
      if (l.blankBefore) out.push('');
      if (l.comment === undefined) out.push(code[i]!);
      else if (l.tokens.length === 0) out.push(code[i]! + l.comment);
      else out.push(code[i]!.padEnd(column) + l.comment);
    }
    start = end;
  }
  return `${out.join('\n')}\n`;
}

/** What the parser reads from a text: its tokens, whether a line break comes before each, whether
 * a bracket touches the operand before it (`v[i]` or `v [i]`), and (for people) its comments. */
function readingOf(text: string): { tokens: string[]; comments: string[] } {
  const tokens = handwireLexer.tokenize(text).tokens;
  const comments: string[] = [];
  let end = 0;
  let before: IToken | undefined;
  const out = tokens.map((t: IToken) => {
    const gap = text.slice(end, t.startOffset);
    for (const m of gap.matchAll(/#[^\n]*/g)) comments.push(m[0].trimEnd());
    const bracket = t.image === '[' || t.image === '(';
    const afterOperand = before !== undefined && /^(Identifier|NumberLit|StringLit|RParen|RBracket)$/.test(before.tokenType.name);
    const touch = bracket && afterOperand ? (gap === '' ? 'touching ' : 'apart ') : '';
    end = t.startOffset + t.image.length;
    before = t;
    return `${gap.includes('\n') ? 'newline ' : ''}${touch}${t.tokenType.name}:${t.image}`;
  });
  for (const m of text.slice(end).matchAll(/#[^\n]*/g)) comments.push(m[0].trimEnd());
  return { tokens: out, comments };
}

/** A formatter bug must not rewrite anyone's model: the output has to read as the input did. */
function assertSameProgram(source: string, formatted: string): void {
  const before = readingOf(source);
  const after = readingOf(formatted);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(before.tokens, after.tokens) || !same(before.comments, after.comments)) {
    throw new Error('the formatter changed how the file reads (a bug in handwire fmt); the file was left as it was');
  }
}
