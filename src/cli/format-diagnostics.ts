// Diagnostics (data, from any stage) → text for people or JSON for tools. The text follows the
// shape compilers have taught everyone to read:
//
//   model.hw:5:13: error HW010: unknown name `fo`
//       5 |   param w = fo + 1
//         |             ^~
//   hint: did you mean `foo`?
//   model.hw:3:9: note: `foo` is defined here
//
// Spans are 1-based with an inclusive end (see src/syntax/ast.ts).
import type { Diagnostic, Related } from '../diagnostics.ts';
import type { Span } from '../syntax/ast.ts';

export interface FormatOptions {
  /** The path shown in locations, as the user gave it. */
  file: string;
  source: string;
  color?: boolean;
}

const ANSI = { bold: '1', red: '1;31', yellow: '1;33', cyan: '1;36', green: '32', dim: '2' } as const;
type Style = keyof typeof ANSI;

function painter(color: boolean | undefined): (style: Style, text: string) => string {
  return color ? (style, text) => `\x1b[${ANSI[style]}m${text}\x1b[0m` : (_style, text) => text;
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function wantsColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** Diagnostics in source order (stable, so same-place diagnostics keep the stage's order). */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
}

export function formatDiagnostics(diags: readonly Diagnostic[], opts: FormatOptions): string {
  return sortDiagnostics(diags)
    .map((d) => formatDiagnostic(d, opts))
    .join('');
}

export function formatDiagnostic(d: Diagnostic, opts: FormatOptions): string {
  const paint = painter(opts.color);
  const lines = opts.source.split(/\r?\n/);
  const severityStyle: Style = d.severity === 'error' ? 'red' : 'yellow';
  let out = `${paint('bold', location(opts.file, d.span))} ${paint(severityStyle, `${d.severity} ${d.code}`)}: ${paint('bold', d.message)}\n`;
  out += snippet(lines, d.span, severityStyle, paint);
  if (d.hint) out += `${paint('green', 'hint')}: ${d.hint}\n`;
  for (const r of d.related ?? []) out += formatRelated(r, opts, lines, paint);
  return out;
}

function formatRelated(r: Related, opts: FormatOptions, lines: string[], paint: ReturnType<typeof painter>): string {
  return `${paint('bold', location(opts.file, r.span))} ${paint('cyan', 'note')}: ${r.message}\n` + snippet(lines, r.span, 'cyan', paint);
}

function location(file: string, span: Span): string {
  return `${file}:${span.line}:${span.col}:`;
}

/**
 * The span's first source line under a line-number gutter, and a caret line marking the span on
 * it: `^` at the first column, `~` for the rest of the span's width on that line (to the end of
 * the line's text when the span continues on later lines). Tabs before the span are copied into
 * the caret line so the marks stay aligned however the terminal expands them.
 */
function snippet(lines: string[], span: Span, style: Style, paint: ReturnType<typeof painter>): string {
  const text = lines[span.line - 1];
  if (text === undefined) return '';
  const gutter = String(span.line);
  const blank = ' '.repeat(gutter.length);
  const start = Math.min(Math.max(span.col, 1), text.length + 1);
  const lastOnLine = span.endLine === span.line ? span.endCol : text.trimEnd().length;
  const width = Math.max(1, lastOnLine - start + 1);
  const lead = text.slice(0, start - 1).replace(/[^\t]/g, ' ');
  const marks = '^' + '~'.repeat(width - 1);
  return `${paint('dim', ` ${gutter} |`)} ${text}\n${paint('dim', ` ${blank} |`)} ${lead}${paint(style, marks)}\n`;
}

/** "2 errors, 1 warning", or "no problems". */
export function summarize(diags: readonly Diagnostic[]): string {
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.length - errors;
  const parts: string[] = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return parts.length ? parts.join(', ') : 'no problems';
}

export interface JsonRelated {
  message: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface JsonDiagnostic extends JsonRelated {
  code: string;
  severity: string;
  hint: string | null;
  related: JsonRelated[];
}

/** A flat, stable JSON shape for tools (editors, CI annotations): every key always present. */
export function diagnosticToJson(d: Diagnostic): JsonDiagnostic {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...position(d.span),
    hint: d.hint ?? null,
    related: (d.related ?? []).map((r) => ({ message: r.message, ...position(r.span) })),
  };
}

function position(span: Span): { line: number; col: number; endLine: number; endCol: number } {
  return { line: span.line, col: span.col, endLine: span.endLine, endCol: span.endCol };
}
