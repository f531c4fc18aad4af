// One mistake, one error (issue #21): a declaration the checker refuses (a size over a limit, a
// formula nested too deeply, a bad `let`) is reported once, where it is written, and nothing that
// depends on it reports again. Each case changes one thing in a shipped example and asserts the
// whole list of diagnostics, so a cascade anywhere makes it fail. Positions are computed from the
// test's own source text.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../src/compile.ts';
import type { Diagnostic } from '../src/diagnostics.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADDER_10P = readFileSync(join(ROOT, 'examples/adder/adder-10p-rope19.hw'), 'utf8');
const ADDER_130P = readFileSync(join(ROOT, 'examples/adder/adder-130p-nanogpt-sinpe11.hw'), 'utf8');

function replaceOnce(src: string, from: string, to: string): string {
  const at = src.indexOf(from);
  if (at < 0 || src.indexOf(from, at + 1) >= 0) throw new Error(`${JSON.stringify(from)} is not in the source exactly once`);
  return src.slice(0, at) + to + src.slice(at + from.length);
}

/** 1-based line of the first occurrence of `needle`. */
function lineOf(src: string, needle: string): number {
  const at = src.indexOf(needle);
  if (at < 0) throw new Error(`test source lacks ${JSON.stringify(needle)}`);
  return src.slice(0, at).split('\n').length;
}

const show = (ds: Diagnostic[]) => ds.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message.slice(0, 120)}`);

/** The source must give exactly one diagnostic: this code, on the line of `at`. */
function expectOnly(src: string, code: string, at: string, words: RegExp[] = []): Diagnostic {
  const { diagnostics, model } = checkSource(src);
  expect(model).toBeUndefined();
  expect(show(diagnostics)).toHaveLength(1);
  const d = diagnostics[0];
  expect(d.code, show(diagnostics).join('\n')).toBe(code);
  expect(d.span.line).toBe(lineOf(src, at));
  for (const w of words) expect(d.message).toMatch(w);
  return d;
}

describe('the unchanged examples check cleanly', () => {
  it.each([['10p', ADDER_10P], ['130p', ADDER_130P]])('%s', (_name, src) => {
    expect(show(checkSource(src).diagnostics)).toEqual([]);
  });
});

describe('evaluation-depth limits are evaluation errors at the defining formula', () => {
  // `K` is defined on its own line and read later by the embedding, the value and the MLP gate.
  const defining = 'let K     = ';
  it('20,000 unary minus signs: HW031 on the line of `let K`, nothing at the lines that use K', () => {
    const src = replaceOnce(ADDER_10P, 'let K     = 1000', `let K     = ${'-'.repeat(20000)}1000`);
    const d = expectOnly(src, 'HW031', defining, [/evaluat/, /nests more than 1000 levels/]);
    expect(d.message).not.toMatch(/parse/);
  });

  it('20,000 chained `^1`: the same', () => {
    const src = replaceOnce(ADDER_10P, 'let K     = 1000', `let K     = 1000${'^1'.repeat(20000)}`);
    expectOnly(src, 'HW031', defining, [/evaluat/, /nests more than 1000 levels/]);
  });

  it('a chain that only nests 900 deep evaluates: the limit is not lower than it says', () => {
    // An even number of minus signs: K keeps its value 1000, so the model is unchanged.
    const src = replaceOnce(ADDER_10P, 'let K     = 1000', `let K     = ${'-'.repeat(900)}1000`);
    expect(show(checkSource(src).diagnostics)).toEqual([]);
  });
});

describe('no cascade after a refused declaration', () => {
  it('vocab 100000000: the HW016 alone (no "RoPE needs a context length", no task error)', () => {
    const src = replaceOnce(ADDER_10P, 'vocab    10 ', 'vocab    100000000 ');
    expectOnly(src, 'HW016', 'vocab    100000000', [/vocabulary size 100000000/]);
  });

  it('vocab 0 in the 130p: the HW016 alone', () => {
    const src = replaceOnce(ADDER_130P, 'vocab    10 ', 'vocab    0 ');
    expectOnly(src, 'HW016', 'vocab    0', [/vocabulary size 0/]);
  });

  it('a bad `let` used by later declarations and blocks: one error, at the `let`', () => {
    // omega feeds phi, A, Q, wq and the RoPE angle.
    const src = replaceOnce(ADDER_10P, 'let omega = 2 pi / 19', 'let omega = 2 pi / 0');
    expectOnly(src, 'HW015', 'let omega', [/division by zero/]);
  });

  it('a `let` with an unknown name, read by params: one HW010', () => {
    const src = replaceOnce(ADDER_10P, 'let K     = 1000', 'let K     = 1000 kilo');
    expectOnly(src, 'HW010', 'let K', [/unknown name `kilo`/]);
  });

  it('a residual channel group over the limit: one HW016, nothing about the tables, blocks or head', () => {
    const src = replaceOnce(ADDER_10P, 'residual [big, digit]', 'residual [big, digit[100000]]');
    expectOnly(src, 'HW016', 'residual [big', [/channel group size 100000/]);
  });

  it('a channel declared twice: one HW011', () => {
    const src = replaceOnce(ADDER_10P, 'residual [big, digit]', 'residual [big, digit, big]');
    expectOnly(src, 'HW011', 'residual [big', [/declared twice/]);
  });

  it('a task error: the task error alone, not "RoPE needs a context length"', () => {
    const src = replaceOnce(ADDER_10P, 'decode 11', 'decode 0');
    const d = checkSource(src).diagnostics;
    expect(d.map((x) => x.message).join('\n')).not.toMatch(/context length/);
    expect(show(d)).toHaveLength(1);
  });
});
