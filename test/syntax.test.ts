// The parser on real examples and on small snippets: no diagnostics on valid files, the AST shapes
// the language reference (docs/language.md) promises (precedence, implicit multiplication, indexing,
// comprehensions, ternaries, functions), and spans that point at the right text. Expected positions
// are computed from each test's own source text, never taken from the parser.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from '../src/syntax/parse.ts';
import { checkSource } from '../src/compile.ts';
import type { Expr, LayerAst, ModelAst, Span } from '../src/syntax/ast.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = join(ROOT, 'examples');
const readExample = (rel: string) => readFileSync(join(EXAMPLES, rel), 'utf8');
const SRC_10P = readExample('adder/adder-10p-rope19.hw');
const SRC_130P = readExample('adder/adder-130p-nanogpt-sinpe11.hw');

/** A formula as a prefix S-expression, so structure can be compared as text. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return String(e.value);
    case 'str':
      return JSON.stringify(e.value);
    case 'name':
      return e.name;
    case 'unary':
      return `(${e.op === '-' ? 'neg' : e.op} ${show(e.operand)})`;
    case 'binary':
      return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case 'cond':
      return `(? ${show(e.test)} ${show(e.then)} ${show(e.else)})`;
    case 'index':
      return `${show(e.target)}[${show(e.index)}${e.end ? `:${show(e.end)}` : ''}]`;
    case 'vector':
      return `[${e.items.map(show).join(', ')}]`;
    case 'comprehension':
      return `[${show(e.body)} for ${e.variable} in ${show(e.from)}..${show(e.to)}]`;
    case 'call':
      return `${e.callee}(${e.args.map((a) => (a.name ? `${a.name}: ` : '') + show(a.value)).join(', ')})`;
  }
}

/** 1-based line and column of the n-th occurrence of `needle` (computed from the text alone). */
function posOf(src: string, needle: string, nth = 0): { line: number; col: number; offset: number } {
  let offset = -1;
  for (let i = 0; i <= nth; i++) {
    offset = src.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`test source lacks ${JSON.stringify(needle)}`);
  }
  const before = src.slice(0, offset);
  return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n'), offset };
}

const textOf = (src: string, span: Span) => src.slice(span.offset, span.endOffset + 1);

function parseClean(src: string): ModelAst {
  const r = parse(src);
  expect(r.diagnostics).toEqual([]);
  expect(r.ast).toBeDefined();
  return r.ast!;
}

function decl(ast: ModelAst, name: string) {
  const d = ast.decls.find((x) => x.name.name === name);
  if (!d) throw new Error(`no declaration ${name}`);
  return d;
}

/** The formula of `param p = <formula>` in an otherwise empty model. */
function formula(text: string): Expr {
  return decl(parseClean(`model m {\n  param p = ${text}\n}\n`), 'p').value;
}

function component(ast: ModelAst, kind: 'attention' | 'mlp') {
  const layer = ast.body[0] as LayerAst;
  const c = layer.components.find((x) => x.kind === kind);
  if (!c) throw new Error(`no ${kind}`);
  return c;
}

describe('parsing the examples', () => {
  const files = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.hw'));

  it('finds the examples', () => {
    expect(files).toContain(join('adder', 'adder-10p-rope19.hw'));
    expect(files).toContain(join('adder', 'adder-130p-nanogpt-sinpe11.hw'));
  });

  it.each(files)('%s parses with no diagnostics', (f) => {
    parseClean(readExample(f));
  });

  it('the 10p: every item lands where it belongs', () => {
    const ast = parseClean(SRC_10P);
    expect(ast.name.name).toBe('adder_10p_rope19');
    expect(ast.vocab?.size).toBe(10);
    expect(ast.dtype?.name).toBe('float32');
    expect(ast.residual?.channels.map((c) => c.name.name)).toEqual(['big', 'digit']);
    expect(ast.decls.map((d) => `${d.kind} ${d.name.name}`)).toEqual([
      'let omega', 'let phi', 'let A', 'let Q', 'let K',
      'param emb', 'param wq', 'param wv', 'param G', 'param C', 'param n',
    ]);
    expect(ast.embed?.indexVar?.name).toBe('d');
    expect(ast.body).toHaveLength(1);
    expect((ast.body[0] as LayerAst).components.map((c) => c.kind)).toEqual(['attention', 'mlp']);
    expect(ast.head?.tied?.name).toBe('E');
    expect(ast.task?.inputs[0].names.map((n) => n.name)).toEqual(['a', 'b']);
    expect(ast.task?.inputs[0].digits).toBe(10);
    expect(ast.task?.prompt?.items.map((i) => (i.kind === 'token' ? `${i.token}*${i.repeat}` : i.kind === 'operand' ? `${i.operand.name} ${i.order.name}` : i.operand.name))).toEqual([
      '0*1', 'a lsb', '0*9', 'b lsb', '0*1',
    ]);
  });

  it("the 10p's `param G` is a vector of two binary expressions", () => {
    const g = decl(parseClean(SRC_10P), 'G').value;
    expect(g.kind).toBe('vector');
    if (g.kind !== 'vector') return;
    expect(g.items.map((i) => i.kind)).toEqual(['binary', 'binary']);
    // (256 / sqrt(2)) (-94) / sqrt(2): juxtaposition binds like `*`, left to right with `/`.
    expect(show(g.items[0])).toBe('(/ (* (/ 256 sqrt(2)) (neg 94)) sqrt(2))');
    expect(show(g.items[1])).toBe('(/ (* (/ 256 sqrt(2)) K) sqrt(2))');
    const product = g.items[0].kind === 'binary' ? g.items[0].left : undefined;
    expect(product?.kind === 'binary' && product.implicit).toBe(true);
  });

  it('the 130p: matrices, comprehensions, slices, a ternary function', () => {
    const ast = parseClean(SRC_130P);
    const wteA = decl(ast, 'wte_A').value;
    expect(wteA.kind).toBe('comprehension');
    expect(show(wteA)).toBe('[[d] for d in 0..9]');
    expect(show(decl(ast, 'head_b').value)).toBe('[(neg (^ d 2)) for d in 0..9]');
    const r = decl(ast, 'R');
    expect(r.kind).toBe('let');
    expect(r.kind === 'let' && r.params?.map((p) => p.name)).toEqual(['p']);
    expect(show(r.value)).toBe('(? (<= p 21) 100 1)');
    const q = component(ast, 'attention').settings.find((s) => s.name.name === 'q');
    expect(q?.assigned).toBe(true);
    expect(show(q!.value!)).toBe('(* c_attn[0:4] x)');
    expect(show(ast.embed!.value)).toBe('(* wte_A wte_B)');
    expect(show(ast.head!.value!)).toBe('(+ head_u((* head_v x)) head_b)');
    const cAttn = decl(ast, 'c_attn').value;
    expect(cAttn.kind === 'vector' && cAttn.items.length).toBe(12);
  });
});

describe('formulas', () => {
  it('implicit multiplication: `2 pi / 19` is (2*pi)/19', () => {
    const e = formula('2 pi / 19');
    expect(show(e)).toBe('(/ (* 2 pi) 19)');
    expect(e.kind === 'binary' && e.left.kind === 'binary' && e.left.implicit).toBe(true);
  });

  it('`-x^2` is -(x^2), and powers are right associative', () => {
    expect(show(formula('-x^2'))).toBe('(neg (^ x 2))');
    expect(show(formula('2^3^2'))).toBe('(^ 2 (^ 3 2))');
    expect(show(formula('2^-0.5 Q^2'))).toBe('(* (^ 2 (neg 0.5)) (^ Q 2))');
    // The signs after a `^` apply to the rest of the chain: a^(-(b^c)).
    expect(show(formula('a^-b^c'))).toBe('(^ a (neg (^ b c)))');
    expect(show(formula('a^b^-+c^d'))).toBe('(^ a (^ b (neg (+ (^ c d)))))');
    expect(show(formula('- + -x'))).toBe('(neg (+ (neg x)))');
    expect(show(formula('not not a'))).toBe('(not (not a))');
  });

  it('each prefix operator and each power spans from its own first token to the end', () => {
    const text = '- -x^2^y';
    const src = `model m {\n  param p = ${text}\n}\n`;
    const outer = decl(parseClean(src), 'p').value;
    expect(textOf(src, outer.span)).toBe('- -x^2^y');
    const inner = outer.kind === 'unary' ? outer.operand : outer;
    expect(textOf(src, inner.span)).toBe('-x^2^y');
    const pow = inner.kind === 'unary' ? inner.operand : inner;
    expect(textOf(src, pow.span)).toBe('x^2^y');
    expect(pow.kind === 'binary' && textOf(src, pow.right.span)).toBe('2^y');
  });

  it('prefix and power chains thousands long parse without exhausting the stack', () => {
    // Loops in the grammar, not recursion: the limit on such chains is the checker's (evaluation).
    for (const text of ['-'.repeat(20000) + '1', '1' + '^1'.repeat(20000), 'not '.repeat(20000) + 'a', '2' + '^-1'.repeat(20000)]) {
      const r = parse(`model m {\n  param p = ${text}\n}\n`);
      expect(r.diagnostics).toEqual([]);
      expect(r.ast).toBeDefined();
    }
  });

  it('precedence and associativity of the binary operators', () => {
    expect(show(formula('a + b * c'))).toBe('(+ a (* b c))');
    expect(show(formula('a - b - c'))).toBe('(- (- a b) c)');
    expect(show(formula('a / b c'))).toBe('(* (/ a b) c)');
    expect(show(formula('a mod b + c % d'))).toBe('(+ (% a b) (% c d))');
    expect(show(formula('a < b + 1'))).toBe('(< a (+ b 1))');
    expect(show(formula('not a and b or c'))).toBe('(or (and (not a) b) c)');
    expect(show(formula('a ? b : c ? d : e'))).toBe('(? a b (? c d e))');
  });

  it('implicit multiplication does not cross a newline', () => {
    // Inside a vector, an item on the next line without a comma is an error, not a product.
    const r = parse('model m {\n  param p = [1\n    2]\n}\n');
    expect(r.diagnostics.map((d) => d.code)).toContain('HW002');
    const two = posOf('model m {\n  param p = [1\n    2]\n}\n', '2]');
    expect(r.diagnostics.some((d) => d.span.line === two.line && d.span.col === two.col)).toBe(true);
    // In a block, a value-taking setting stops at the end of its line: `causal` is its own setting.
    const attention = component(parseClean(SRC_10P), 'attention');
    const names = attention.settings.map((s) => s.name.name);
    expect(names.slice(names.indexOf('scale'), names.indexOf('scale') + 2)).toEqual(['scale', 'causal']);
    expect(show(attention.settings.find((s) => s.name.name === 'scale')!.value!)).toBe('(* (^ 2 (neg 0.5)) (^ Q 2))');
    expect(attention.settings.find((s) => s.name.name === 'causal')!.value).toBeUndefined();
    // Every setting on its own line stays its own setting.
    expect(names).toEqual(['heads', 'dim', 'pre', 'q', 'k', 'v', 'qk_norm', 'rope', 'scale', 'causal']);
    const block = parseClean('model m {\n  layer {\n    attention {\n      scale 2\n      softmax1\n      dim 2\n    }\n  }\n}\n');
    expect(component(block, 'attention').settings.map((s) => `${s.name.name}=${s.value ? show(s.value) : '-'}`)).toEqual(['scale=2', 'softmax1=-', 'dim=2']);
  });

  it('a name followed by a parenthesis on the same line parses as a call', () => {
    expect(show(formula('C (h[1] - h[0])'))).toBe('C((- h[1] h[0]))');
    expect(show(formula('(a) (b)'))).toBe('(* a b)');
  });

  it('`C (x)` multiplies when C is a value, calls when C is a function', () => {
    const src = [
      'model m {',
      '  vocab 10',
      '  residual [r]',
      '  let C = 3',
      '  let f(x) = x + 1',
      '  param p = C (2 - 0.5)',
      '  param q = f (2)',
      '  param s = sqrt (16) + pi (2)',
      '  embed E[d] = [d p q s]',
      '  head tied E',
      '}',
    ].join('\n');
    const r = checkSource(src);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const value = (name: string) => r.model!.values.find((v) => v.name === name)?.values;
    expect(value('p')).toEqual([4.5]);
    expect(value('q')).toEqual([3]);
    expect(value('s')![0]).toBeCloseTo(4 + 2 * Math.PI, 12);
  });

  it('indexing binds only without a space; with one, it multiplies by a vector', () => {
    expect(show(formula('v[0]'))).toBe('v[0]');
    expect(show(formula('M[0:4]'))).toBe('M[0:4]');
    expect(show(formula('M[1][0]'))).toBe('M[1][0]');
    expect(show(formula('R(a) [x, y]'))).toBe('(* R(a) [x, y])');
  });

  it('comprehensions, vectors and matrices', () => {
    expect(show(formula('[d for d in 0..9]'))).toBe('[d for d in 0..9]');
    expect(show(formula('[[i, j] for i in 0..n - 1]'))).toBe('[[i, j] for i in 0..(- n 1)]');
    expect(show(formula('[[1, 0], [0, 1]]'))).toBe('[[1, 0], [0, 1]]');
    expect(show(formula('[]'))).toBe('[]');
  });

  it('one trailing comma is allowed in a vector, an empty item is not', () => {
    expect(show(formula('[1, 2,]'))).toBe('[1, 2]');
    expect(show(formula('[\n    1,\n    2,\n  ]'))).toBe('[1, 2]');
    const src = 'model m {\n  param p = [1, , 2]\n}\n';
    const r = parse(src);
    const second = posOf(src, ', 2');
    expect(r.diagnostics[0]).toMatchObject({ code: 'HW002', span: { line: second.line, col: second.col } });
  });

  it('`let f(p) = …` defines a function with parameters', () => {
    const ast = parseClean('model m {\n  let f(p, i) = p i\n  let g() = 1\n  let h = (p)\n}\n');
    const f = decl(ast, 'f');
    expect(f.kind === 'let' && f.params?.map((p) => p.name)).toEqual(['p', 'i']);
    expect(show(f.value)).toBe('(* p i)');
    const g = decl(ast, 'g');
    expect(g.kind === 'let' && g.params).toEqual([]);
    const h = decl(ast, 'h');
    expect(h.kind === 'let' && h.params).toBeUndefined();
  });

  it('numbers: decimals, leading dots and exponents', () => {
    expect(show(formula('[1.5, .25, 1e-6, 2.5E+3, 7]'))).toBe('[1.5, 0.25, 0.000001, 2500, 7]');
    // `0..9` is a range, not the number 0. followed by .9
    expect(show(formula('[d for d in 0..9]'))).toBe('[d for d in 0..9]');
  });
});

describe('spans', () => {
  it('are 1-based lines and columns that point at the declared name and the formula', () => {
    const ast = parseClean(SRC_10P);
    const model = posOf(SRC_10P, 'model adder_10p_rope19');
    expect(ast.span).toMatchObject({ line: model.line, col: 1, offset: model.offset });
    const g = decl(ast, 'G');
    const gAt = posOf(SRC_10P, 'param G');
    expect(g.name.span).toMatchObject({ line: gAt.line, col: gAt.col + 'param '.length, endLine: gAt.line, endCol: gAt.col + 'param '.length });
    expect(textOf(SRC_10P, g.name.span)).toBe('G');
    expect(textOf(SRC_10P, g.value.span)).toBe('[(256 / sqrt(2)) (-94) / sqrt(2), (256 / sqrt(2)) K / sqrt(2)]');
    expect(textOf(SRC_10P, g.span)).toBe('param G   = [(256 / sqrt(2)) (-94) / sqrt(2), (256 / sqrt(2)) K / sqrt(2)]');
    const omega = decl(ast, 'omega').value;
    const omegaAt = posOf(SRC_10P, '2 pi / 19');
    expect(omega.span).toMatchObject({ line: omegaAt.line, col: omegaAt.col, endCol: omegaAt.col + '2 pi / 19'.length - 1 });
  });

  it('cover each sub-formula exactly', () => {
    const ast = parseClean(SRC_10P);
    const g = decl(ast, 'G').value;
    if (g.kind !== 'vector' || g.items[0].kind !== 'binary') throw new Error('unexpected shape');
    expect(textOf(SRC_10P, g.items[0].span)).toBe('(256 / sqrt(2)) (-94) / sqrt(2)');
    expect(textOf(SRC_10P, g.items[0].right.span)).toBe('sqrt(2)');
    const call = g.items[0].right;
    expect(call.kind === 'call' && textOf(SRC_10P, call.calleeSpan)).toBe('sqrt');
    const write = component(ast, 'mlp').writes[0];
    expect(textOf(SRC_10P, write.span)).toBe('write digit += C (h[1] - h[0])');
    expect(textOf(SRC_10P, write.targets[0].span)).toBe('digit');
    expect(textOf(SRC_10P, write.value.span)).toBe('C (h[1] - h[0])');
  });

  it('of settings, channels and task items', () => {
    const ast = parseClean(SRC_10P);
    const scale = component(ast, 'attention').settings.find((s) => s.name.name === 'scale')!;
    const at = posOf(SRC_10P, 'scale 2^-0.5 Q^2');
    expect(scale.name.span).toMatchObject({ line: at.line, col: at.col });
    expect(textOf(SRC_10P, scale.span)).toBe('scale 2^-0.5 Q^2');
    const digit = ast.residual!.channels[1];
    expect(textOf(SRC_10P, digit.span)).toBe('digit');
    expect(digit.span.line).toBe(posOf(SRC_10P, 'residual [big, digit]').line);
    const prompt = ast.task!.prompt!;
    expect(textOf(SRC_10P, prompt.items[2].span)).toBe('0 * 9');
  });

  it('of a multi-line formula end on its last line', () => {
    const ast = parseClean(SRC_130P);
    const cAttn = decl(ast, 'c_attn');
    const start = posOf(SRC_130P, '[\n    [0, -G cos(8 theta)');
    const end = posOf(SRC_130P, ']\n  param c_proj');
    expect(cAttn.value.span).toMatchObject({ line: start.line, col: start.col, endLine: end.line, endCol: end.col });
  });
});
