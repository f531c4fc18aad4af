// Stage 1: source text → AST. Lexing and parsing errors become HW001/HW002 diagnostics; Chevrotain's
// error recovery lets one run report several of them.
import type { ILexingResult, IRecognitionException, IToken } from 'chevrotain';
import type { Expr, ModelAst, Span } from './ast.ts';
import { AstBuilder } from './cst-to-ast.ts';
import type { ExprCstNode } from './cst.generated.ts';
import { parserInstance } from './parser.ts';
import { handwireLexer } from './tokens.ts';
import { diag, type Diagnostic } from '../diagnostics.ts';
import { LineIndex } from './spans.ts';

export interface ParseResult {
  ast?: ModelAst;
  diagnostics: Diagnostic[];
}

export function parse(source: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lines = new LineIndex(source);
  const lexer = new ChunkLexer(source);
  parserInstance.input = [];
  parserInstance.more = (into) => lexer.next(into);
  parserInstance.lines = lines;
  const builder = new AstBuilder(lines);
  parserInstance.itemSink = (item) => builder.addItem(item);
  // Lexing errors come first, as if the whole text were lexed before parsing (the parser may stop
  // before the end of the text, so the rest is lexed here for its errors).
  const lexingDiagnostics = (): Diagnostic[] => {
    lexer.drain(parserInstance.input);
    return lexer.diagnostics(source, lines);
  };
  try {
    const cst = parserInstance.program();
    diagnostics.push(...lexingDiagnostics());
    for (const e of parserInstance.errors) diagnostics.push(parseError(e, source, lines));
    const ast = builder.model(cst);
    diagnostics.push(...builder.diagnostics);
    return { ast, diagnostics };
  } catch (err) {
    diagnostics.push(...lexingDiagnostics());
    // The parser recurses once per nesting level, so pathological nesting (hundreds of parentheses,
    // `- - - …` or `2^2^2…`) exhausts the stack. That is the user's text: report it, do not crash.
    if (err instanceof RangeError) {
      diagnostics.push(diag('HW002', 'this is nested too deeply to parse', deepestToken(parserInstance.input, lines), {
        hint: 'split the formula into several `let` definitions',
      }));
    } else {
      const message = err instanceof Error ? err.message : String(err);
      diagnostics.push(diag('HW099', `internal error while parsing: ${message}`, deepestToken([], lines), {
        hint: 'this is a bug in handwire: please report it with this source file',
      }));
    }
    return { diagnostics };
  } finally {
    parserInstance.itemSink = undefined;
    parserInstance.more = undefined;
    // The parser is a singleton: let the tokens go with this call, not with the next parse.
    parserInstance.input = [];
  }
}

/** How much text one step of the lazy lexer reads (it ends at the first line end after this many
 * characters): small enough that the tokens of one step die young, large enough that the lexer's
 * per-call set-up does not count. */
const CHUNK = 4 * 1024;

/** Lexes a text a chunk at a time for the parser (HandwireParser.more). Chunks end right after a
 * `\n`, and no token but skipped white space contains one (comments and strings end at a line end),
 * so the tokens and lexing errors are the same as those of lexing the whole text at once. */
class ChunkLexer {
  private at = 0;
  private readonly errors: { offset: number; length: number }[] = [];
  private readonly malformed: IToken[] = [];

  constructor(private readonly text: string) {}

  /** Appends the next chunk's tokens to `into`; false once the text is used up. */
  next(into: IToken[]): boolean {
    if (this.at >= this.text.length) return false;
    const base = this.at;
    const cut = this.text.indexOf('\n', Math.min(this.text.length, base + CHUNK));
    const end = cut < 0 ? this.text.length : cut + 1;
    this.at = end;
    const lexed = lex(base === 0 && end === this.text.length ? this.text : this.text.slice(base, end), base);
    for (const t of lexed.tokens) into.push(t);
    for (const e of lexed.errors) this.errors.push({ offset: e.offset + base, length: e.length });
    for (const t of lexed.groups.errors ?? []) this.malformed.push(t);
    return true;
  }

  /** Lexes the rest of the text (appending its tokens to `into`). */
  drain(into: IToken[]): void {
    while (this.next(into));
  }

  diagnostics(source: string, lines: LineIndex): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const e of this.errors) {
      const span = lines.span(e.offset, e.offset + Math.max(0, e.length - 1));
      const text = source.slice(e.offset, e.offset + e.length);
      out.push(diag('HW001', `unexpected character${e.length > 1 ? 's' : ''} \`${text}\``, span));
    }
    for (const t of this.malformed) {
      out.push(diag('HW001', `malformed number \`${t.image}\``, lines.tokenSpan(t), {
        hint: 'an exponent needs digits (`1e-6`), a number has one decimal point, and `2 e` (with a space) multiplies by e',
      }));
    }
    return out;
  }
}

/** One formula on its own (a task's `expect` read back from ONNX metadata), parsed by the same
 * grammar as formulas in a model: the expression, or the diagnostics of why it is not one. */
export function parseFormula(text: string): { expr?: Expr; diagnostics: Diagnostic[] } {
  const lexed = lex(text);
  const bad = lexed.errors[0]?.offset ?? (lexed.groups.errors ?? [])[0]?.startOffset;
  if (bad !== undefined) {
    const span: Span = { line: 1, col: bad + 1, endLine: 1, endCol: bad + 1, offset: bad, endOffset: bad };
    return { diagnostics: [diag('HW001', `the formula \`${text}\` has a character or number handwire does not read`, span)] };
  }
  const lines = new LineIndex(text);
  parserInstance.input = lexed.tokens;
  parserInstance.lines = lines;
  try {
    const cst = parserInstance.expr();
    const diagnostics = parserInstance.errors.map((e) => parseError(e, text, lines));
    // `expr` stops at the first token that cannot continue the formula; anything left is an error.
    const consumed = cst.location?.endOffset ?? -1;
    const rest = lexed.tokens.find((t) => t.startOffset > consumed);
    if (rest) diagnostics.push(diag('HW002', `unexpected \`${rest.image}\` after the formula`, lines.tokenSpan(rest)));
    if (diagnostics.length > 0) return { diagnostics };
    const builder = new AstBuilder(lines);
    const expr = builder.expr(cst as ExprCstNode);
    return builder.diagnostics.length > 0 ? { diagnostics: builder.diagnostics } : { expr, diagnostics: [] };
  } catch (err) {
    if (err instanceof RangeError) return { diagnostics: [diag('HW002', 'this is nested too deeply to parse', deepestToken(lexed.tokens, lines))] };
    throw err;
  }
}

/** The lexer keeps start offsets only (tokens.ts); the parser needs each token's end as well, for
 * node locations and for telling `e[0]` (indexing) from `e [0]`. */
function lex(text: string, base = 0): ILexingResult {
  const lexed = handwireLexer.tokenize(text);
  for (const t of lexed.tokens) {
    t.startOffset += base;
    t.endOffset = t.startOffset + t.image.length - 1;
  }
  if (base !== 0) for (const t of lexed.groups.errors ?? []) t.startOffset += base;
  return lexed;
}

/** The span of the first bracket at the greatest bracket depth (the start of the file if none). */
function deepestToken(tokens: IToken[], lines: LineIndex): Span {
  let depth = 0;
  let best: IToken | undefined;
  let bestDepth = 0;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (name === 'LParen' || name === 'LBracket' || name === 'LBrace') {
      depth++;
      if (depth > bestDepth) [best, bestDepth] = [t, depth];
    } else if (name === 'RParen' || name === 'RBracket' || name === 'RBrace') depth--;
  }
  best ??= tokens[0];
  return best ? lines.tokenSpan(best) : lines.span(0);
}

function parseError(e: IRecognitionException, source: string, lines: LineIndex): Diagnostic {
  const t = e.token;
  const atEnd = Number.isNaN(t.startOffset) || t.tokenType?.name === 'EOF';
  const span = atEnd ? lines.span(Math.max(0, source.length - 1)) : lines.tokenSpan(t);
  const found = atEnd ? 'the end of the file' : `\`${t.image}\``;
  // Chevrotain lists every acceptable token sequence; the first line is what people need.
  const expected = expectedFrom(e.message);
  const message = expected ? `expected ${expected} but found ${found}` : `unexpected ${found}`;
  return diag('HW002', message, span);
}

const TOKEN_TEXT: Record<string, string> = {
  LBrace: '`{`', RBrace: '`}`', LParen: '`(`', RParen: '`)`', LBracket: '`[`', RBracket: '`]`',
  Equals: '`=`', Comma: '`,`', Colon: '`:`', Identifier: 'a name', NumberLit: 'a number', StringLit: 'a string',
  DotDot: '`..`', PlusEq: '`+=`', MinusEq: '`-=`', EOF: 'the end of the file',
  Plus: '`+`', Minus: '`-`', Star: '`*`', Slash: '`/`', Percent: '`%`', Caret: '`^`', Question: '`?`',
  Semicolon: '`;`', EqEq: '`==`', NotEq: '`!=`', LessEq: '`<=`', GreaterEq: '`>=`', Less: '`<`', Greater: '`>`',
};

/** Tokens that can start a formula's operand: when all of them are acceptable, "a formula" says it
 * better. (Signs are left out: a run of them is optional before any operand, so Chevrotain lists
 * only the operands as expected.) */
const FORMULA_START = ['NumberLit', 'Identifier', 'LParen', 'LBracket'];

function expectedFrom(message: string): string | undefined {
  const single = /Expecting token of type --> (\w+) <--/.exec(message);
  if (single) return describe(single[1]);
  const names = [...message.matchAll(/\d+\. \[(\w+)/g)].map((m) => m[1]);
  if (FORMULA_START.every((n) => names.includes(n))) return 'a formula';
  const unique = [...new Set(names.map(describe))];
  if (unique.length === 0) return undefined;
  if (unique.length <= 4) return unique.join(' or ');
  return `one of ${unique.slice(0, 4).join(', ')}, …`;
}

function describe(tokenName: string): string {
  if (TOKEN_TEXT[tokenName]) return TOKEN_TEXT[tokenName];
  if (tokenName.startsWith('Kw_')) return `\`${tokenName.slice(3)}\``;
  return tokenName;
}
