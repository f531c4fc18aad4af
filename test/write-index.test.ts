// Symbolic write indices: `for k in a..b { write r[k + 1] += … }` is unrolled by the checker, so a
// model written with loops must compile to the very same ONNX bytes (and so the same logits) as the
// model with every index spelled out, which the tests build here as text. A small circuit is also
// run through onnxruntime against a float64 evaluation of its math. Mistakes in indices and ranges
// are diagnostics at file:line:col with a caret.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSource, compileSource } from '../src/compile.ts';
import { formatDiagnostics } from '../src/cli/format-diagnostics.ts';
import { auditModel } from '../src/check/audit.ts';
import { parse } from '../src/syntax/parse.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';

function onnxOf(src: string): Uint8Array {
  const c = compileSource(src);
  if (!c.onnx) throw new Error(c.diagnostics.map((d) => `${d.code} ${d.message}`).join('; '));
  return c.onnx;
}

async function logits(onnx: Uint8Array, ids: number[], vocab: number): Promise<number[][]> {
  const { session } = await openSession(onnx, { dtype: 'float64' });
  const r = await runLogits(session, BigInt64Array.from(ids, BigInt), 1, ids.length);
  return ids.map((_, p) => Array.from(r.data.subarray(p * vocab, (p + 1) * vocab)));
}

const VOCAB = 4;

/** Three uniform causal heads read tok, 2 tok, 3 tok; head k is added, times k + 1, to r[k + 1];
 * an MLP adds relu(r[1]) + relu(r[2]) + relu(r[3]) to s and subtracts 0.5 r[2] from r[0:2] … The
 * writes are given by the caller (loops or literal indices), each set on one line, so that both
 * sources have the same line numbers (the ONNX records where each node came from). */
function shift(attnWrites: string, mlpWrites: string): string {
  return `model shift {
  vocab ${VOCAB}
  dtype float64
  residual [tok, r[4], s]
  let heads = 3
  embed E[d] = [d, 0, 0, 0, 0, 0]
  layer {
    attention {
      heads heads, dim 1, q = [0, 0, 0], k = [0, 0, 0], v = [tok, 2 tok, 3 tok], causal
      ${attnWrites}
    }
    mlp {
      act relu
      in = [r[1], r[2], r[3]]
      ${mlpWrites}
    }
  }
  head = [s + d r[1] - r[0] for d in 0..${VOCAB - 1}]
  context 8
}
`;
}

const LOOP_ATTN = 'for k in 0..heads - 1 { write r[k + 1] += (k + 1) out[k] }';
const LITERAL_ATTN = 'write r[1] += 1 out[0]; write r[2] += 2 out[1]; write r[3] += 3 out[2]';
// Nested loops (the inner range reads the outer variable), a slice with formula ends, `-=`.
const LOOP_MLP = 'for i in 1..3 { for j in i..i { write s += h[j - 1] } }; for k in 0..0 { write r[k:k + 2] -= [0.5 h[1], 0.5 h[1]] }';
const LITERAL_MLP = 'write s += h[0]; write s += h[1]; write s += h[2]; write r[0:2] -= [0.5 h[1], 0.5 h[1]]';

/** The circuit of `shift` in float64, from its comment: logits at every position. */
function shiftReference(ids: number[]): number[][] {
  return ids.map((_, p) => {
    const mean = ids.slice(0, p + 1).reduce((a, t) => a + t, 0) / (p + 1);
    const r = [0, 1 * 1 * mean, 2 * 2 * mean, 3 * 3 * mean];
    const h = [r[1], r[2], r[3]].map((v) => Math.max(0, v));
    const s = h[0] + h[1] + h[2];
    r[0] -= 0.5 * h[1];
    r[1] -= 0.5 * h[1];
    return Array.from({ length: VOCAB }, (_, d) => s + d * r[1] - r[0]);
  });
}

describe('writes inside for loops', () => {
  it('unroll to the same ONNX bytes and logits as the literal indices, and match the float64 math', async () => {
    const loop = onnxOf(shift(LOOP_ATTN, LOOP_MLP));
    const literal = onnxOf(shift(LITERAL_ATTN, LITERAL_MLP));
    expect(Buffer.from(loop).equals(Buffer.from(literal))).toBe(true);
    const ids = [3, 1, 0, 2, 2, 1];
    const got = await logits(loop, ids, VOCAB);
    expect(got).toEqual(await logits(literal, ids, VOCAB));
    const want = shiftReference(ids);
    got.flat().forEach((g, i) => expect(Math.abs(g - want.flat()[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want.flat()[i]))));
  });

  it('a zoo adder rewritten with loops compiles byte for byte to the shipped design', () => {
    const original = readFileSync(new URL('../examples/adder/adder-36p-alibi-2layer.hw', import.meta.url), 'utf8');
    // Same lines as the original (each rewrite stays on its line): only the writes change.
    const looped = original
      .replace('write [cand, dp] += h\n', 'for m in 0..9 { write cand[m] += h[m] }; write dp += h[10]\n')
      .replace(
        'write [EQ, SPECIAL, DIGIT, COUNT, SCALE, cand[0:5]] += [abs_out (h[m] + h[10 + m]) for m in 0..9]\n',
        'write [EQ, SPECIAL, DIGIT, COUNT, SCALE] += [abs_out (h[m] + h[10 + m]) for m in 0..4]; for m in 0..4 { write cand[m] += abs_out (h[m + 5] + h[m + 15]) }\n',
      );
    const spelled = looped
      .replace('for m in 0..9 { write cand[m] += h[m] }', Array.from({ length: 10 }, (_, m) => `write cand[${m}] += h[${m}]`).join('; '))
      .replace('for m in 0..4 { write cand[m] += abs_out (h[m + 5] + h[m + 15]) }', Array.from({ length: 5 }, (_, m) => `write cand[${m}] += abs_out (h[${m + 5}] + h[${m + 15}])`).join('; '));
    expect(looped).not.toBe(original);
    expect(spelled).not.toBe(looped);
    expect(looped.split('\n').length).toBe(original.split('\n').length);
    const want = Buffer.from(onnxOf(original));
    expect(Buffer.from(onnxOf(looped)).equals(want)).toBe(true);
    expect(Buffer.from(onnxOf(spelled)).equals(want)).toBe(true);
  });

  it('the parameter audit of the looped adder is that of the shipped design', () => {
    const original = readFileSync(new URL('../examples/adder/adder-36p-alibi-2layer.hw', import.meta.url), 'utf8');
    const looped = original.replace('write [cand, dp] += h\n', 'for m in 0..9 { write cand[m + 0] += h[m] }; write dp += h[10]\n');
    expect(looped).not.toBe(original);
    const audit = (src: string) => auditModel(parse(src).ast!, src).audit!;
    const [want, got] = [audit(original), audit(looped)];
    expect(got.adderboard).toBe(want.adderboard);
    expect(got.strict).toBe(want.strict);
    expect(got.literals.map((l) => l.value)).toEqual(want.literals.map((l) => l.value));
  });

  it('a loop with an empty range writes nothing', () => {
    const empty = onnxOf(shift(`${LITERAL_ATTN}; for k in 3..2 { write r[k] += out[0] }`, LITERAL_MLP));
    expect(Buffer.from(empty).equals(Buffer.from(onnxOf(shift(LITERAL_ATTN, LITERAL_MLP))))).toBe(true);
  });
});

/** The one diagnostic of `src`, formatted as the CLI prints it, with where `marked` (a piece of the
 * source that occurs once) starts, counted here from the text. */
function oneError(src: string, marked: string): { code: string; text: string; line: number; col: number; caret: string } {
  const diags = checkSource(src).diagnostics.filter((d) => d.severity === 'error');
  expect(diags.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
  const at = src.indexOf(marked);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(src.indexOf(marked, at + 1)).toBe(-1);
  const before = src.slice(0, at).split('\n');
  const line = before.length;
  const col = before[before.length - 1].length + 1;
  const text = formatDiagnostics(diags, { file: 'shift.hw', source: src });
  const lines = text.split('\n');
  return { code: diags[0].code, text, line, col, caret: lines[2] ?? '' };
}

function expectAt(e: ReturnType<typeof oneError>, marked: string): void {
  expect(e.text.startsWith(`shift.hw:${e.line}:${e.col}: error ${e.code}:`), e.text).toBe(true);
  // The caret line: the gutter (`    | `), then '^' under the first character of `marked`.
  const quoted = e.text.split('\n')[1];
  const indent = quoted.indexOf('| ') + 2;
  expect(e.caret.indexOf('^')).toBe(indent + e.col - 1);
  expect(e.caret.slice(indent + e.col - 1).trimEnd()).toBe('^' + '~'.repeat(marked.length - 1));
}

describe('mistakes in symbolic writes', () => {
  it('an index past the group is HW024 at the channel, naming the loop value', () => {
    const src = shift('for k in 0..3 { write r[k + 1] += out[0] }', LITERAL_MLP);
    const e = oneError(src, 'r[k + 1]');
    expect(e.code).toBe('HW024');
    expect(e.text).toContain('`r` has 4 channels; 4 is outside it (at k = 3)');
    expectAt(e, 'r[k + 1]');
  });

  it('a negative index and an empty slice are HW024', () => {
    const neg = oneError(shift(`${LITERAL_ATTN}; for k in 0..1 { write r[k - 1] += out[0] }`, LITERAL_MLP), 'r[k - 1]');
    expect(neg.code).toBe('HW024');
    expect(neg.text).toContain('-1 is outside it (at k = 0)');
    expectAt(neg, 'r[k - 1]');
    const slice = oneError(shift(`${LITERAL_ATTN}; for k in 0..1 { write r[k:1] += out[0] }`, LITERAL_MLP), 'r[k:1]');
    expect(slice.code).toBe('HW024');
    expect(slice.text).toContain('1:1 is outside it (at k = 1)');
  });

  it('an index that is not a whole number is HW021 at the index formula', () => {
    const e = oneError(shift('for k in 0..2 { write r[k / 2] += out[k] }', LITERAL_MLP), 'k / 2');
    expect(e.code).toBe('HW021');
    expect(e.text).toContain('a channel index (at k = 1) must be a whole number, not 0.5');
    expectAt(e, 'k / 2');
    const literal = oneError(shift(`${LITERAL_ATTN}; write r[1.5] += out[0]`, LITERAL_MLP), '1.5');
    expect(literal.code).toBe('HW021');
    expect(literal.text).toContain('a channel index must be a whole number, not 1.5');
    expectAt(literal, '1.5');
  });

  it('a range end that is not a whole number is HW021; an unknown name in an index is HW010', () => {
    const bound = oneError(shift('for k in 0..heads / 2 { write r[k] += out[k] }', LITERAL_MLP), 'heads / 2');
    expect(bound.code).toBe('HW021');
    expect(bound.text).toContain('the end of a range must be a whole number, not 1.5');
    expectAt(bound, 'heads / 2');
    const unknown = oneError(shift('for k in 0..2 { write r[kk] += out[k] }', LITERAL_MLP), 'kk');
    expect(unknown.code).toBe('HW010');
    expectAt(unknown, 'kk');
  });

  it('a loop variable named like the block output is HW011; a channel twice in one write is HW025', () => {
    const shadow = oneError(shift('for out in 0..2 { write r[out] += 1 }', LITERAL_MLP), 'out in');
    expect(shadow.code).toBe('HW011');
    expect(shadow.text).toContain('`out` is the block\'s output');
    const twice = oneError(shift('for k in 0..2 { write [r[k], r[0]] += [out[k], out[0]] }', LITERAL_MLP), 'write [r[k]');
    expect(twice.code).toBe('HW025');
    expect(twice.text).toContain('channel `r[0]` is written twice in one write (at k = 0)');
  });

  it('a range bound past 2^53 is HW016 at the bound (k + 1 would equal k there: the loop would never end)', () => {
    const e = oneError(shift(`${LITERAL_ATTN}; for k in 1e300..1e300 { write r[0] += out[0] }`, LITERAL_MLP), '1e300..');
    expect(e.code).toBe('HW016');
    expect(e.text).toContain('runs past the whole numbers a loop can count');
  });

  it('loops that unroll into too many writes are HW016 at the loop', () => {
    const e = oneError(shift('for i in 0..999 { for j in 0..999 { write s += 0 out[0] } }', LITERAL_MLP), 'for j');
    expect(e.code).toBe('HW016');
    expect(e.text).toContain('unroll into over 100000 writes');
  });
});
