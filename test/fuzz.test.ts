// Property tests over random and mutated .hw sources (fast-check). Whatever text it is given,
// checkSource must answer with diagnostics, never an exception or an internal error (HW099), and
// every diagnostic must point at real text: a span inside the source whose line and column agree
// with its offset. Sizes and loop counts beyond the limits must be refused before anything is
// built (HW016 for a written number out of range, HW029 for a size computed from several, HW030 for
// a formula value), so a huge number in a source cannot hang or exhaust the checker.
//
// The sources are mutations of real ones: every example model and every ```hw block of the language
// reference, tokenized by the compiler's own lexer, with tokens inserted, deleted, swapped, replaced
// or duplicated from a pool of every token those files use plus special numbers (0, -0, denormals,
// 1e308, overflow to infinity, NaN-producing formulas, huge and negative integers).
//
// Runs: FUZZ_RUNS (default 10000) cases for the mutation property, a tenth of that for the limit
// property; seed FUZZ_SEED (default below) so a CI failure reproduces. fast-check prints the seed,
// the shrink path and the smallest failing source when a property fails. scripts/fuzz.sh runs more.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../src/compile.ts';
import type { Diagnostic } from '../src/diagnostics.ts';
import type { Span } from '../src/syntax/ast.ts';
import { handwireLexer } from '../src/syntax/tokens.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);

// ---- the corpus: examples and documentation blocks, as tokens with the text between them ----

/** A token and the exact text (whitespace, comments) before it, so rendering keeps the layout:
 * line breaks matter to the grammar (implicit products and bare settings stop at a line end). */
interface Piece {
  gap: string;
  text: string;
}

interface Original {
  name: string;
  pieces: Piece[];
  tail: string;
}

function hwFiles(dir: string): { name: string; source: string }[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.hw'))
    .sort()
    .map((f) => ({ name: `${dir}/${f}`, source: readFileSync(join(ROOT, dir, f), 'utf8') }));
}

function docBlocks(path: string): { name: string; source: string }[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return [...text.matchAll(/```hw\n([\s\S]*?)```/g)].map((m) => ({
    name: `${path}:${text.slice(0, m.index).split('\n').length}`,
    source: m[1],
  }));
}

function toOriginal({ name, source }: { name: string; source: string }): Original {
  const lexed = handwireLexer.tokenize(source);
  if (lexed.errors.length > 0) throw new Error(`${name} does not lex cleanly`);
  const pieces: Piece[] = [];
  let end = 0;
  for (const t of lexed.tokens) {
    pieces.push({ gap: source.slice(end, t.startOffset), text: t.image });
    end = t.startOffset + t.image.length;
  }
  return { name, pieces, tail: source.slice(end) };
}

// The any-length adder (a token-string task, context 304) is left out: each check of it takes
// ~0.3 s, which a 10,000-case property cannot afford; its tokens are all in the other sources.
const EXAMPLES = [...hwFiles('examples/adder'), ...hwFiles('examples/tasks')].filter((f) => !/^\s*input [^\n]*\] length /m.test(f.source)).map(toOriginal);
const DOC_BLOCKS = docBlocks('docs/language.md').map(toOriginal);

/** Numbers chosen to break arithmetic and size checks. Written as source text: a literal cannot be
 * NaN or negative, so those come as formulas (`inf - inf`) or with a minus sign. */
const SPECIAL_NUMBERS = [
  '0', '-0', '00', '0.0', '.5', '1', '-1', '-5', '0.5', '1.5', '2', '3', '4', '9', '10', '11', '16',
  '1e308', '-1e308', '1.7976931348623157e308', '1e309', '1e-320', '5e-324', '1e-400', '1e-6',
  '4096', '4097', '8192', '8193', '10000', '10001', '100000', '100001', '1000000', '1000001', '3163',
  '9007199254740992', '9007199254740993', '123456789012345678901234567890', '1e15', '1e16', '2^53',
  'inf', '-inf', '(inf - inf)', '(0 inf)', 'NaN', '0/0', '1/0', '1e', '1.2.3', '1e+',
];

/** Tokens the examples never use but the language has, and text the lexer must reject. */
const EXTRA_TOKENS = [
  'mod', 'not', 'and', 'or', '?', ':', '..', '!=', '==', '<=', '>=', '<', '>', '%', '^', ';', '-=',
  'repeat', 'context', 'position', 'final', 'tied', 'none', 'rms', 'layernorm', 'softmax1', 'bias',
  'kv_heads', 'value_dim', 'width', 'gate', 'up', 'in', 'for', 'zeros', 'ones', 'eye', 'diag',
  'outer', 'concat', 'len', 'sum', 'dot', 'transpose', 'atan2', 'log', 'all', 'h', 'out', 'x',
  '""', '"\\""', '"SEP"', '"', '@', '$', '`', '\\', '#', '€', 'é', '😀', '\u00a0', '\0',
];

const POOL = [...new Set([...EXAMPLES, ...DOC_BLOCKS].flatMap((s) => s.pieces.map((p) => p.text)))]
  .concat(EXTRA_TOKENS, SPECIAL_NUMBERS);

/** Number text: special values, raw doubles (NaN, ±Infinity, -0, denormals come out as names or
 * odd literals), huge and negative integers. */
const numberText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
  { weight: 2, arbitrary: fc.double().map((x) => (Object.is(x, -0) ? '-0' : String(x))) },
  { weight: 2, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -20, max: 20 }).map(String) },
);

// ---- mutations: positions are raw naturals, reduced modulo the length when applied ----

type Mutation =
  | { op: 'insert'; at: number; text: string; gap: string }
  | { op: 'delete'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'replace'; at: number; text: string }
  | { op: 'number'; at: number; text: string }
  | { op: 'duplicate'; at: number; length: number; to: number }
  | { op: 'cut'; at: number; length: number }
  | { op: 'char'; at: number; char: string };

const position = fc.nat();
const gap = fc.constantFrom(' ', '', '\n', '  ', '\t', '\r\n', '\r');
const poolToken = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...POOL) }, { weight: 1, arbitrary: numberText });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: position, text: poolToken, gap }),
  fc.record({ op: fc.constant('delete' as const), at: position }),
  // Half the swaps are of neighbours, the commonest slip.
  fc.record({ op: fc.constant('swap' as const), at: position, with: fc.oneof(fc.constant(-1), position) }),
  fc.record({ op: fc.constant('replace' as const), at: position, text: poolToken }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('number' as const), at: position, text: numberText }) },
  fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 30 }), to: position }),
  fc.record({ op: fc.constant('cut' as const), at: position, length: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ op: fc.constant('char' as const), at: position, char: fc.oneof(fc.constantFrom(...EXTRA_TOKENS.slice(-12), '\r', '\t', '\n', '{', '}', '[', ']', '(', ')'), fc.string({ minLength: 1, maxLength: 2, unit: 'binary' })) }),
);

const isNumber = (text: string) => /^[\d.]/.test(text);

function applyMutation(pieces: Piece[], m: Mutation): Piece[] {
  const out = pieces.slice();
  const n = out.length;
  const at = n === 0 ? 0 : m.at % n;
  switch (m.op) {
    case 'insert':
      out.splice(m.at % (n + 1), 0, { gap: m.gap, text: m.text });
      return out;
    case 'delete':
      // The gap stays, so deleting a token never joins two lines.
      if (n > 0) out[at] = { gap: out[at].gap, text: '' };
      return out;
    case 'swap': {
      if (n < 2) return out;
      const other = m.with < 0 ? (at + 1) % n : m.with % n;
      [out[at], out[other]] = [{ gap: out[at].gap, text: out[other].text }, { gap: out[other].gap, text: out[at].text }];
      return out;
    }
    case 'replace':
      if (n > 0) out[at] = { gap: out[at].gap, text: m.text };
      return out;
    case 'number': {
      const numbers = out.flatMap((p, i) => (isNumber(p.text) ? [i] : []));
      if (numbers.length === 0) return out;
      const i = numbers[m.at % numbers.length];
      out[i] = { gap: out[i].gap, text: m.text };
      return out;
    }
    case 'duplicate':
      out.splice(m.to % (n + 1), 0, ...out.slice(at, at + m.length));
      return out;
    case 'cut':
      out.splice(at, m.length);
      return out;
    case 'char':
      if (n > 0) out[at] = { gap: out[at].gap + m.char, text: out[at].text };
      else out.push({ gap: m.char, text: '' });
      return out;
  }
}

function render(pieces: Piece[], tail: string): string {
  return pieces.map((p) => p.gap + p.text).join('') + tail;
}

interface Case {
  base: string;
  source: string;
}

function mutated(originals: Original[], ops: fc.Arbitrary<Mutation>, maxMutations: number): fc.Arbitrary<Case> {
  return fc.record({ original: fc.constantFrom(...originals), mutations: fc.array(ops, { minLength: 1, maxLength: maxMutations }) })
    .map(({ original, mutations }) => ({ base: original.name, source: render(mutations.reduce(applyMutation, original.pieces), original.tail) }));
}

/** Only numbers changed: the structure still parses, so the checker sees every special value. */
const numbersOnly = fc.record({ op: fc.constant('number' as const), at: position, text: numberText });

/** Free token soup and raw text, for the lexer's and the parser's error paths. */
const soup: fc.Arbitrary<Case> = fc.array(fc.tuple(gap, poolToken), { maxLength: 60 })
  .map((ts) => ({ base: 'token soup', source: ts.map(([g, t]) => g + t).join('') }));
const rawText: fc.Arbitrary<Case> = fc.string({ maxLength: 200, unit: 'binary' }).map((source) => ({ base: 'raw text', source }));
/** A few characters from those that end lines, tokens and files: the edge cases of positions. */
const tinyText: fc.Arbitrary<Case> = fc.string({ maxLength: 4, unit: fc.constantFrom('\n', '\r', ' ', '\t', '#', '"', 'm', '{', '}', '0', '.', 'e', '😀') })
  .map((source) => ({ base: 'tiny text', source }));

/** Whole examples cost 5–50 ms each to check (the 33p evaluates a score table ~3,000 times), doc
 * blocks under 2 ms, so doc blocks carry most of the weight and every example stays in the pool. */
const anySource: fc.Arbitrary<Case> = fc.oneof(
  { weight: 8, arbitrary: mutated(DOC_BLOCKS, mutation, 4) },
  { weight: 4, arbitrary: mutated(DOC_BLOCKS, numbersOnly, 3) },
  { weight: 2, arbitrary: mutated(EXAMPLES, mutation, 4) },
  { weight: 1, arbitrary: mutated(EXAMPLES, numbersOnly, 2) },
  { weight: 2, arbitrary: soup },
  { weight: 1, arbitrary: rawText },
  { weight: 1, arbitrary: tinyText },
);

// ---- the invariants ----

/** Where each line starts. Only \n ends a line (as in the CLI's excerpts, which split on \r?\n): a
 * \r is an ordinary character of the line it is on. */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line and column of an offset. */
function locate(starts: number[], offset: number): { line: number; col: number } {
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
  return { line: line + 1, col: offset - starts[line] + 1 };
}

/** What is wrong with a span, if anything. Offsets are inclusive: endOffset is the last character
 * (or 0 for an empty source). */
function spanProblem(span: Span, source: string, starts: number[]): string | undefined {
  const fields = [span.line, span.col, span.endLine, span.endCol, span.offset, span.endOffset];
  if (!fields.every(Number.isInteger)) return `non-integer field in ${JSON.stringify(span)}`;
  if (span.line < 1 || span.line > starts.length) return `line ${span.line} outside 1..${starts.length}`;
  if (span.col < 1) return `column ${span.col}`;
  if (!(span.offset >= 0 && span.offset <= span.endOffset && span.endOffset < source.length + 1)) {
    return `offsets ${span.offset}..${span.endOffset} in a source of ${source.length}`;
  }
  const start = locate(starts, span.offset);
  if (start.line !== span.line || start.col !== span.col) {
    return `offset ${span.offset} is ${start.line}:${start.col}, span says ${span.line}:${span.col}`;
  }
  const end = locate(starts, span.endOffset);
  if (end.line !== span.endLine || end.col !== span.endCol) {
    return `end offset ${span.endOffset} is ${end.line}:${end.col}, span says ${span.endLine}:${span.endCol}`;
  }
  return undefined;
}

function problems(source: string, diagnostics: Diagnostic[]): string[] {
  const starts = lineStarts(source);
  const out: string[] = [];
  for (const d of diagnostics) {
    if (d.code === 'HW099') out.push(`internal error: ${d.message}`);
    for (const s of [d.span, ...(d.related ?? []).map((r) => r.span)]) {
      const p = spanProblem(s, source, starts);
      if (p) out.push(`${d.code} "${d.message}": ${p}`);
    }
  }
  return out;
}

/** checkSource's answer plus every broken invariant; an exception is one of them. */
function check(source: string): { diagnostics: Diagnostic[]; problems: string[] } {
  let diagnostics: Diagnostic[];
  try {
    diagnostics = checkSource(source).diagnostics;
  } catch (err) {
    return { diagnostics: [], problems: [`threw ${err instanceof Error ? err.stack : String(err)}`] };
  }
  return { diagnostics, problems: problems(source, diagnostics) };
}

describe('fuzzing checkSource', () => {
  it('has a corpus of every example and doc block', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(9);
    expect(DOC_BLOCKS.length).toBeGreaterThanOrEqual(5);
    // Unmutated, the corpus itself checks cleanly: the mutations start from valid models.
    for (const s of [...EXAMPLES, ...DOC_BLOCKS]) {
      const { diagnostics, problems } = check(render(s.pieces, s.tail));
      expect(problems, s.name).toEqual([]);
      expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), s.name).toEqual([]);
    }
  });

  it('the span checker rejects spans that disagree with the text', () => {
    const src = 'ab\ncd\r\nef\rgh';
    const starts = lineStarts(src);
    const at = (offset: number, line: number, col: number): Span => ({ line, col, endLine: line, endCol: col, offset, endOffset: offset });
    expect(spanProblem(at(3, 2, 1), src, starts)).toBeUndefined();
    expect(spanProblem(at(7, 3, 1), src, starts)).toBeUndefined();
    expect(spanProblem(at(10, 3, 4), src, starts)).toBeUndefined(); // a lone \r does not end a line
    expect(spanProblem(at(10, 3, 1), src, starts)).toMatch(/offset 10 is 3:4/);
    expect(spanProblem(at(3, 1, 4), src, starts)).toMatch(/offset 3 is 2:1/);
    expect(spanProblem(at(12, 3, 6), src, starts)).toBeUndefined(); // just past the end: an empty span there
    expect(spanProblem(at(13, 3, 7), src, starts)).toMatch(/offsets/);
    expect(spanProblem(at(0, 4, 1), src, starts)).toMatch(/line 4/);
    expect(spanProblem({ ...at(1, 1, 2), endOffset: 0 }, src, starts)).toMatch(/offsets/);
  });

  // Counterexamples the fuzzer found, kept as fixed cases (see docs/fuzzing.md).
  it.each([
    ['\n', 'an end-of-file error at offset 0, on a newline'],
    ['\r\u0000', 'an end-of-file error after a lone CR'],
    [' #\r0\r\nmodel model', 'a CR inside a comment, then an error on the next line'],
    ['model m {\n  about { name "a\rb" }\n  vocab x\n}', 'a CR inside a string'],
    ['model m {\n  task t {\n    prompt [a lsb, b *\n    answer lsb\n  }\n}', 'a prompt item left with `*` and no count by error recovery'],
  ])('%j (%s) has valid spans', (source) => {
    const { diagnostics, problems } = check(source);
    expect(problems).toEqual([]);
    expect(diagnostics.length).toBeGreaterThan(0);
  });

  it(`never throws, never reports an internal error, and every span is valid (${RUNS} cases, seed ${SEED})`, () => {
    fc.assert(
      fc.property(anySource, ({ source }) => {
        expect(check(source).problems).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // 10,000 checks take about a minute alone and three on a loaded 2-core CI machine, past the
    // default two-minute limit; the limit is there to stop a hang, not to time the checker.
  }, 900_000);
});

// ---- sizes beyond the limits ----

/** Each size or count in the sized model: a value that checks cleanly, and the least it refuses. */
const SITES = {
  vocab: { normal: '10', least: 100_001 },
  group: { normal: '2', least: 4097 },
  context: { normal: '8', least: 8193 },
  heads: { normal: '1', least: 4097 },
  dim: { normal: '2', least: 4097 },
  kvHeads: { normal: '1', least: 4097 },
  valueDim: { normal: '2', least: 4097 },
  width: { normal: '1', least: 4097 },
  repeat: { normal: '3', least: 1001 },
  digits: { normal: '3', least: 16 },
  promptRepeat: { normal: '3', least: 10_001 },
  promptLength: { normal: '3', least: 5001 },
  decode: { normal: '3', least: 10_001 },
  range: { normal: '3', least: 1_000_001 },
  negativeRange: { normal: '3', least: 1_000_001 },
  nestedRange: { normal: '3', least: 3163 },
  zeros: { normal: '3', least: 3163 },
  eye: { normal: '3', least: 3163 },
} as const;
type Site = keyof typeof SITES;
const SITE_NAMES = Object.keys(SITES) as Site[];

/** The code that refuses `value` at `site`: HW016 for a written size, HW030 for a formula value
 * too large to build; two prompt repeats that are each within 1..10000 but together make a prompt
 * over 10000 tokens are a computed size (HW029), and a repeat over 10000 is itself out of range. */
function refusingCode(site: Site, value: string): string {
  if (['range', 'negativeRange', 'nestedRange', 'zeros', 'eye'].includes(site)) return 'HW030';
  if (site === 'promptLength') return Number(value) <= 10_000 ? 'HW029' : 'HW016';
  return 'HW016';
}

/** A small valid model with the size at `site` written as `value`, and the offset where the value
 * first appears (the refusal must point at text that covers it). */
function sizedModel(site: Site, value: string): { source: string; valueAt: number } {
  const MARK = '\u0001';
  const v = (s: Site) => (s === site ? MARK : SITES[s].normal);
  const range = site === 'range' ? `[i for i in 0..${MARK}]` : site === 'negativeRange' ? `[i for i in -${MARK}..0]` : '[1, 2]';
  const nested = site === 'nestedRange' ? `[[0 for i in 0..${MARK}] for j in 0..${MARK}]` : '0';
  const builtin = site === 'zeros' ? `zeros(${MARK}, ${MARK})` : site === 'eye' ? `eye(${MARK})` : '0';
  const marked = `model sized {
  vocab ${v('vocab')}
  residual [tok, grp[${v('group')}]]
  ${site === 'context' ? `context ${MARK}` : ''}
  let r = ${range}
  let n = ${nested}
  let z = ${builtin}
  embed E[d] = ${site === 'group' ? `concat([d], zeros(${MARK}))` : '[d, 0, 0]'}
  layer {
    attention {
      heads ${v('heads')}, dim ${v('dim')}, kv_heads ${v('kvHeads')}, value_dim ${v('valueDim')}
      q = [tok, 0]
      k = [tok, 0]
      v = [tok, 0]
      causal
      write tok += out[0]
    }
  }
  repeat ${v('repeat')} {
    layer { mlp { act relu, width ${v('width')}, in = [tok], write tok += h[0] } }
  }
  head = [tok for d in 0..9]
  task copy {
    input a: ${v('digits')} digits
    prompt [0 * ${v('promptRepeat')}, a lsb${site === 'promptLength' ? `, 0 * ${MARK}, 0 * ${MARK}` : ''}]
    decode ${v('decode')}
    answer lsb
    expect a
  }
}
`;
  return { source: marked.replaceAll(MARK, value), valueAt: marked.indexOf(MARK) };
}

/** Whole numbers from just over the limit up to 1e308, written as a user would or as JS prints them. */
function tooLarge(least: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: least, max: least * 4 }).map(String),
    fc.integer({ min: least, max: 2 ** 31 }).map(String),
    fc.bigInt({ min: BigInt(least), max: 10n ** 30n }).map(String),
    fc.double({ min: 2 ** 53, max: 1e308, noNaN: true }).map(String),
    fc.constantFrom('1e308', '1e15', '9007199254740993', '123456789012345678901234567890'),
  );
}

const covers = (s: Span, offset: number) => s.offset <= offset && offset <= s.endOffset;

describe('sizes beyond the limits', () => {
  it.each(SITE_NAMES)('the sized model checks cleanly with a normal %s', (site) => {
    const { source } = sizedModel(site, SITES[site].normal);
    const { diagnostics, problems } = check(source);
    expect(problems).toEqual([]);
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  });

  const sizeCase = fc.constantFrom(...SITE_NAMES)
    .chain((site) => tooLarge(SITES[site].least).map((value) => ({ site, value, ...sizedModel(site, value) })));

  it(`are refused with their code at the size (${Math.ceil(RUNS / 10)} cases, seed ${SEED})`, () => {
    fc.assert(
      fc.property(sizeCase, ({ site, value, source, valueAt }) => {
        const { diagnostics, problems } = check(source);
        expect(problems).toEqual([]);
        const code = refusingCode(site, value);
        expect(diagnostics.filter((d) => d.code === code && covers(d.span, valueAt)).length, `${code} at ${site} = ${value}`).toBeGreaterThan(0);
      }),
      { numRuns: Math.ceil(RUNS / 10), seed: SEED },
    );
  });

  // Sizes each within its own limit whose product is a table too large to build (each of these
  // once exhausted memory, failed with an internal error or ran for minutes). `at` is text the
  // refusal must point at.
  const products: { what: string; at: string; source: string }[] = [
    { what: 'an embedding table of vocab × channels', at: 'embed E[d]', source: `model wide {
  vocab 100000
  residual [tok, grp[4095]]
  embed E[d] = concat([d], zeros(4095))
  head tied E
}` },
    { what: 'a head of vocab × channels', at: '[tok for d in 0..99999]', source: `model wide_head {
  vocab 100000
  residual [tok, grp[4095]]
  embed E[d] = concat([d], zeros(4095))
  head = [tok for d in 0..99999]
}` },
    { what: 'a causal mask of heads × context²', at: 'causal', source: `model masked {
  vocab 10
  residual [tok]
  context 8192
  embed E[d] = [d]
  layer {
    attention {
      heads 4096, dim 1
      q = [tok for h in 0..4095]
      k = [tok for h in 0..4095]
      v = [tok for h in 0..4095]
      causal
      write tok += out[0]
    }
  }
  head = [tok for d in 0..9]
}` },
    { what: 'an mlp map of a million hidden units × channels', at: '[tok for i in 0..999999]', source: `model wide_mlp {
  vocab 10
  residual [tok, grp[4095]]
  embed E[d] = concat([d], zeros(4095))
  layer { mlp { act relu, in = [tok for i in 0..999999], write tok += h[0] } }
  head = [tok for d in 0..9]
}` },
    { what: 'an mlp whose `in` sets a width beyond the limit of `width`', at: '[tok for i in 0..99999]', source: `model wide_hidden {
  vocab 10
  residual [tok]
  embed E[d] = [d]
  layer { mlp { act relu, gate = [tok for i in 0..99999], up = [tok for i in 0..99999], write tok += h[0] } }
  head = [tok for d in 0..9]
}` },
  ];
  it.each(products)('$what is refused with HW029', ({ at, source }) => {
    const { diagnostics, problems } = check(source);
    expect(problems).toEqual([]);
    const offset = source.indexOf(at);
    expect(diagnostics.filter((d) => d.code === 'HW029' && covers(d.span, offset)).map((d) => d.message)).toHaveLength(1);
  });
});
