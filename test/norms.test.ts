// Post-norm blocks (`post NORM`: the residual is normalised after the block adds to it) and named
// norms (`let ln = layernorm(…)`, used in several places). The logits of a small float64 model are
// compared with the same forward pass written out in this file; misuse gives diagnostics at spans.
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';

const SOURCE = `
model postnorm {
  vocab 3
  dtype float64
  residual [a, b]
  let ln = layernorm(weight: [2, 1], bias: [0.5, -1], eps: 1e-5)
  embed E[d] = [d, 1]
  layer {
    mlp {
      act relu
      in = [a + b]
      write a += h[0]
      post ln
    }
    mlp {
      pre ln
      act identity
      in = [a]
      write b += h[0]
    }
  }
  final ln
  head = [a, b, a + b]
  context 4
}`;

/** layernorm(weight [2, 1], bias [0.5, −1], eps 1e-5) of a 2-vector, by its definition. */
function ln([x, y]: number[]): number[] {
  const mean = (x! + y!) / 2;
  const [cx, cy] = [x! - mean, y! - mean];
  const root = Math.sqrt((cx * cx + cy * cy) / 2 + 1e-5);
  return [(cx / root) * 2 + 0.5, (cy / root) * 1 - 1];
}

function expected(token: number): number[] {
  let r = [token, 1];
  r = ln([r[0]! + Math.max(0, r[0]! + r[1]!), r[1]!]); // block 1, then its post norm
  r = [r[0]!, r[1]! + ln(r)[0]!]; // block 2 reads its pre norm
  const f = ln(r);
  return [f[0]!, f[1]!, f[0]! + f[1]!];
}

describe('post-norm and named norms', () => {
  it('normalise the residual after the add, and the same norm serves as pre and final norm', async () => {
    const out = compileSource(SOURCE);
    expect(out.diagnostics).toEqual([]);
    const { session } = await openSession(out.onnx!, { dtype: 'float64' });
    try {
      const { data } = await runLogits(session, BigInt64Array.from([0n, 1n, 2n]), 1, 3);
      for (let t = 0; t < 3; t++) {
        const want = expected(t);
        for (let v = 0; v < 3; v++) expect(data[t * 3 + v]).toBeCloseTo(want[v]!, 12);
      }
    } finally {
      await session.release();
    }
  });

  it('a named norm whose weight does not fit a use is reported at the use, with the declaration', () => {
    const bad = SOURCE.replace('residual [a, b]', 'residual [a, b, c]').replace('embed E[d] = [d, 1]', 'embed E[d] = [d, 1, 0]');
    const d = compileSource(bad).diagnostics.filter((x) => x.code === 'HW013');
    expect(d.length).toBeGreaterThan(0);
    expect(d[0]!.message).toMatch(/the norm `ln` does not fit the post norm/);
    expect(bad.split('\n')[d[0]!.span.line - 1]).toMatch(/post ln/);
    expect(d[0]!.related?.[0]?.message).toBe('`ln` is declared here');
    expect(bad.split('\n')[d[0]!.related![0]!.span.line - 1]).toMatch(/let ln = layernorm/);
  });

  it('a norm read as a value, and a name that is no norm, are HW021 at the name', () => {
    const asValue = compileSource(SOURCE.replace('head = [a, b, a + b]', 'head = [a, b, ln a]'));
    const d = asValue.diagnostics.find((x) => x.code === 'HW021')!;
    expect(d.message).toBe('`ln` is a norm, not a value');
    expect(d.span.line).toBe(SOURCE.split('\n').findIndex((l) => l.includes('head =')) + 1);
    const unknown = compileSource(SOURCE.replace('final ln', 'final lm'));
    expect(unknown.diagnostics.find((x) => x.code === 'HW021')!.message).toBe('final norm: `lm` is not a norm');
  });
});
