// Loops: `repeat` lowered to one ONNX Loop (opset 17) and unrolled, compared with each other and
// with a float64 evaluation of the same circuit written here from the math; the file size does not
// depend on the count; `repeat … until` halts per position; counts from formulas; the audit counts
// a body once; the decode graph of a looped model; the checker's errors for misuse.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from 'onnxruntime-node';
import { checkSource, compileDecodeGraph, compileSource } from '../src/compile.ts';
import { modelToIr } from '../src/ir/model-to-ir.ts';
import { irToOnnx } from '../src/onnx/ir-to-onnx.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { decodeLayout, emptyCache } from '../src/runtime/incremental.ts';

const VOCAB = 10;
const W = 0.5;

/** acc += 0.5 · (mean of acc over positions ≤ p) (uniform causal attention), then
 * acc += relu(w · tok) − relu(acc − 3) (an MLP that also pulls big values back). */
function source(count: string, opts: { until?: string; dtype?: string; lets?: string } = {}): string {
  return `model looped {
  vocab ${VOCAB}
  dtype ${opts.dtype ?? 'float64'}
  residual [tok, acc]
  param w = ${W}
  ${opts.lets ?? ''}
  embed E[d] = [d, 0]
  repeat ${count}${opts.until ? ` until ${opts.until}` : ''} {
    layer {
      attention { heads 1, dim 1, q = [0], k = [0], v = [acc], causal, write acc += 0.5 out[0] }
      mlp {
        act relu
        in = [w tok, acc - 3]
        write acc += h[0] - h[1]
      }
    }
  }
  head = [(d + 1) acc - d tok for d in 0..${VOCAB - 1}]
  context 8
}`;
}

/** The same circuit in float64, from the comment above: logits [batch, seq, vocab]. With `halt`,
 * a position whose acc is above it keeps its residual, checked before each application. */
function reference(ids: number[][], times: number, halt?: number): number[][][] {
  return ids.map((row) => {
    const tok = row.slice();
    let acc = row.map(() => 0);
    for (let r = 0; r < times; r++) {
      const frozen = acc.map((a) => halt !== undefined && a > halt);
      const mixed = acc.map((_, p) => acc[p] + 0.5 * (acc.slice(0, p + 1).reduce((s, x) => s + x, 0) / (p + 1)));
      const next = mixed.map((a, p) => a + Math.max(0, W * tok[p]) - Math.max(0, a - 3));
      acc = acc.map((a, p) => (frozen[p] ? a : next[p]));
    }
    return row.map((_, p) => Array.from({ length: VOCAB }, (_, d) => (d + 1) * acc[p] - d * tok[p]));
  });
}

const IDS = [
  [1, 2, 3, 9, 0, 5, 7],
  [9, 9, 9, 9, 9, 9, 9],
  [0, 0, 0, 0, 0, 0, 1],
];

async function logits(onnx: Uint8Array, dtype: 'float32' | 'float64', ids = IDS): Promise<number[][][]> {
  const { session } = await openSession(onnx, { dtype });
  const seq = ids[0].length;
  const r = await runLogits(session, BigInt64Array.from(ids.flat(), BigInt), ids.length, seq);
  return ids.map((_, b) => Array.from({ length: seq }, (_, p) => Array.from(r.data.subarray((b * seq + p) * VOCAB, (b * seq + p + 1) * VOCAB))));
}

function maxRelativeError(got: number[][][], want: number[][][]): number {
  let worst = 0;
  got.flat(2).forEach((g, i) => {
    const w = want.flat(2)[i];
    worst = Math.max(worst, Math.abs(g - w) / Math.max(1, Math.abs(w)));
  });
  return worst;
}

function compiled(src: string): { onnx: Uint8Array; unrolled: Uint8Array; loops: number } {
  const c = compileSource(src);
  if (!c.onnx || !c.model) throw new Error(c.diagnostics.map((d) => d.message).join('; '));
  const unrolled = irToOnnx(modelToIr(c.model, { loops: 'unroll' }));
  return { onnx: c.onnx, unrolled, loops: c.model.loops?.length ?? 0 };
}

const workDir = mkdtempSync(join(tmpdir(), 'handwire-loops-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Debian's onnx checker (full check), as in ir-to-onnx.test.ts: '' when the model passes. */
function onnxCheck(bytes: Uint8Array, name: string): string {
  const file = join(workDir, `${name}.onnx`);
  writeFileSync(file, bytes);
  const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file], { encoding: 'utf8' });
  return r.status === 0 ? '' : (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ');
}

function loopNodes(onnx: Uint8Array): number {
  return Buffer.from(onnx).toString('latin1').split('Loop').length - 1;
}

describe('repeat lowered to ONNX Loop', () => {
  it('repeat 16: Loop and unrolled give the float64 reference logits (≤ 1e-12) and pass the checker', async () => {
    const m = compiled(source('16'));
    expect(m.loops).toBe(1);
    expect(loopNodes(m.onnx)).toBeGreaterThan(0);
    expect(loopNodes(m.unrolled)).toBe(0);
    expect(m.unrolled.length).toBeGreaterThan(4 * m.onnx.length);
    expect(onnxCheck(m.onnx, 'loop16')).toBe('');
    expect(onnxCheck(m.unrolled, 'unrolled16')).toBe('');
    const want = reference(IDS, 16);
    const viaLoop = await logits(m.onnx, 'float64');
    const unrolled = await logits(m.unrolled, 'float64');
    expect(maxRelativeError(viaLoop, want)).toBeLessThanOrEqual(1e-12);
    expect(maxRelativeError(unrolled, want)).toBeLessThanOrEqual(1e-12);
    expect(viaLoop).toEqual(unrolled);
  });

  it('the ONNX file has the same byte size for repeat 4 and repeat 64', () => {
    const four = compileSource(source('4')).onnx!;
    const sixtyFour = compileSource(source('64')).onnx!;
    expect(sixtyFour.length).toBe(four.length);
    expect(Buffer.from(sixtyFour).equals(Buffer.from(four))).toBe(false); // the trip count differs
  });

  it('runs in float32 too, and passes the checker', async () => {
    const m = compiled(source('16', { dtype: 'float32' }));
    expect(onnxCheck(m.onnx, 'loop16f32')).toBe('');
    const viaLoop = await logits(m.onnx, 'float32');
    expect(maxRelativeError(viaLoop, reference(IDS, 16))).toBeLessThan(1e-4);
    expect(viaLoop).toEqual(await logits(m.unrolled, 'float32'));
  });

  it('a count given by a let formula is the same model as the literal', () => {
    const byLet = compileSource(source('steps', { lets: 'let steps = 2 ^ 3 - 1' })).onnx!;
    expect(Buffer.from(byLet).equals(Buffer.from(compileSource(source('7')).onnx!))).toBe(true);
  });

  it('params counts the body once, whatever the count', () => {
    const a = checkSource(source('4')).model!;
    const b = checkSource(source('64')).model!;
    expect(a.audit!.adderboard).toBe(1); // w
    expect(b.audit!.adderboard).toBe(1);
    expect(b.audit!.strict).toBe(a.audit!.strict);
    expect(b.audit!.tensors.length).toBe(a.audit!.tensors.length);
    // A halting test's numbers are listed once too, as weights.
    const halting = checkSource(source('64', { until: 'acc > 4' })).model!.audit!;
    expect(halting.tensors.filter((t) => t.name.includes('until')).map((t) => [t.name, t.entries])).toEqual([['layer0.until.weight', 2], ['layer0.until.bias', 1]]);
    expect(halting.tensors.length).toBe(a.audit!.tensors.length + 2);
  });
});

describe('repeat … until (per-position halting)', () => {
  it('halts each position on its own, agrees with the reference in float64 and float32, passes the checker', async () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const m = compiled(source('12', { until: 'acc > 4', dtype }));
      expect(onnxCheck(m.onnx, `until-${dtype}`)).toBe('');
      expect(onnxCheck(m.unrolled, `until-unrolled-${dtype}`)).toBe('');
      const want = reference(IDS, 12, 4);
      const viaLoop = await logits(m.onnx, dtype);
      expect(maxRelativeError(viaLoop, want)).toBeLessThanOrEqual(dtype === 'float64' ? 1e-12 : 1e-4);
      expect(viaLoop).toEqual(await logits(m.unrolled, dtype));
    }
    // The test itself: halting changes the result here (else it could not fail).
    expect(maxRelativeError(reference(IDS, 12, 4), reference(IDS, 12))).toBeGreaterThan(0.1);
  });

  it('a row is not changed by the rows batched with it', async () => {
    const m = compiled(source('12', { until: 'acc > 4' }));
    const together = await logits(m.onnx, 'float64');
    for (let b = 0; b < IDS.length; b++) expect(await logits(m.onnx, 'float64', [IDS[b]])).toEqual([together[b]]);
  });

  it('a loop that never halts stops at its maximum', async () => {
    const m = compiled(source('5', { until: 'acc > 1e9' }));
    expect(maxRelativeError(await logits(m.onnx, 'float64'), reference(IDS, 5))).toBeLessThanOrEqual(1e-12);
  });

  it('< and >= read as their mirror images', async () => {
    const lt = compiled(source('12', { until: '4 < acc' }));
    expect(maxRelativeError(await logits(lt.onnx, 'float64'), reference(IDS, 12, 4))).toBeLessThanOrEqual(1e-12);
  });
});

describe('the incremental decode graph of a looped model (unrolled there)', () => {
  it('passes the checker, and its prefill gives the full graph last-position logits', async () => {
    for (const until of [undefined, 'acc > 4']) {
      const c = compileSource(source('6', { until }));
      const decode = compileDecodeGraph(c.model!);
      if (!('onnx' in decode)) throw new Error(decode.reason);
      expect(loopNodes(decode.onnx)).toBe(0);
      expect(onnxCheck(decode.onnx, `decode-${until ? 'until' : 'plain'}`)).toBe('');
      const { session } = await openSession(decode.onnx, { dtype: 'float64' });
      const feeds: Record<string, Tensor> = {
        input_ids: new Tensor('int64', BigInt64Array.from(IDS.flat(), BigInt), [IDS.length, IDS[0].length]),
        position: new Tensor('int64', BigInt64Array.of(0n), [1]),
      };
      // Empty caches in the layout the graph declares (positions on axis 2 or 3).
      const layout = decodeLayout(session);
      expect(layout.caches.length).toBeGreaterThan(0);
      for (const c of layout.caches) feeds[c.past] = emptyCache(layout.float, IDS.length, c);
      const out = await session.run(feeds);
      const last = Array.from(out['logits'].data as Float64Array);
      const want = reference(IDS, 6, until ? 4 : undefined).flatMap((row) => row[row.length - 1]);
      last.forEach((v, i) => expect(Math.abs(v - want[i]) / Math.max(1, Math.abs(want[i]))).toBeLessThanOrEqual(1e-12));
    }
  });
});

describe('checker errors for loops', () => {
  const codes = (src: string) => checkSource(src).diagnostics.map((d) => [d.code, d.span.line, d.message] as const);
  const lineOf = (src: string, needle: string) => src.slice(0, src.indexOf(needle)).split('\n').length;

  it('a count that is not a whole number, or out of range', () => {
    const half = source('2.5');
    expect(codes(half)).toEqual([['HW021', lineOf(half, 'repeat'), 'a repeat count must be a whole number, not 2.5']]);
    const zero = source('0');
    expect(codes(zero)[0].slice(0, 2)).toEqual(['HW016', lineOf(zero, 'repeat')]);
  });

  it('a halting condition that is not a comparison, or whose sides are not one linear value', () => {
    const notCompare = source('4', { until: 'acc' });
    expect(codes(notCompare).map((c) => c[0])).toEqual(['HW021']);
    const wide = source('4', { until: '[acc, tok] > 1' });
    expect(codes(wide).map((c) => c[0])).toEqual(['HW013']);
    const square = source('4', { until: 'acc^2 > 1' });
    expect(codes(square).map((c) => c[0])).toEqual(['HW018']);
  });
});
