// The one catalogue of diagnostics. Every stage reports problems as data built from these entries;
// only the CLI turns them into text. Codes are stable: tests, docs and users refer to them. Each
// code's explanation and example fix are in diagnostics-help.ts (`handwire explain HWnnn`).
// It imports nothing from the stages, so every stage can import it.

/** A stretch of source text: what a diagnostic points at, and where each AST node came from. */
export interface Span {
  /** 1-based line and column of the first character; end is inclusive of the last character. */
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  endOffset: number;
}

export type Severity = 'error' | 'warning';

export interface Related {
  message: string;
  span: Span;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  span: Span;
  hint?: string;
  related?: Related[];
}

export const DIAGNOSTICS = {
  HW001: { severity: 'error', title: 'unexpected character' },
  HW002: { severity: 'error', title: 'syntax error' },
  HW003: { severity: 'error', title: 'item given twice' },
  HW010: { severity: 'error', title: 'unknown name' },
  HW011: { severity: 'error', title: 'duplicate name' },
  HW012: { severity: 'error', title: 'wrong number of arguments' },
  HW013: { severity: 'error', title: 'shape mismatch' },
  HW014: { severity: 'error', title: 'value is not finite' },
  HW015: { severity: 'error', title: 'division by zero' },
  HW016: { severity: 'error', title: 'size out of range' },
  HW017: { severity: 'warning', title: 'unused parameter' },
  HW018: { severity: 'error', title: 'not a linear map of its inputs' },
  HW019: { severity: 'error', title: 'unknown setting' },
  HW020: { severity: 'error', title: 'missing item' },
  HW021: { severity: 'error', title: 'wrong kind of value' },
  HW022: { severity: 'error', title: 'unknown dtype' },
  HW023: { severity: 'error', title: 'unknown function' },
  HW024: { severity: 'error', title: 'index out of range' },
  HW025: { severity: 'error', title: 'inconsistent settings' },
  HW026: { severity: 'error', title: 'invalid task contract' },
  HW027: { severity: 'error', title: 'malformed dataset line' },
  HW028: { severity: 'error', title: 'empty vocabulary or alphabet' },
  HW029: { severity: 'error', title: 'size limit exceeded' },
  HW030: { severity: 'error', title: 'value too large' },
  HW031: { severity: 'error', title: 'formula evaluation too deep' },
  HW099: { severity: 'error', title: 'internal compiler error' },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export function diag(code: DiagnosticCode, message: string, span: Span, extra?: { hint?: string; related?: Related[] }): Diagnostic {
  return { code, severity: DIAGNOSTICS[code].severity, message, span, ...extra };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** A span covering nothing at the start of a file, for problems that have no better place. */
export const NO_SPAN: Span = { line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };

/** The closest name within a small edit distance, for "did you mean" hints. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = Math.max(1, Math.floor(name.length / 3));
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance && d <= limit) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits (insert, delete, substitute, or swap two neighbours) from a to b: a swap is the commonest
 * typo (`hedas` for `heads`), so it counts as one edit, not two. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closestName(name, candidates);
  return c === undefined ? undefined : `did you mean \`${c}\`?`;
}
