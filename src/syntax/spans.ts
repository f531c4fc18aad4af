// Source spans of Chevrotain tokens, shared by the parser's error reporting and the AST builder.
import type { IToken } from 'chevrotain';
import type { Span } from './ast.ts';

export function tokenSpan(t: IToken): Span {
  return {
    line: t.startLine ?? 1,
    col: t.startColumn ?? 1,
    endLine: t.endLine ?? t.startLine ?? 1,
    endCol: t.endColumn ?? t.startColumn ?? 1,
    offset: t.startOffset,
    endOffset: t.endOffset ?? t.startOffset,
  };
}
