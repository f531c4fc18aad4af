// One test per diagnostic code that source text can trigger. Each starts from a small valid model
// written here, changes one thing, and checks the code, the severity, where the span points
// (computed from the test's own source text) and the words the message must carry. Then: no source
// text, however broken, makes checkSource throw.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../src/compile.ts';
import { DIAGNOSTICS, type Diagnostic } from '../src/diagnostics.ts';
import { handwireLexer } from '../src/syntax/tokens.ts';
import { parseDataset } from '../src/verify/dataset.ts';
import { runCli } from './helpers/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The smallest model that uses every kind of item: it must check cleanly. */
const BASE = `model tiny {
  vocab 10
  residual [big, digit]
  let theta = 2 pi / 19
  let f(p) = p theta
  param w = 3
  embed E[d] = [1, d]
  layer {
    attention {
      heads 1, dim 2
      q = [big, 0]
      k = [big, 0]
      v = [w digit, 0]
      rope(p) = f(p)
      causal
      write digit += out[0]
    }
    mlp {
      act relu
      in = [big, digit]
      write digit += h[1] - h[0]
    }
  }
  head tied E
  task addition {
    input a, b: 2 digits
    prompt [a lsb, 0, b lsb, 0]
    decode 3
    answer lsb
    expect a + b
  }
}
`;

/** BASE with one piece of text replaced; the piece must be there exactly once. */
function mutate(from: string, to: string, src = BASE): string {
  const at = src.indexOf(from);
  if (at < 0 || src.indexOf(from, at + 1) >= 0) throw new Error(`${JSON.stringify(from)} is not in the source exactly once`);
  return src.slice(0, at) + to + src.slice(at + from.length);
}

/** 1-based line and column of the n-th occurrence of `needle`, from the text alone. */
function posOf(src: string, needle: string, nth = 0): { line: number; col: number } {
  let offset = -1;
  for (let i = 0; i <= nth; i++) {
    offset = src.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`test source lacks ${JSON.stringify(needle)}`);
  }
  const before = src.slice(0, offset);
  return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n') };
}

const textOf = (src: string, d: Diagnostic) => src.slice(d.span.offset, d.span.endOffset + 1);

interface Expectation {
  code: string;
  severity: 'error' | 'warning';
  /** The text the span starts at (its first occurrence, or the nth). */
  at: string;
  nth?: number;
  /** The exact text the span covers, where that matters. */
  covers?: string;
  words: (string | RegExp)[];
  hint?: (string | RegExp)[];
}

/** Checks `src` and finds the one diagnostic with the expected code that starts at `at`. */
function expectDiagnostic(src: string, e: Expectation): Diagnostic {
  const { diagnostics } = checkSource(src);
  const pos = posOf(src, e.at, e.nth);
  const found = diagnostics.filter((d) => d.code === e.code && d.span.line === pos.line && d.span.col === pos.col);
  expect(found, `${e.code} at ${pos.line}:${pos.col} among ${JSON.stringify(diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`))}`).toHaveLength(1);
  const d = found[0];
  expect(d.severity).toBe(e.severity);
  if (e.covers !== undefined) expect(textOf(src, d)).toBe(e.covers);
  for (const w of e.words) expect(d.message).toMatch(w);
  for (const w of e.hint ?? []) expect(d.hint ?? '').toMatch(w);
  return d;
}

const codes = (src: string) => checkSource(src).diagnostics.map((d) => d.code);

describe('the base model', () => {
  it('checks cleanly, so every diagnostic below comes from its one change', () => {
    const r = checkSource(BASE);
    expect(r.diagnostics).toEqual([]);
    expect(r.model).toBeDefined();
  });
});

describe('diagnostics by code', () => {
  it('HW001 unexpected character', () => {
    const src = mutate('param w = 3', 'param w = 3 $');
    expectDiagnostic(src, { code: 'HW001', severity: 'error', at: '$', covers: '$', words: ['unexpected character', '`$`'] });
    const unterminated = mutate('model tiny {', 'model tiny {\n  about { name "half }');
    expectDiagnostic(unterminated, { code: 'HW001', severity: 'error', at: '"half', covers: '"', words: ['unexpected character'] });
  });

  it('HW001 malformed numbers are refused instead of multiplying (`1e` is not 1 × e)', () => {
    for (const bad of ['1e', '1.2.3', '2exp(1)', '1e5.3']) {
      const src = mutate('param w = 3', `param w = ${bad}`);
      const token = bad.replace('(1)', '');
      expectDiagnostic(src, { code: 'HW001', severity: 'error', at: token, covers: token, words: ['malformed number', `\`${token}\``], hint: ['exponent'] });
    }
    // Still numbers: exponents, leading dots, ranges right after a number.
    expect(codes(mutate('param w = 3', 'param w = 1e-3 + 2.5E+2 + .5 + sum([i for i in 0..2])'))).toEqual([]);
  });

  it('HW002 syntax errors: several in one file, each at its own line', () => {
    const src = mutate('param w = 3', 'param w = * 3').replace('let f(p) = p theta', 'let = p theta');
    const { diagnostics } = checkSource(src);
    const syntax = diagnostics.filter((d) => d.code === 'HW002');
    expect(syntax.length).toBeGreaterThanOrEqual(2);
    expectDiagnostic(src, { code: 'HW002', severity: 'error', at: '= p theta', covers: '=', words: ['expected a name', 'found `=`'] });
    expectDiagnostic(src, { code: 'HW002', severity: 'error', at: '* 3', covers: '*', words: ['expected a formula', 'found `*`'] });
  });

  it('HW002 at the end of the file', () => {
    const src = 'model m {\n  vocab 10\n';
    const d = checkSource(src).diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'HW002', severity: 'error' });
    expect(d[0].message).toMatch(/expected `}` but found the end of the file/);
    // At the last character of the file (the newline ending line 2).
    expect(d[0].span).toMatchObject({ line: 2, col: '  vocab 10'.length + 1, offset: src.length - 1 });
  });

  it('HW003 an item given twice', () => {
    const src = mutate('  head tied E\n', '  head tied E\n  head tied E\n');
    expectDiagnostic(src, { code: 'HW003', severity: 'error', at: 'head tied E', nth: 1, covers: 'head tied E', words: ['`head`', 'more than once'] });
    const setting = mutate('      causal\n', '      causal\n      causal\n');
    expectDiagnostic(setting, { code: 'HW003', severity: 'error', at: 'causal', nth: 1, words: ['`causal`', 'set twice'] });
  });

  it('HW010 unknown name, with a did-you-mean hint', () => {
    const src = mutate('let f(p) = p theta', 'let f(p) = p thta');
    expectDiagnostic(src, { code: 'HW010', severity: 'error', at: 'thta', covers: 'thta', words: ['unknown name', '`thta`'], hint: ['did you mean', '`theta`'] });
    const channel = mutate('write digit += out[0]', 'write digti += out[0]');
    expectDiagnostic(channel, { code: 'HW010', severity: 'error', at: 'digti', covers: 'digti', words: ['unknown channel', '`digti`'], hint: ['big', 'digit'] });
  });

  it('HW011 duplicate names', () => {
    const twice = mutate('param w = 3', 'param w = 3\n  param w = 4');
    expectDiagnostic(twice, { code: 'HW011', severity: 'error', at: 'w = 4', covers: 'w', words: ['`w`', 'already defined'] });
    const channelName = mutate('param w = 3', 'param w = 3\n  let digit = 4');
    expectDiagnostic(channelName, { code: 'HW011', severity: 'error', at: 'digit = 4', covers: 'digit', words: ['`digit`', 'already defined'], hint: ['residual channel'] });
    const channels = mutate('residual [big, digit]', 'residual [big, digit, big]');
    expectDiagnostic(channels, { code: 'HW011', severity: 'error', at: 'big]', covers: 'big', words: ['channel `big`', 'declared twice'] });
    const params = mutate('let f(p) = p theta', 'let f(p, p) = p theta');
    expectDiagnostic(params, { code: 'HW011', severity: 'error', at: 'p) =', covers: 'p', words: ['`f`', 'two parameters', '`p`'] });
  });

  it('HW012 wrong number of arguments, to a builtin and to a user function', () => {
    const builtin = mutate('let theta = 2 pi / 19', 'let theta = 2 pi / sqrt(19, 2)');
    expectDiagnostic(builtin, { code: 'HW012', severity: 'error', at: 'sqrt(19, 2)', covers: 'sqrt(19, 2)', words: ['`sqrt`', 'takes 1 argument', 'got 2'] });
    const user = mutate('rope(p) = f(p)', 'rope(p) = f(p, 1)');
    const d = expectDiagnostic(user, { code: 'HW012', severity: 'error', at: 'f(p, 1)', covers: 'f(p, 1)', words: ['`f`', 'takes 1 argument', 'got 2'] });
    expect(d.related?.[0].span.line).toBe(posOf(user, 'let f(p)').line);
  });

  it('HW013 shape mismatch: the message names both shapes', () => {
    const row = mutate('embed E[d] = [1, d]', 'embed E[d] = [1, d, 0]');
    expectDiagnostic(row, { code: 'HW013', severity: 'error', at: '[1, d, 0]', covers: '[1, d, 0]', words: ['embedding row', '3 entries', '2 channels'] });
    const q = mutate('q = [big, 0]', 'q = [big, 0, 0]');
    expectDiagnostic(q, { code: 'HW013', severity: 'error', at: '[big, 0, 0]', covers: '[big, 0, 0]', words: ['`q`', '3 outputs', '2 are needed'] });
    const add = mutate('param w = 3', 'param w = [1, 2] + [1, 2, 3]');
    expectDiagnostic(add, { code: 'HW013', severity: 'error', at: '[1, 2] + [1, 2, 3]', covers: '[1, 2] + [1, 2, 3]', words: ['shape [2]', 'shape [3]'] });
    const ragged = mutate('param w = 3', 'param w = [[1, 2], [3]]');
    expectDiagnostic(ragged, { code: 'HW013', severity: 'error', at: '[[1, 2], [3]]', words: ['shape [2]', 'shape [1]'] });
  });

  it('HW014 a value that is not finite', () => {
    const overflow = mutate('param w = 3', 'param w = 1e308 * 10');
    expectDiagnostic(overflow, { code: 'HW014', severity: 'error', at: '1e308 * 10', covers: '1e308 * 10', words: ['parameter `w`', 'not finite'], hint: ['Infinity'] });
    const embedding = mutate('embed E[d] = [1, d]', 'embed E[d] = [1, ln(d)]');
    expectDiagnostic(embedding, { code: 'HW014', severity: 'error', at: '[1, ln(d)]', words: ['embedding', 'not finite'] });
  });

  it('HW015 division by zero, with the span on the divisor', () => {
    const src = mutate('param w = 3', 'param w = 3 / (1 - 1)');
    expectDiagnostic(src, { code: 'HW015', severity: 'error', at: '(1 - 1)', covers: '(1 - 1)', words: ['division by zero'] });
    const mod = mutate('param w = 3', 'param w = 10 mod (2 - 2)');
    expectDiagnostic(mod, { code: 'HW015', severity: 'error', at: '(2 - 2)', covers: '(2 - 2)', words: ['modulo by zero'] });
  });

  describe('HW016 a written size or count out of its range, refused before anything is allocated', () => {
    it('heads 0', () => {
      const src = mutate('heads 1, dim 2', 'heads 0, dim 2');
      expectDiagnostic(src, { code: 'HW016', severity: 'error', at: '0, dim', covers: '0', words: ['heads', 'between 1 and', 'not 0'] });
    });

    it('vocab 10^9', () => {
      const src = mutate('vocab 10', 'vocab 1000000000');
      expectDiagnostic(src, { code: 'HW016', severity: 'error', at: 'vocab 1000000000', words: ['vocabulary size 1000000000', 'out of range'] });
    });

    it('a huge context', () => {
      const src = mutate('vocab 10', 'vocab 10\n  context 99999999999');
      expectDiagnostic(src, { code: 'HW016', severity: 'error', at: 'context 99999999999', words: ['context 99999999999', 'out of range'] });
    });

    it('a huge repeat', () => {
      const src = mutate('  layer {', '  repeat 100000000 {\n  layer {').replace('  head tied E', '  }\n  head tied E');
      expectDiagnostic(src, { code: 'HW016', severity: 'error', at: '100000000', covers: '100000000', words: ['repeat count 100000000', 'out of range'] });
    });

    it('task numbers: digits, decode and prompt repeats', () => {
      const digits = mutate('input a, b: 2 digits', 'input a, b: 16 digits');
      expectDiagnostic(digits, { code: 'HW016', severity: 'error', at: 'input a, b: 16', words: ['1 to 15 digits', 'not 16'] });
      const decode = mutate('decode 3', 'decode 0');
      expectDiagnostic(decode, { code: 'HW016', severity: 'error', at: '0\n    answer', covers: '0', words: ['decode 0', 'out of range'] });
      const repeat = mutate('prompt [a lsb, 0, b lsb, 0]', 'prompt [a lsb, 0 * 20000, b lsb, 0]');
      expectDiagnostic(repeat, { code: 'HW016', severity: 'error', at: '0 * 20000', words: ['repeat count 20000', 'out of range'] });
    });
  });

  it('HW028 an empty vocabulary or alphabet', () => {
    const vocab = mutate('vocab 10', 'vocab []');
    expectDiagnostic(vocab, { code: 'HW028', severity: 'error', at: 'vocab []', covers: 'vocab []', words: ['vocabulary is empty'] });
    expect(codes(vocab).filter((c) => c !== 'HW028'), 'nothing else follows from it').toEqual([]);
    const majority = readFileSync(join(ROOT, 'examples/zoo/majority.hw'), 'utf8');
    const alphabet = mutate('input s: ["0", "1"] length', 'input s: [] length', majority);
    expectDiagnostic(alphabet, { code: 'HW028', severity: 'error', at: '[] length', covers: '[]', words: ['alphabet is empty'] });
  });

  describe('HW029 a size computed from several settings, each in range, over a limit', () => {
    it('a task longer than any context: one error, at the part that asks for more', () => {
      // The checker used to cap the context at its limit silently, and `verify` found out later.
      const prompt = mutate('prompt [a lsb, 0, b lsb, 0]', 'prompt [a lsb, 0 * 9000, b lsb, 0]');
      const d = expectDiagnostic(prompt, {
        code: 'HW029', severity: 'error', at: 'prompt [', covers: 'prompt [a lsb, 0 * 9000, b lsb, 0]',
        words: ['9007 positions', 'prompt 9005 + decode 3', 'context limit of 8192'], hint: ['prompt + decode may be at most 8193'],
      });
      expect(d.related?.map((r) => textOf(prompt, { ...d, span: r.span }))).toEqual(['decode 3']);
      // One mistake, one error: the RoPE angles and the causal mask do not complain about it too.
      expect(checkSource(prompt).diagnostics.filter((x) => x.severity === 'error')).toHaveLength(1);

      const decode = mutate('decode 3', 'decode 9000');
      const e = expectDiagnostic(decode, { code: 'HW029', severity: 'error', at: 'decode 9000', covers: 'decode 9000', words: ['9005 positions', 'prompt 6 + decode 9000'] });
      expect(e.related?.map((r) => textOf(decode, { ...e, span: r.span }))).toEqual(['prompt [a lsb, 0, b lsb, 0]']);
      expect(checkSource(decode).diagnostics.filter((x) => x.severity === 'error')).toHaveLength(1);
      // At the limit the model checks, with exactly the context the task needs (without the causal
      // mask, whose 8192² table is over a limit of its own).
      const longest = mutate('      causal\n', '', mutate('decode 3', 'decode 8187'));
      expect(checkSource(longest).diagnostics).toEqual([]);
      expect(checkSource(longest).model?.context).toBe(8192);
    });

    it('a prompt of over 10000 tokens, from repeats that are each in range', () => {
      const src = mutate('prompt [a lsb, 0, b lsb, 0]', 'prompt [a lsb, 0 * 6000, b lsb, 0 * 6000]');
      // 2 + 6000 + 2 + 6000 tokens.
      expectDiagnostic(src, { code: 'HW029', severity: 'error', at: 'prompt [', covers: 'prompt [a lsb, 0 * 6000, b lsb, 0 * 6000]', words: ['12004 tokens', 'limit 10000'] });
    });

    it('heads × dim, the causal mask and a score bias', () => {
      // 64 × 128 = 8192 > 4096, though each is within 1..4096.
      const heads = mutate('heads 1, dim 2', 'heads 64, dim 128');
      expectDiagnostic(heads, { code: 'HW029', severity: 'error', at: 'attention {', words: ['heads × dim = 8192', 'limit of 4096'] });
      // 1 head × 8192² = 67,108,864 mask entries > 50,000,000.
      const mask = mutate('vocab 10', 'vocab 10\n  context 8192');
      expectDiagnostic(mask, { code: 'HW029', severity: 'error', at: 'causal', covers: 'causal', words: ['causal mask', '67108864 entries'] });
      // A score bias is a table of heads × context² too: 8192² = 67,108,864.
      const bias = mutate('      causal\n', '      bias(h, i, j) = j <= i ? 0 : -inf\n', mutate('vocab 10', 'vocab 10\n  context 8192'));
      expectDiagnostic(bias, { code: 'HW029', severity: 'error', at: 'bias(h', words: ['score table', '67108864 entries'] });
      // The embedding table (vocab × channels) is covered in test/fuzz.test.ts with the other products.
    });

    it('residual channels and layers in all', () => {
      // 2 + 4000 channels before the group, 100 in it: 4102 > 4096, though 100 is in range.
      const group = mutate('residual [big, digit]', 'residual [big, digit, g[4000], more[100]]');
      expectDiagnostic(group, { code: 'HW029', severity: 'error', at: 'more[100]', words: ['4002 channels before it', '4102 residual channels', 'limit of 4096'] });
      // Single channels after a full group: 4095 + 2.
      const scalars = mutate('residual [big, digit]', 'residual [g[4095], big, digit]');
      expectDiagnostic(scalars, { code: 'HW029', severity: 'error', at: 'residual [', words: ['4097 residual channels', 'limit of 4096'] });
      // A group over the limit by itself is its own number out of range.
      const alone = mutate('residual [big, digit]', 'residual [big, digit, g[5000]]');
      expectDiagnostic(alone, { code: 'HW016', severity: 'error', at: 'g[5000]', words: ['channel group size 5000', 'out of range'] });
      // repeat 600 of two layers: 1200 > 1000, though 600 is in range.
      const layer = BASE.slice(BASE.indexOf('  layer {'), BASE.indexOf('  head tied E'));
      const twice = mutate(layer, `  repeat 600 {\n${layer}${layer}  }\n`);
      expectDiagnostic(twice, { code: 'HW029', severity: 'error', at: '600', covers: '600', words: ['repeat 600 × 2 layers is 1200 layers', 'limit of 1000'] });
    });
  });

  it('HW030 a formula value too large to build: functions, products and ranges', () => {
    const zeros = mutate('param w = 3', 'param w = zeros(1e6, 1e6)');
    expectDiagnostic(zeros, { code: 'HW030', severity: 'error', at: 'zeros(', covers: 'zeros(1e6, 1e6)', words: ['1000000000000 entries'] });
    const outer = mutate('param w = 3', 'param w = transpose([ones(100000)]) * [ones(100000)]');
    expectDiagnostic(outer, { code: 'HW030', severity: 'error', at: 'transpose(', words: ['10000000000 entries'] });
    const ranges = mutate('param w = 3', 'param w = [[0 for i in 0..99999] for j in 0..99999]');
    expectDiagnostic(ranges, { code: 'HW030', severity: 'error', at: '[0 for i', words: ['nested ranges'] });
    const long = mutate('param w = 3', 'param w = sum([i for i in 0..2000000])');
    expectDiagnostic(long, { code: 'HW030', severity: 'error', at: '[i for i', words: ['range 0..2000000', 'over a million'] });
  });

  it('HW031 evaluation too deep: endless recursion and absurd nesting', () => {
    const recursion = mutate('let f(p) = p theta', 'let f(p) = f(p) theta');
    expectDiagnostic(recursion, { code: 'HW031', severity: 'error', at: 'f(p) theta', covers: 'f(p)', words: ['`f`', 'nest more than 200'], hint: ['recursion'] });
    const chain = mutate('param w = 3', `param w = 1${' + 1'.repeat(3000)}`);
    expectDiagnostic(chain, { code: 'HW031', severity: 'error', at: '1 + 1', words: ['nests more than 1000'] });
    // The parser itself stops at a nesting depth well beyond any real formula.
    const parens = mutate('param w = 3', `param w = ${'('.repeat(400)}1${')'.repeat(400)}`);
    expectDiagnostic(parens, { code: 'HW002', severity: 'error', at: '(1)', covers: '(', words: ['nested too deeply'] });
  });

  it('HW017 unused parameter is a warning, and the model still builds', () => {
    const src = mutate('param w = 3', 'param w = 3\n  param unused = 5');
    expectDiagnostic(src, { code: 'HW017', severity: 'warning', at: 'unused =', covers: 'unused', words: ['parameter `unused`', 'never used'] });
    expect(checkSource(src).model).toBeDefined();
  });

  it('HW018 a projection that is not linear', () => {
    const src = mutate('q = [big, 0]', 'q = [big^2, 0]');
    expectDiagnostic(src, { code: 'HW018', severity: 'error', at: '[big^2, 0]', covers: '[big^2, 0]', words: ['`q`', 'not a linear function', 'output 0'] });
    const product = mutate('in = [big, digit]', 'in = [big, big digit]');
    expectDiagnostic(product, { code: 'HW018', severity: 'error', at: '[big, big digit]', words: ['`in`', 'output 1'] });
  });

  it('HW019 unknown setting, with a did-you-mean hint', () => {
    const src = mutate('heads 1, dim 2', 'hedas 1, dim 2');
    expectDiagnostic(src, { code: 'HW019', severity: 'error', at: 'hedas', covers: 'hedas', words: ['unknown attention setting', '`hedas`'], hint: ['did you mean', '`heads`'] });
    const act = mutate('act relu', 'act rleu');
    expectDiagnostic(act, { code: 'HW019', severity: 'error', at: 'rleu', covers: 'rleu', words: ['unknown activation', '`rleu`'], hint: ['relu'] });
  });

  it('HW020 a missing item', () => {
    const src = mutate('  head tied E\n', '');
    expectDiagnostic(src, { code: 'HW020', severity: 'error', at: 'tiny', covers: 'tiny', words: ['no `head`'], hint: ['head tied'] });
    const noDim = mutate('heads 1, dim 2', 'heads 1');
    expectDiagnostic(noDim, { code: 'HW020', severity: 'error', at: 'attention {', words: ['`dim`'] });
  });

  it('HW021 the wrong kind of value', () => {
    const src = mutate('act relu', 'act = relu');
    expectDiagnostic(src, { code: 'HW021', severity: 'error', at: 'act = relu', covers: 'act = relu', words: ['`act`', 'without `=`'] });
    const boolean = mutate('param w = 3', 'param w = 3 > 2');
    expectDiagnostic(boolean, { code: 'HW021', severity: 'error', at: '3 > 2', covers: '3 > 2', words: ['`w`', 'number, vector or matrix'] });
    const complex = mutate('param w = 3', 'param w = sqrt(-1)');
    expectDiagnostic(complex, { code: 'HW021', severity: 'error', at: 'sqrt(-1)', covers: 'sqrt(-1)', words: ['complex'] });
  });

  it('HW022 unknown dtype', () => {
    const src = mutate('vocab 10', 'vocab 10\n  dtype float16');
    expectDiagnostic(src, { code: 'HW022', severity: 'error', at: 'float16', covers: 'float16', words: ['unknown dtype', '`float16`'], hint: ['float32', 'float64'] });
  });

  it('HW023 unknown function, with a hint', () => {
    const src = mutate('let theta = 2 pi / 19', 'let theta = 2 pi / sqr(19)');
    expectDiagnostic(src, { code: 'HW023', severity: 'error', at: 'sqr(', covers: 'sqr', words: ['unknown function', '`sqr`'], hint: ['did you mean', '`sqrt`'] });
  });

  it('HW024 index out of range', () => {
    const src = mutate('write digit += out[0]', 'write digit += out[5]');
    expectDiagnostic(src, { code: 'HW024', severity: 'error', at: '5]', covers: '5', words: ['index 5', '0..1'] });
    const slice = mutate('param w = 3', 'param w = sum([1, 2][0:5])');
    expectDiagnostic(slice, { code: 'HW024', severity: 'error', at: '[1, 2][0:5]', covers: '[1, 2][0:5]', words: ['slice 0:5', '0:2'] });
    const channel = mutate('residual [big, digit]', 'residual [big, digit[2]]').replace('write digit += out[0]', 'write digit[3] += out[0]');
    expectDiagnostic(channel, { code: 'HW024', severity: 'error', at: 'digit[3]', covers: 'digit[3]', words: ['`digit` has 2 channels', '3'] });
  });

  it('HW025 inconsistent settings: heads not a multiple of kv_heads', () => {
    const src = mutate('heads 1, dim 2', 'heads 3, kv_heads 2, dim 2');
    expectDiagnostic(src, { code: 'HW025', severity: 'error', at: 'kv_heads 2', covers: 'kv_heads 2', words: ['heads (3)', 'multiple of kv_heads (2)'] });
  });

  it('HW026 an invalid task contract', () => {
    const answer = mutate('answer lsb', 'answer middle');
    expectDiagnostic(answer, { code: 'HW026', severity: 'error', at: 'middle', covers: 'middle', words: ['`lsb` or `msb`'] });
    const token = mutate('prompt [a lsb, 0, b lsb, 0]', 'prompt [a lsb, 0, b lsb, 12]');
    expectDiagnostic(token, { code: 'HW026', severity: 'error', at: '12]', covers: '12', words: ['token 12', 'outside the vocabulary'] });
    const prompt = mutate('prompt [a lsb, 0, b lsb, 0]', 'prompt [a, 0]');
    expectDiagnostic(prompt, { code: 'HW026', severity: 'error', at: 'a, 0]', covers: 'a', words: ['digit order', '`a lsb`'], hint: ['lsb or msb'] });
  });

  it('HW027 a malformed dataset line, at its line and column in the dataset file', () => {
    const model = checkSource(readFileSync(join(ROOT, 'examples/zoo/majority.hw'), 'utf8')).model!;
    const { cases, diagnostics } = parseDataset('0 1 1 -> 1\n\n# note\n0 1 => 0\n1 2 -> 1\n1 0 -> 0 1\n', model);
    expect(cases).toEqual([]); // nothing half-read
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.col])).toEqual([['HW027', 4, 1], ['HW027', 5, 3], ['HW027', 6, 1]]);
    expect(diagnostics[0]!.message).toContain('`input -> output`');
    expect(diagnostics[1]!.message).toContain("unknown input token '2'");
    expect(diagnostics[2]!.message).toContain('`answer class` reads one token');
  });

  it('every code in the catalogue has a test here, or a reason it cannot come from source', () => {
    const own = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    // HW099 (internal error) only reports a fault in the compiler itself.
    const notFromSource = new Set(['HW099']);
    for (const code of Object.keys(DIAGNOSTICS)) {
      if (notFromSource.has(code)) continue;
      expect(own.includes(`it('${code} `) || own.includes(`describe('${code} `), `a test named after ${code}`).toBe(true);
    }
  });
});

describe('the size and evaluation codes as `handwire check` prints them', () => {
  // One file per code; the expected file:line:col is computed from the file's own text.
  const cases: { code: string; file: string; src: string; at: string }[] = [
    { code: 'HW016', file: 'heads.hw', src: mutate('heads 1, dim 2', 'heads 0, dim 2'), at: '0, dim' },
    { code: 'HW028', file: 'empty.hw', src: mutate('vocab 10', 'vocab []'), at: 'vocab []' },
    { code: 'HW029', file: 'long.hw', src: mutate('decode 3', 'decode 9000'), at: 'decode 9000' },
    { code: 'HW030', file: 'huge.hw', src: mutate('param w = 3', 'param w = zeros(1e6, 1e6)'), at: 'zeros(' },
    { code: 'HW031', file: 'deep.hw', src: mutate('let f(p) = p theta', 'let f(p) = f(p) theta'), at: 'f(p) theta' },
  ];

  it('each at its file:line:col with a caret, one error, exit 1', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'handwire-diag-'));
    for (const c of cases) writeFileSync(join(cwd, c.file), c.src);
    const results = await Promise.all(cases.map((c) => runCli(['check', c.file], { cwd })));
    cases.forEach((c, i) => {
      const r = results[i];
      const { line, col } = posOf(c.src, c.at);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toContain(`${c.file}:${line}:${col}: error ${c.code}: `);
      expect(r.stdout.match(/error HW/g), r.stdout).toHaveLength(1);
      // The caret sits under the column the location names: ` 10 |       heads 0` then `    |             ^`.
      const caret = r.stdout.split('\n').find((l) => /^\s+\|\s*\^/.test(l))!;
      expect(caret.indexOf('^') - caret.indexOf('|') - 1, r.stdout).toBe(col);
    });
  });
});

describe('no source text makes checkSource throw', () => {
  const nasty: [string, string][] = [
    ['an empty file', ''],
    ['only a comment', '# nothing here'],
    ['only whitespace', '  \n\t\n'],
    ['an unterminated string', 'model m {\n  about { name "open\n}\n'],
    ['`model {`', 'model {'],
    ['an unclosed model', 'model m {'],
    ['stray closers', '}}}) ]'],
    ['1e308 * 10', 'model m { param p = 1e308*10 }'],
    ['sqrt(-1)', 'model m { param p = sqrt(-1) }'],
    ['0 / 0', 'model m { param p = 0 / 0 }'],
    ['ln(0)', 'model m { param p = ln(0) }'],
    ['a non-ASCII name', 'model m { param π = 3 }'],
    ['a NUL byte', 'model m {\u0000}'],
    ['a lone dot', 'model m { param p = . }'],
    ['self reference', 'model m { param p = p }'],
    ['endless recursion', 'model m { let f(x) = f(x + 1)\n param p = f(0) }'],
    ['deep nesting', `model m { param p = ${'['.repeat(3000)}1${']'.repeat(3000)} }`],
    ['a long unary chain', `model m { param p = ${'-'.repeat(3000)}1 }`],
    ['a long power chain', `model m { param p = 2${'^1'.repeat(3000)} }`],
    ['a huge allocation', 'model m { param p = ones(1e5, 1e5) }'],
    ['a channel without a name', 'model m { residual [tok, 1, c] }'],
    ['garbage', '@@@ ### !!! model ??? { } } {'],
  ];

  it.each(nasty)('%s', (_what, src) => {
    const r = checkSource(src);
    expect(r.model).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.filter((d) => d.severity === 'error').length).toBeGreaterThan(0);
    expect(r.diagnostics.map((d) => d.code)).not.toContain('HW099');
    for (const d of r.diagnostics) {
      expect(d.span.line).toBeGreaterThanOrEqual(1);
      expect(d.span.col).toBeGreaterThanOrEqual(1);
      expect(d.span.offset).toBeLessThanOrEqual(Math.max(0, src.length));
    }
  });

  it('token-level mutations of every example: diagnostics, never an exception', () => {
    const dir = join(ROOT, 'examples');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.hw')).sort();
    const sources = files.map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(sources.length).toBeGreaterThanOrEqual(2);
    // A fixed linear congruential sequence: the same mutants on every run.
    let seed = 20261122;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    for (let m = 0; m < 60; m++) {
      let src = sources[m % sources.length];
      for (let edits = 1 + next(3); edits > 0; edits--) {
        const tokens = handwireLexer.tokenize(src).tokens;
        const t = tokens[next(tokens.length)];
        const other = tokens[next(tokens.length)].image;
        const end = (t.endOffset ?? t.startOffset) + 1;
        const kind = next(3);
        src = kind === 0 ? src.slice(0, t.startOffset) + src.slice(end)
          : kind === 1 ? `${src.slice(0, t.startOffset)}${other} ${src.slice(t.startOffset)}`
          : src.slice(0, t.startOffset) + other + src.slice(end);
      }
      let result: ReturnType<typeof checkSource> | undefined;
      expect(() => (result = checkSource(src)), src).not.toThrow();
      expect(result!.diagnostics.map((d) => d.code), src).not.toContain('HW099');
    }
  });
});

describe('shape errors say where each size comes from', () => {
  it('a projection with the wrong output count points at the head settings that set the size', () => {
    const src = readFileSync(join(ROOT, 'examples/adder/adder-10p-rope19.hw'), 'utf8').replace(
      'q = [wq[0] big, wq[1] big]',
      'q = [wq[0] big, wq[1] big, 0]',
    );
    const d = checkSource(src).diagnostics.find((x) => x.code === 'HW013')!;
    expect(d.message).toMatch(/3 outputs but 2 are needed/);
    const notes = (d.related ?? []).map((r) => src.slice(r.span.offset, r.span.endOffset + 1));
    expect(notes).toEqual(['heads 1', 'dim 2']);
  });

  it('an operation on two shapes names both and where each operand is', () => {
    const src = BASE_WITH('let bad = [1, 2] + [1, 2, 3]');
    const d = checkSource(src).diagnostics.find((x) => x.code === 'HW013')!;
    expect(d.message).toMatch(/shape \[2\].*shape \[3\]/);
    const notes = (d.related ?? []).map((r) => src.slice(r.span.offset, r.span.endOffset + 1));
    expect(notes).toEqual(['[1, 2]', '[1, 2, 3]']);
  });
});

/** The base model with one more declaration after its first line. */
function BASE_WITH(decl: string): string {
  const firstLineEnd = BASE.indexOf('\n');
  return `${BASE.slice(0, firstLineEnd + 1)}  ${decl}\n${BASE.slice(firstLineEnd + 1)}`;
}
