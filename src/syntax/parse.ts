// Stage 1: source text → AST. Lexing and parsing errors become HW001/HW002 diagnostics; Chevrotain's
// error recovery lets one run report several of them.
import type { IRecognitionException } from 'chevrotain';
import type { ModelAst, Span } from './ast.ts';
import { AstBuilder } from './cst-to-ast.ts';
import { parserInstance } from './parser.ts';
import { handwireLexer } from './tokens.ts';
import { diag, type Diagnostic } from '../diagnostics.ts';

export interface ParseResult {
  ast?: ModelAst;
  diagnostics: Diagnostic[];
}

export function parse(source: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = handwireLexer.tokenize(source);
  for (const e of lexed.errors) {
    const span: Span = {
      line: e.line ?? 1,
      col: e.column ?? 1,
      endLine: e.line ?? 1,
      endCol: (e.column ?? 1) + Math.max(0, e.length - 1),
      offset: e.offset,
      endOffset: e.offset + Math.max(0, e.length - 1),
    };
    const text = source.slice(e.offset, e.offset + e.length);
    diagnostics.push(diag('HW001', `unexpected character${e.length > 1 ? 's' : ''} \`${text}\``, span));
  }
  parserInstance.input = lexed.tokens;
  const cst = parserInstance.program();
  for (const e of parserInstance.errors) diagnostics.push(parseError(e, source));
  const builder = new AstBuilder();
  const ast = builder.model(cst);
  diagnostics.push(...builder.diagnostics);
  return { ast, diagnostics };
}

function parseError(e: IRecognitionException, source: string): Diagnostic {
  const t = e.token;
  const atEnd = Number.isNaN(t.startOffset) || t.tokenType?.name === 'EOF';
  const offset = atEnd ? Math.max(0, source.length - 1) : t.startOffset;
  const line = atEnd ? source.slice(0, offset + 1).split('\n').length : (t.startLine ?? 1);
  const col = atEnd ? offset - source.lastIndexOf('\n', offset - 1) : (t.startColumn ?? 1);
  const span: Span = {
    line,
    col,
    endLine: atEnd ? line : (t.endLine ?? line),
    endCol: atEnd ? col : (t.endColumn ?? col),
    offset,
    endOffset: atEnd ? offset : (t.endOffset ?? offset),
  };
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
};

function expectedFrom(message: string): string | undefined {
  const single = /Expecting token of type --> (\w+) <--/.exec(message);
  if (single) return describe(single[1]);
  const seqs = [...message.matchAll(/\d+\. \[(\w+)/g)].map((m) => describe(m[1]));
  const unique = [...new Set(seqs)];
  if (unique.length === 0) return undefined;
  if (unique.length <= 4) return unique.join(' or ');
  return `one of ${unique.slice(0, 4).join(', ')}, …`;
}

function describe(tokenName: string): string {
  if (TOKEN_TEXT[tokenName]) return TOKEN_TEXT[tokenName];
  if (tokenName.startsWith('Kw_')) return `\`${tokenName.slice(3)}\``;
  return tokenName;
}
