// parse() lexes the source a chunk at a time as the parser reads ahead (parse.ts, ChunkLexer), so
// that a large file's tokens are never all alive at once. These sources are many chunks long, and
// every position expected here is computed from the test's own text (indexOf, counted lines), so a
// token split or shifted at a chunk boundary, a lost lexing error or a wrong offset shows up as a
// wrong name, span or diagnostic.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from '../src/syntax/parse.ts';
import { parserInstance } from '../src/syntax/parser.ts';
import { handwireLexer } from '../src/syntax/tokens.ts';
import { LineIndex } from '../src/syntax/spans.ts';
import { AstBuilder } from '../src/syntax/cst-to-ast.ts';
import type { LetDecl, ModelAst } from '../src/syntax/ast.ts';

const DESIGN = readFileSync(new URL('../examples/adder/adder-10p-rope19.hw', import.meta.url), 'utf8');
const ANCHOR = /^ *let K .*\n/m;

/** The design with `count` extra lines after its `let K` line. */
function withLines(count: number, line: (i: number) => string): string {
  const at = ANCHOR.exec(DESIGN)!;
  const cut = at.index + at[0].length;
  return DESIGN.slice(0, cut) + Array.from({ length: count }, (_, i) => line(i)).join('') + DESIGN.slice(cut);
}

/** 1-based line and column of `offset` in `text`, counted here. */
function position(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

// Lines of varying length, so chunk ends fall at every kind of place within a line.
const letLine = (i: number) => `  let L${i} = ${i === 0 ? 'K' : `L${i - 1}`} * 0.5 + ${i % 97}${' '.repeat(i % 7)} # step ${'x'.repeat(i % 13)}\n`;

describe('lazy lexing of a long source', () => {
  const source = withLines(6000, letLine);

  it('is many chunks long', () => {
    expect(source.length).toBeGreaterThan(250_000);
  });

  it('reads every name and span as written', () => {
    const r = parse(source);
    expect(r.diagnostics).toEqual([]);
    const lets = r.ast!.decls.filter((d): d is LetDecl => d.kind === 'let' && /^L\d+$/.test(d.name.name));
    expect(lets.length).toBe(6000);
    lets.forEach((d, i) => {
      expect(d.name.name).toBe(`L${i}`);
      const offset = source.indexOf(`let L${i} =`) + 4;
      const end = offset + `L${i}`.length - 1;
      expect(d.name.span).toEqual({ ...position(source, offset), endLine: position(source, end).line, endCol: position(source, end).col, offset, endOffset: end });
      // The value ends at the literal after `+` (the comment is not part of it).
      const lineEnd = source.indexOf('\n', offset);
      const valueEnd = source.lastIndexOf(`+ ${i % 97}`, lineEnd) + 2 + String(i % 97).length - 1;
      expect(d.span.endOffset).toBe(valueEnd);
    });
  });

  it('reports lexing errors deep in the file at their line and column, before parse errors', () => {
    const bad = withLines(6000, (i) => (i === 2500 ? '  let B1 = 2 $ 3\n' : i === 4700 ? '  let B2 = 1e + 2\n' : letLine(i)));
    const r = parse(bad);
    const dollar = bad.indexOf('$');
    const malformed = bad.indexOf('1e +');
    expect(r.diagnostics.slice(0, 2).map((d) => [d.code, d.span.line, d.span.col])).toEqual([
      ['HW001', position(bad, dollar).line, position(bad, dollar).col],
      ['HW001', position(bad, malformed).line, position(bad, malformed).col],
    ]);
    expect(r.diagnostics[1]!.message).toContain('malformed number `1e`');
  });

  it('finds a lexing error after the end of the model, where the parser stops reading', () => {
    const bad = `${withLines(6000, letLine)}\n${'# padding\n'.repeat(5000)}$\n`;
    const r = parse(bad);
    const dollar = bad.lastIndexOf('$');
    expect(r.diagnostics.map((d) => [d.code, d.span.line, d.span.col])).toContainEqual(['HW001', position(bad, dollar).line, position(bad, dollar).col]);
  });

  it('reports a parse error after the last item at the token it stopped at', () => {
    const bad = withLines(6000, (i) => (i === 5990 ? '  let = 3\n' : letLine(i)));
    const r = parse(bad);
    const at = bad.indexOf('let = 3') + 4;
    expect(r.diagnostics[0]).toMatchObject({ code: 'HW002', span: position(bad, at) });
  });

  it('parses a long source with no line ends at all (one chunk)', () => {
    const oneLine = `model m { ${Array.from({ length: 4000 }, (_, i) => `let a${i} = ${i}`).join(' ')} }`;
    expect(oneLine.length).toBeGreaterThan(40_000);
    const r = parse(oneLine);
    expect(r.diagnostics).toEqual([]);
    expect(r.ast!.decls.map((d) => d.name.name)).toEqual(Array.from({ length: 4000 }, (_, i) => `a${i}`));
  });
});

// The reference: the whole text lexed before parsing, the whole CST built, then converted (how
// parse() worked before it lexed lazily). Mutated long sources must give the same AST and the same
// diagnostics (codes and positions) through parse().
function referenceParse(source: string): { ast?: ModelAst; found: [string, number][] } {
  const lexed = handwireLexer.tokenize(source);
  for (const t of lexed.tokens) t.endOffset = t.startOffset + t.image.length - 1;
  const lines = new LineIndex(source);
  parserInstance.input = lexed.tokens;
  parserInstance.lines = lines;
  try {
    const cst = parserInstance.program();
    const found: [string, number][] = [
      ...lexed.errors.map((e): [string, number] => ['HW001', e.offset]),
      ...(lexed.groups.errors ?? []).map((t): [string, number] => ['HW001', t.startOffset]),
      ...parserInstance.errors.map((e): [string, number] => ['HW002', Number.isNaN(e.token.startOffset) || e.token.tokenType?.name === 'EOF' ? source.length - 1 : e.token.startOffset]),
    ];
    const builder = new AstBuilder(lines);
    const ast = builder.model(cst);
    found.push(...builder.diagnostics.map((d): [string, number] => [d.code, d.span.offset]));
    return { ast, found };
  } finally {
    parserInstance.input = [];
  }
}

describe('lazy lexing against lexing the whole text first', () => {
  // A small linear congruential generator: the same cases on every run.
  let seed = 20261204;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const INSERTS = ['}', '{', '(', ')', '$', 'let', '=', '1e', '[', 'layer', ',', '"', '+'];

  it('gives the same AST and diagnostics for 24 mutated long sources', () => {
    const base = withLines(6000, letLine);
    for (let c = 0; c < 24; c++) {
      let text = base;
      for (let m = 0; m <= c % 3; m++) {
        const at = random(text.length);
        text = c % 2 === 0 ? text.slice(0, at) + INSERTS[random(INSERTS.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + 1 + random(4));
      }
      const want = referenceParse(text);
      const got = parse(text);
      expect(got.diagnostics.map((d): [string, number] => [d.code, d.span.offset])).toEqual(want.found);
      expect(got.ast).toEqual(want.ast);
    }
  });
});
