// `context` as a formula of the declarations (`let max_len = 12` … `context max_len + 1`): the
// model is built for exactly the positions the formula comes to, byte for byte the model with the
// number written out; a formula that is not a whole number, reads a parameter, or comes out of range
// is a diagnostic at file:line:col.
import { describe, expect, it } from 'vitest';
import { checkSource, compileSource } from '../src/compile.ts';
import { formatDiagnostics } from '../src/cli/format-diagnostics.ts';

/** A position table (which is sized by the context) and the `context` line last, so every variant
 * has the same line numbers. */
function model(context: string, lets = 'let max_len = 6'): string {
  return `model ctx {
  vocab 3
  dtype float64
  residual [tok, pos]
  ${lets}
  param w = 1
  embed E[d] = [w d, 0]
  position P[p] = [0, p]
  layer {
    attention { heads 1, dim 1, q = [0], k = [0], v = [pos], causal, write tok += out[0] }
  }
  head = [tok, pos, 0]
  ${context}
}
`;
}

function errorsOf(src: string): { code: string; text: string } {
  const diags = checkSource(src).diagnostics.filter((d) => d.severity === 'error');
  expect(diags.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
  return { code: diags[0].code, text: formatDiagnostics(diags, { file: 'ctx.hw', source: src }) };
}

/** `file:line:col:` of the first occurrence of `marked` in `src`, counted here from the text. */
function locationOf(src: string, marked: string): string {
  const before = src.slice(0, src.indexOf(marked)).split('\n');
  return `ctx.hw:${before.length}:${before[before.length - 1].length + 1}:`;
}

describe('context as a formula', () => {
  it('a formula of lets gives that many positions, and the same ONNX as the number written out', () => {
    const formula = compileSource(model('context 2 max_len + 1'));
    const literal = compileSource(model('context 13'));
    expect(formula.model?.context).toBe(13);
    expect(formula.onnx).toBeDefined();
    expect(Buffer.from(formula.onnx!).equals(Buffer.from(literal.onnx!))).toBe(true);
    // The position table has one row per position: 13 rows, p = 0 .. 12.
    expect(formula.model?.position?.rows).toBe(13);
    expect(Array.from(formula.model!.position!.data).filter((_, i) => i % 2 === 1)).toEqual(Array.from({ length: 13 }, (_, p) => p));
  });

  it('lets that are functions and vectors work too', () => {
    const m = checkSource(model('context len(lengths) max(lengths) + 1', 'let lengths = [2, 4, 8]')).model;
    expect(m?.context).toBe(3 * 8 + 1);
  });

  it('a formula that is not a whole number is HW021 at the formula', () => {
    const src = model('context max_len / 4');
    const e = errorsOf(src);
    expect(e.code).toBe('HW021');
    expect(e.text).toContain('the context must be a whole number, not 1.5');
    expect(e.text.startsWith(`${locationOf(src, 'max_len / 4')} error HW021`)).toBe(true);
  });

  it('a formula that reads a parameter is HW021, naming it', () => {
    const src = model('context 4 w + 4');
    const e = errorsOf(src);
    expect(e.code).toBe('HW021');
    expect(e.text).toContain('the context may not depend on parameter `w`');
    expect(e.text.startsWith(`${locationOf(src, '4 w + 4')} error HW021`)).toBe(true);
  });

  it('a formula out of range is HW016 with its value; an unknown name is HW010', () => {
    const src = model('context max_len 10000');
    const e = errorsOf(src);
    expect(e.code).toBe('HW016');
    expect(e.text).toContain('context max_len 10000 (= 60000) is out of range (1..8192)');
    expect(e.text.startsWith(`${locationOf(src, 'context max_len')} error HW016`)).toBe(true);
    const zero = errorsOf(model('context max_len - 6'));
    expect(zero.text).toContain('(= 0) is out of range');
    const unknown = model('context max_length');
    const u = errorsOf(unknown);
    expect(u.code).toBe('HW010');
    expect(u.text.startsWith(`${locationOf(unknown, 'max_length')} error HW010`)).toBe(true);
  });

  it('a formula shorter than the task needs is HW025', () => {
    const src = `model ctx_task {
  vocab 10
  residual [tok]
  let digits = 2
  embed E[d] = [d]
  layer { mlp { act relu, in = [tok], write tok += h[0] } }
  head = [tok for d in 0..9]
  context digits
  task copy {
    input a: 2 digits
    prompt [a lsb, 0]
    decode 2
    answer lsb
    expect a
  }
}
`;
    const e = errorsOf(src);
    expect(e.code).toBe('HW025');
    expect(e.text).toContain('context digits (= 2) is shorter than the task needs (4 = prompt + decode − 1)');  // 3 prompt tokens + 2 decoded − 1
  });
});
