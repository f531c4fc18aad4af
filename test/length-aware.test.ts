// Length-aware formulas: `N` (the length of the sequence being run) in position rows and score
// biases. One compiled model must be right at every length up to its context, so each model here is
// compiled once and run at every length; the expected logits are computed in this file in float64
// from the formulas' math, not from the compiler's tables.
import { describe, expect, it } from 'vitest';
import { checkSource, compileSource } from '../src/compile.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { ContextLengthError, openSession, runLogits } from '../src/runtime/session.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { mulberry32 } from '../src/util/rng.ts';

const CONTEXT = 40;

async function logitsAt(source: string, dtype: FloatDType, tokens: number[]) {
  const out = compileSource(source, { dtype });
  if (!out.onnx) throw new Error(out.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  const { session } = await openSession(out.onnx, { dtype });
  try {
    const { data, vocab } = await runLogits(session, BigInt64Array.from(tokens.map(BigInt)), 1, tokens.length);
    return { rows: Array.from({ length: tokens.length }, (_, p) => Array.from(data.subarray(p * vocab, (p + 1) * vocab))), ir: out.ir! };
  } finally {
    await session.release();
  }
}

const POSITIONS = `
model positions_of_n {
  vocab 2
  residual [tok, frac, inv, mix]
  let w(p, n) = p < n / 2 ? sqrt(n) : -p
  embed E[d] = [d, 0, 0, 0]
  position P[p] = [0, p / N, 1 / N, w(p, N) + cos(p)]
  head = [tok + frac, inv + mix]
  context ${CONTEXT}
}`;

/** The same row, by the math: tok + p/N and 1/N + (p < N/2 ? √N : −p) + cos p. */
function expectedPosition(tok: number, p: number, n: number, round: (x: number) => number): number[] {
  const w = p < n / 2 ? Math.sqrt(n) : -p;
  return [round(tok + round(p / n)), round(round(1 / n) + round(round(w) + round(Math.cos(p))))];
}

describe('N in a position row', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`one ${dtype} graph gives the row of every length 1..${CONTEXT} exactly`, async () => {
      const out = compileSource(POSITIONS, { dtype });
      expect(out.diagnostics).toEqual([]);
      const { session } = await openSession(out.onnx!, { dtype });
      const round = dtype === 'float64' ? (x: number) => x : Math.fround;
      const rng = mulberry32(7);
      try {
        for (let n = 1; n <= CONTEXT; n++) {
          const tokens = Array.from({ length: n }, () => (rng() < 0.5 ? 0 : 1));
          const { data } = await runLogits(session, BigInt64Array.from(tokens.map(BigInt)), 1, n);
          for (let p = 0; p < n; p++) {
            const want = expectedPosition(tokens[p]!, p, n, round);
            // The cos(p) entry is folded at compile time in float64, then rounded once to float32.
            expect([data[p * 2], data[p * 2 + 1]], `N = ${n}, p = ${p}`).toEqual(want);
          }
        }
      } finally {
        await session.release();
      }
    });
  }

  it('computes N at run time: the graph reads the sequence length, not a table per length', () => {
    const ir = compileSource(POSITIONS).ir!;
    expect(ir.nodes.some((n) => n.op === 'Cast' && n.inputs[0] === 'seq_len')).toBe(true);
    const position = ir.consts.find((c) => c.name === 'position.table')!;
    expect(position.shape).toEqual([CONTEXT, 4]);
  });

  it('a model that declares its own N keeps that meaning', async () => {
    const source = `model own_n { vocab 2 residual [a] let N = 3 embed E[d] = [d] position P[p] = [N p] head = [a, -a] context 4 }`;
    const { rows } = await logitsAt(source, 'float64', [0, 0]);
    expect(rows.map((r) => r[0])).toEqual([0, 3]);
  });

  it('refuses what cannot be computed from N at run time, at the formula', () => {
    const out = compileSource(`model bad { vocab 2 residual [a] embed E[d] = [d] position P[p] = [sin(p / N)] head = [a, -a] context 4 }`);
    expect(out.onnx).toBeUndefined();
    const d = out.diagnostics.find((x) => x.code === 'HW021')!;
    expect(d.message).toMatch(/reads N/);
    expect(d.span.col).toBeGreaterThan(1);
  });

  it('reports a row that is not finite at some length, with the length', () => {
    const out = compileSource(`model bad { vocab 2 residual [a] embed E[d] = [d] position P[p] = [1 / (N - 3)] head = [a, -a] context 4 }`);
    const d = out.diagnostics.find((x) => x.code === 'HW014')!;
    expect(d.message).toMatch(/N = 3/);
  });
});

const LAST_KEY = `
model last_key {
  vocab 3
  dtype float64
  residual [tok, acc]
  embed E[d] = [d, 0]
  layer {
    attention {
      heads 1, dim 1
      q = [0]
      k = [0]
      v = [tok]
      bias(h, i, j) = j == N - 1 ? 0 : -inf      # every query reads the last token
      write acc += out[0]
    }
  }
  head = [acc, 2 acc, 3 acc]
  context ${CONTEXT}
}`;

describe('N in a score bias', () => {
  it('every query reads the last token, at every length', async () => {
    const out = compileSource(LAST_KEY);
    expect(out.diagnostics).toEqual([]);
    const { session } = await openSession(out.onnx!, { dtype: 'float64' });
    const rng = mulberry32(11);
    try {
      for (let n = 1; n <= CONTEXT; n++) {
        const tokens = Array.from({ length: n }, () => Math.floor(rng() * 3));
        const { data } = await runLogits(session, BigInt64Array.from(tokens.map(BigInt)), 1, n);
        const last = tokens[n - 1]!;
        for (let p = 0; p < n; p++) expect(Array.from(data.subarray(p * 3, p * 3 + 3)), `N = ${n}`).toEqual([last, 2 * last, 3 * last]);
      }
    } finally {
      await session.release();
    }
  });

  it('over the length-aware table limit it is one HW029 at the bias, before any table is built', () => {
    // 1 head × 4096² = 16.7 million points: this took 74 s and 2.2 GB of heap before the limit.
    const source = `model lengths {
  vocab 2
  residual [tok, acc]
  embed E[d] = [d, 0]
  layer {
    attention {
      heads 1, dim 1
      q = [0]
      k = [0]
      v = [tok]
      bias(h, i, j) = j >= N - 2 ? 0 : -inf
      write acc += out[0]
    }
  }
  head = [tok, acc]
  context 4096
}
`;
    const out = checkSource(source);
    expect(out.diagnostics.map((d) => [d.code, d.span.line, d.span.col])).toEqual([['HW029', 11, 7]]);
    expect(out.diagnostics[0]!.message).toContain(`${4096 * 4096} entries`);
    // Half the context is within the limit and checks cleanly.
    expect(checkSource(source.replace('context 4096', 'context 2048')).diagnostics).toEqual([]);
  });
});

describe('an input longer than the context', () => {
  it('is a ContextLengthError before onnxruntime sees it; the longest input that fits runs', async () => {
    const out = compileSource(LAST_KEY);
    const { session } = await openSession(out.onnx!, { dtype: 'float64' });
    try {
      const ids = (n: number) => BigInt64Array.from({ length: n }, () => 1n);
      await expect(runLogits(session, ids(CONTEXT + 1), 1, CONTEXT + 1, { context: CONTEXT })).rejects.toThrow(ContextLengthError);
      await expect(runLogits(session, ids(CONTEXT + 1), 1, CONTEXT + 1, { context: CONTEXT })).rejects.toThrow(`an input of ${CONTEXT + 1} tokens would take ${CONTEXT + 1} positions, but the model's context is ${CONTEXT}`);
      // Without the check ORT itself fails on the same input, with its own message.
      await expect(runLogits(session, ids(CONTEXT + 1), 1, CONTEXT + 1)).rejects.not.toThrow(ContextLengthError);
      const fits = await runLogits(session, ids(CONTEXT), 1, CONTEXT, { context: CONTEXT });
      expect(fits.data[(CONTEXT - 1) * 3 + 2]).toBe(3);
      // Greedy decoding counts the steps: the last one reads prompt + steps − 1 positions.
      await expect(greedyDecode(session, [[1, 1]], CONTEXT, { context: CONTEXT })).rejects.toThrow(ContextLengthError);
      const decoded = await greedyDecode(session, [[1, 2]], CONTEXT - 1, { context: CONTEXT });
      expect(decoded.tokens[0]![0]).toBe(2);
    } finally {
      await session.release();
    }
  });
});
