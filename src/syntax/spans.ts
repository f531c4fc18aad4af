// Source spans from offsets. Tokens and CST nodes carry start and end offsets only: a 10 MB source
// has about two million tokens, and line and column fields on each would be a third of their
// memory. Lines and columns are looked up here, once per span the AST keeps.
import type { IToken } from 'chevrotain';
import type { Span } from './ast.ts';

/** Where each line of a text starts. Only \n ends a line (a \r before it is trailing text), as in
 * the lexer and the CLI's source excerpts. */
export class LineIndex {
  private readonly starts: Int32Array;

  constructor(text: string) {
    let count = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
    this.starts = new Int32Array(count);
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts[line++] = i + 1;
  }

  /** The 1-based line holding `offset` (a binary search over the line starts). */
  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The span from `offset` to `endOffset` (both inclusive). An offset that is not a number (a
   * token error recovery made up) becomes the start of the text. */
  span(offset: number, endOffset: number = offset): Span {
    if (!Number.isFinite(offset)) return { line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };
    // `| 0`: offsets come from Chevrotain's node locations, whose fields hold doubles (they start
    // as NaN), so without it each span kept two boxed numbers (16 bytes each) for its offset and
    // column. As small integers they are stored in the span itself (a V8 string has under 2^30
    // characters, so no offset overflows 32 bits).
    const start = offset | 0;
    const end = Number.isFinite(endOffset) ? endOffset | 0 : start;
    const line = this.line(start);
    const endLine = this.line(end);
    return { line, col: start - this.starts[line - 1]! + 1, endLine, endCol: end - this.starts[endLine - 1]! + 1, offset: start, endOffset: end };
  }

  /** A token's span, from its image (its end offset may not be set: see parse.ts). */
  tokenSpan(t: IToken): Span {
    return this.span(t.startOffset, t.startOffset + Math.max(0, t.image.length - 1));
  }
}
