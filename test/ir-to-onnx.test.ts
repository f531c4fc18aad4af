// IR → ONNX → onnxruntime, end to end: hand-built IR graphs in the shapes the compiler emits are
// serialised, validated with Debian's onnx checker, run in ORT and compared with float64 values
// computed here. Also covers the runtime helpers (CUDA fallback, greedy decoding).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { AttributeProto_AttributeType, ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FloatDType, IrConst, IrGraph, IrNode } from '../src/ir/types.ts';
import { irToOnnx } from '../src/onnx/ir-to-onnx.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { mulberry32 } from '../src/util/rng.ts';

const DTYPES: FloatDType[] = ['float32', 'float64'];
// float64 graphs must match a float64 reference to rounding noise; float32 to float32 precision.
const TOL: Record<FloatDType, number> = { float32: 1e-6, float64: 1e-12 };

// ---------------------------------------------------------------- helpers

/** Seeded, so failures reproduce. */
const rng = mulberry32;

function randn(r: () => number, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

function fconst(name: string, shape: number[], data: number[], doc?: string): IrConst {
  return { name, elem: 'float', shape, data: Float64Array.from(data), role: 'weight', ...(doc ? { doc } : {}) };
}

function iconst(name: string, shape: number[], data: number[]): IrConst {
  return { name, elem: 'int64', shape, data: BigInt64Array.from(data.map(BigInt)), role: 'structural' };
}

function node(op: IrNode['op'], name: string, inputs: string[], outputs: string[], attrs?: IrNode['attrs']): IrNode {
  return { op, name, inputs, outputs, ...(attrs ? { attrs } : {}) };
}

function floatTensor(dtype: FloatDType, data: number[], dims: number[]): Tensor {
  return dtype === 'float32'
    ? new Tensor('float32', Float32Array.from(data), dims)
    : new Tensor('float64', Float64Array.from(data), dims);
}

function idsTensor(ids: number[], dims: number[]): Tensor {
  return new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), dims);
}

/** Elementwise relative comparison; the floor keeps near-zero references from demanding exactness. */
function expectClose(got: ArrayLike<number>, want: number[], rel: number): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(...want.map(Math.abs), 1e-300);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), scale * 1e-3);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `worst relative error at ${at}: got ${got[at]}, want ${want[at]}`).toBeLessThanOrEqual(rel);
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

// ---------------------------------------------------------------- Debian's onnx checker

// Debian's python3-onnx lives under /usr/bin/python3; `python3` on PATH may be a pyenv
// interpreter without onnx, so the path is explicit.
const DEBIAN_PYTHON = '/usr/bin/python3';
const CHECK_SCRIPT = 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)';

let workDir = '';
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'handwire-onnx-'));
});
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function requireChecker(): void {
  const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    // Fail loudly: skipping would let invalid models through CI unnoticed.
    throw new Error(
      `Debian's onnx checker is unavailable (${DEBIAN_PYTHON} -c 'import onnx' failed: ` +
        `${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()}). ` +
        'Install it with: apt-get install -y python3-onnx python3-numpy',
    );
  }
}

/** Runs the checker; returns '' when the model passes, else its error (after the traceback). */
function onnxCheck(bytes: Uint8Array, name: string): string {
  requireChecker();
  const file = join(workDir, `${name}.onnx`);
  writeFileSync(file, bytes);
  const r = spawnSync(DEBIAN_PYTHON, ['-c', CHECK_SCRIPT, file], { encoding: 'utf8' });
  if (r.status === 0) return '';
  const lines = (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n');
  const first = lines.findIndex((l) => /Error: /.test(l));
  return lines.slice(Math.max(first, 0)).filter((l) => l.trim()).join(' ');
}

// ---------------------------------------------------------------- graphs

const V = 7; // vocabulary
const D = 4; // model width
const MAXLEN = 8;

const r = rng(12345);
const EMB0 = randn(r, V * D); // [V, D]
const W0 = randn(r, D * V); // [D, V]
const B0 = randn(r, V, 0.5); // [V]
const POS0 = randn(r, MAXLEN * D); // [MAXLEN, D]
const GAMMA0 = randn(r, 5, 2); // RMS gain, width 5

/** Gather(embedding) → MatMul → Add → Softmax, output named `logits` so runLogits can read it. */
function embedSoftmaxGraph(dtype: FloatDType): IrGraph {
  return {
    name: 'embed_softmax',
    dtype,
    inputs: [{ name: 'input_ids', elem: 'int64', shape: ['batch', 'seq'] }],
    outputs: [{ name: 'logits', elem: 'float', shape: ['batch', 'seq', V] }],
    consts: [
      fconst('emb', [V, D], EMB0, 'token embedding'),
      fconst('w_out', [D, V], W0),
      fconst('b_out', [V], B0),
    ],
    nodes: [
      { ...node('Gather', 'embed', ['emb', 'input_ids'], ['h'], { axis: 0 }), doc: 'look up tokens', source: { line: 3, col: 5 } },
      node('MatMul', 'unembed', ['h', 'w_out'], ['z']),
      node('Add', 'bias', ['z', 'b_out'], ['zb']),
      node('Softmax', 'softmax', ['zb'], ['logits'], { axis: -1 }),
    ],
    metadata: { zeta: 'last', alpha: 'first', 'handwire.task': 'test' },
    doc: 'embedding → softmax',
  };
}

/**
 * Values as a model of this dtype holds them. References are computed in float64 from these, so the
 * tolerance measures the runtime's arithmetic, not the (intended) rounding of constants to float32,
 * which cancellation can magnify far beyond one float32 ULP of the result.
 */
function held(dtype: FloatDType, a: number[]): number[] {
  return dtype === 'float32' ? a.map(Math.fround) : a;
}

function embedSoftmaxRef(dtype: FloatDType, ids: number[]): number[] {
  const [EMB, W, B] = [held(dtype, EMB0), held(dtype, W0), held(dtype, B0)];
  const out: number[] = [];
  for (const id of ids) {
    const z: number[] = [];
    for (let j = 0; j < V; j++) {
      let s = B[j]!;
      for (let k = 0; k < D; k++) s += EMB[id * D + k]! * W[k * V + j]!;
      z.push(s);
    }
    out.push(...softmax(z));
  }
  return out;
}

const EPS0 = 1e-6;
/** RMS norm as the compiler lowers it at opset 17: ReduceMean takes `axes` as an attribute. */
function rmsGraph(dtype: FloatDType): IrGraph {
  return {
    name: 'rms_norm',
    dtype,
    inputs: [{ name: 'x', elem: 'float', shape: ['batch', 'seq', 5] }],
    outputs: [{ name: 'y', elem: 'float', shape: ['batch', 'seq', 5] }],
    consts: [fconst('eps', [], [EPS0]), fconst('gamma', [5], GAMMA0)],
    nodes: [
      node('Mul', 'sq', ['x', 'x'], ['x2']),
      node('ReduceMean', 'mean_sq', ['x2'], ['ms'], { axes: [-1], keepdims: 1 }),
      node('Add', 'add_eps', ['ms', 'eps'], ['mse']),
      node('Sqrt', 'rms', ['mse'], ['rms']),
      node('Div', 'normalise', ['x', 'rms'], ['xn']),
      node('Mul', 'gain', ['xn', 'gamma'], ['y']),
    ],
    metadata: {},
  };
}

function rmsRef(dtype: FloatDType, x0: number[]): number[] {
  const [x, GAMMA, [EPS]] = [held(dtype, x0), held(dtype, GAMMA0), held(dtype, [EPS0])];
  const out: number[] = [];
  for (let i = 0; i < x.length; i += 5) {
    const row = x.slice(i, i + 5);
    const rms = Math.sqrt(row.reduce((a, v) => a + v * v, 0) / 5 + EPS);
    out.push(...row.map((v, j) => (v / rms) * GAMMA[j]!));
  }
  return out;
}

/**
 * Token embedding plus a positional table sliced to the runtime sequence length, as the compiler
 * does: Shape(input_ids) → Slice → seq, then Slice(pos, 0, seq). The result is scaled by
 * Cast(seq, to='float') to exercise Cast with the IR's element-type spelling of `to`.
 * `shapeAttrs` uses Shape's start/end attributes (opset 15+) instead of the first Slice.
 */
function positionalGraph(dtype: FloatDType, shapeAttrs = false): IrGraph {
  const seqNodes: IrNode[] = shapeAttrs
    ? [node('Shape', 'seq_len', ['input_ids'], ['seq_len'], { start: 1, end: 2 })]
    : [
        node('Shape', 'ids_shape', ['input_ids'], ['ids_shape']),
        node('Slice', 'seq_len', ['ids_shape', 'one', 'two'], ['seq_len']),
      ];
  return {
    name: 'positional',
    dtype,
    inputs: [{ name: 'input_ids', elem: 'int64', shape: ['batch', 'seq'] }],
    outputs: [{ name: 'out', elem: 'float', shape: ['batch', 'seq', D] }],
    consts: [
      fconst('emb', [V, D], EMB0),
      { ...fconst('pos', [MAXLEN, D], POS0, 'positional table'), role: 'encoding' },
      iconst('zero', [1], [0]),
      iconst('one', [1], [1]),
      iconst('two', [1], [2]),
    ],
    nodes: [
      ...seqNodes,
      node('Slice', 'pos_slice', ['pos', 'zero', 'seq_len', 'zero'], ['p']),
      node('Gather', 'embed', ['emb', 'input_ids'], ['e'], { axis: 0 }),
      node('Add', 'add_pos', ['e', 'p'], ['ep']),
      node('Cast', 'seq_float', ['seq_len'], ['seq_f'], { to: 'float' }),
      node('Mul', 'scale', ['ep', 'seq_f'], ['out']),
    ],
    metadata: {},
  };
}

function positionalRef(dtype: FloatDType, ids: number[], seq: number): number[] {
  const [EMB, POS] = [held(dtype, EMB0), held(dtype, POS0)];
  const out: number[] = [];
  ids.forEach((id, i) => {
    const t = i % seq;
    for (let k = 0; k < D; k++) out.push((EMB[id * D + k]! + POS[t * D + k]!) * seq);
  });
  return out;
}

async function run(graph: IrGraph, feeds: Record<string, Tensor>, output: string): Promise<ArrayLike<number>> {
  const { session } = await openSession(irToOnnx(graph), { dtype: graph.dtype });
  try {
    const out = await session.run(feeds);
    const t = out[output]!;
    expect(t.type).toBe(graph.dtype);
    return t.data as Float32Array | Float64Array;
  } finally {
    await session.release();
  }
}

// ---------------------------------------------------------------- tests

describe.each(DTYPES)('irToOnnx in %s', (dtype) => {
  it('embedding → MatMul → Add → Softmax matches the float64 reference', async () => {
    const ids = [0, 3, 6, 1, 2, 5, 4, 4, 0, 6, 1, 2]; // batch 3, seq 4
    const { session } = await openSession(irToOnnx(embedSoftmaxGraph(dtype)), { dtype });
    const { data, vocab } = await runLogits(session, BigInt64Array.from(ids.map(BigInt)), 3, 4);
    await session.release();
    expect(vocab).toBe(V);
    expect(data).toBeInstanceOf(dtype === 'float32' ? Float32Array : Float64Array);
    expectClose(data, embedSoftmaxRef(dtype, ids), TOL[dtype]);
  });

  it('RMS norm (ReduceMean with axes attribute, Sqrt, Div) matches', async () => {
    const x = randn(rng(7), 2 * 3 * 5, 3);
    const got = await run(rmsGraph(dtype), { x: floatTensor(dtype, x, [2, 3, 5]) }, 'y');
    expectClose(got, rmsRef(dtype, x), TOL[dtype]);
  });

  it.each([false, true])('positional table sliced by runtime seq (Shape start/end attrs: %s)', async (shapeAttrs) => {
    for (const seq of [1, 5, MAXLEN]) {
      const ids = Array.from({ length: 2 * seq }, (_, i) => (i * 3) % V);
      const got = await run(positionalGraph(dtype, shapeAttrs), { input_ids: idsTensor(ids, [2, seq]) }, 'out');
      expectClose(got, positionalRef(dtype, ids, seq), TOL[dtype]);
    }
  });

  it("passes Debian's onnx checker (full_check)", () => {
    const graphs = [embedSoftmaxGraph(dtype), rmsGraph(dtype), positionalGraph(dtype), positionalGraph(dtype, true)];
    graphs.forEach((g, i) => {
      expect(onnxCheck(irToOnnx(g), `${g.name}-${dtype}-${i}`), g.name).toBe('');
    });
  });

  it('is deterministic: same graph → identical bytes, independent of key insertion order', () => {
    const a = irToOnnx(embedSoftmaxGraph(dtype));
    const b = irToOnnx(embedSoftmaxGraph(dtype));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // The same graph with metadata and attribute keys inserted in another order.
    const g = rmsGraph(dtype);
    const g2: IrGraph = {
      ...g,
      metadata: { b: '2', a: '1' },
      nodes: g.nodes.map((n) => (n.attrs ? { ...n, attrs: Object.fromEntries(Object.entries(n.attrs).reverse()) } : n)),
    };
    const g1: IrGraph = { ...g, metadata: { a: '1', b: '2' } };
    expect(Buffer.from(irToOnnx(g1)).equals(Buffer.from(irToOnnx(g2)))).toBe(true);
  });
});

describe('irToOnnx encoding', () => {
  it('writes the model header, shapes, attributes, docs, metadata and constants as specified', () => {
    const g = embedSoftmaxGraph('float32');
    g.consts.push(iconst('idx', [2, 2], [-1, 2, 3, 2 ** 40]));
    g.nodes.push({
      ...node('Identity', 'extra', ['idx'], ['idx_copy'], { scale: 0.5, custom: 2, list: [1, 2], flist: [0.25, 3], mode: 'x' }),
      intAttrs: ['custom', 'list'],
      source: { line: 9, col: 2 },
    });
    const m = fromBinary(ModelProtoSchema, irToOnnx(g));
    expect(m.irVersion).toBe(8n);
    expect(m.opsetImport.map((o) => [o.domain, o.version])).toEqual([['', 17n]]);
    expect(m.producerName).toBe('handwire');
    expect(m.graph!.name).toBe('embed_softmax');
    expect(m.graph!.docString).toBe('embedding → softmax');
    expect(m.metadataProps.map((p) => p.key)).toEqual(['alpha', 'handwire.task', 'zeta']);

    const input = m.graph!.input[0]!;
    expect(input.type!.value.case).toBe('tensorType');
    const tt = input.type!.value.value as { elemType: number; shape: { dim: { value: { case: string; value: unknown } }[] } };
    expect(tt.elemType).toBe(TensorProto_DataType.INT64);
    expect(tt.shape.dim.map((d) => d.value)).toEqual([
      { case: 'dimParam', value: 'batch' },
      { case: 'dimParam', value: 'seq' },
    ]);
    const out = m.graph!.output[0]!.type!.value.value as typeof tt;
    expect(out.elemType).toBe(TensorProto_DataType.FLOAT);
    expect(out.shape.dim[2]!.value).toEqual({ case: 'dimValue', value: BigInt(V) });

    const nodes = m.graph!.node;
    expect(nodes[0]!.docString).toBe('look up tokens (3:5)');
    expect(nodes[0]!.attribute[0]).toMatchObject({ name: 'axis', type: AttributeProto_AttributeType.INT, i: 0n });
    const extra = nodes.find((n) => n.name === 'extra')!;
    expect(extra.docString).toBe('(9:2)');
    const attrs = Object.fromEntries(extra.attribute.map((a) => [a.name, a]));
    // Sorted by name.
    expect(extra.attribute.map((a) => a.name)).toEqual(['custom', 'flist', 'list', 'mode', 'scale']);
    expect(attrs['scale']).toMatchObject({ type: AttributeProto_AttributeType.FLOAT, f: 0.5 });
    expect(attrs['custom']).toMatchObject({ type: AttributeProto_AttributeType.INT, i: 2n });
    expect(attrs['list']).toMatchObject({ type: AttributeProto_AttributeType.INTS, ints: [1n, 2n] });
    expect(attrs['flist']).toMatchObject({ type: AttributeProto_AttributeType.FLOATS, floats: [0.25, 3] });
    expect(attrs['mode']!.type).toBe(AttributeProto_AttributeType.STRING);
    expect(new TextDecoder().decode(attrs['mode']!.s)).toBe('x');

    const emb = m.graph!.initializer.find((t) => t.name === 'emb')!;
    expect(emb.docString).toBe('token embedding');
    expect(emb.dims).toEqual([BigInt(V), BigInt(D)]);
    expect(emb.dataType).toBe(TensorProto_DataType.FLOAT);
    expect(emb.rawData.byteLength).toBe(V * D * 4);
    const embVals = new Float32Array(emb.rawData.slice().buffer);
    expect(Array.from(embVals)).toEqual(EMB0.map(Math.fround));
    const idx = m.graph!.initializer.find((t) => t.name === 'idx')!;
    expect(idx.dataType).toBe(TensorProto_DataType.INT64);
    expect(Array.from(new BigInt64Array(idx.rawData.slice().buffer))).toEqual([-1n, 2n, 3n, 2n ** 40n]);

    // float64: DOUBLE, values bit-exact.
    const m64 = fromBinary(ModelProtoSchema, irToOnnx(embedSoftmaxGraph('float64')));
    const emb64 = m64.graph!.initializer.find((t) => t.name === 'emb')!;
    expect(emb64.dataType).toBe(TensorProto_DataType.DOUBLE);
    expect(Array.from(new Float64Array(emb64.rawData.slice().buffer))).toEqual(EMB0);
    // Cast's `to` given as an element type resolves per dtype.
    const cast = (dtype: FloatDType) =>
      fromBinary(ModelProtoSchema, irToOnnx(positionalGraph(dtype))).graph!.node.find((n) => n.opType === 'Cast')!.attribute[0]!;
    expect(cast('float32')).toMatchObject({ type: AttributeProto_AttributeType.INT, i: BigInt(TensorProto_DataType.FLOAT) });
    expect(cast('float64')).toMatchObject({ type: AttributeProto_AttributeType.INT, i: BigInt(TensorProto_DataType.DOUBLE) });
  });

  it('writes only the view of a constant, not its whole underlying buffer', () => {
    const big = new Float64Array(100).map((_, i) => i);
    const g = rmsGraph('float64');
    g.consts[1] = { ...g.consts[1]!, data: big.subarray(10, 15) };
    const t = fromBinary(ModelProtoSchema, irToOnnx(g)).graph!.initializer.find((c) => c.name === 'gamma')!;
    expect(Array.from(new Float64Array(t.rawData.slice().buffer))).toEqual([10, 11, 12, 13, 14]);
  });

  it('rejects graphs that would be invalid ONNX, with the cause named', () => {
    const g = rmsGraph('float32');
    expect(() => irToOnnx({ ...g, nodes: [...g.nodes].reverse() })).toThrow(/not defined before this node/);
    expect(() => irToOnnx({ ...g, outputs: [{ name: 'nope', elem: 'float', shape: [] }] })).toThrow(/never produced/);
    const badAttr = { ...g, nodes: g.nodes.map((n) => (n.op === 'ReduceMean' ? { ...n, attrs: { axes: [-1.5] } } : n)) };
    expect(() => irToOnnx(badAttr)).toThrow(/axes must be an integer/);
    const huge = { ...g, consts: [fconst('eps', [], [1e300]), g.consts[1]!] };
    expect(() => irToOnnx(huge)).toThrow(/overflows float32/);
    expect(() => irToOnnx(huge)).toThrow(/eps/);
    expect(() => irToOnnx({ ...huge, dtype: 'float64' })).not.toThrow();
    const short = { ...g, consts: [g.consts[0]!, fconst('gamma', [5], [1, 2])] };
    expect(() => irToOnnx(short)).toThrow(/needs 5 values/);
  });

  it("the checker is live: it rejects ReduceSum with an axes attribute at opset 17", () => {
    // At opset 13–17 ReduceSum takes axes as an input (ReduceMean as an attribute): a real trap
    // the compiler must respect, and proof that the checker call can fail.
    const g = rmsGraph('float32');
    const bad = { ...g, nodes: g.nodes.map((n) => (n.op === 'ReduceMean' ? { ...n, op: 'ReduceSum' as const } : n)) };
    expect(onnxCheck(irToOnnx(bad), 'bad-reducesum')).toMatch(/Unrecognized attribute: axes for operator ReduceSum/);
  });
});

describe('runtime', () => {
  it('keeps float64 precision through MatMul followed by a constant Mul', async () => {
    // At ORT's default optimisation level this pair is fused with a float32 multiplier
    // (stack-notes); openSession must choose a level that keeps float64 exact.
    const c = 52.91764988494996;
    const w = randn(rng(3), 3 * 2);
    const g: IrGraph = {
      name: 'matmul_scale',
      dtype: 'float64',
      inputs: [{ name: 'x', elem: 'float', shape: ['batch', 3] }],
      outputs: [{ name: 'y', elem: 'float', shape: ['batch', 2] }],
      consts: [fconst('w', [3, 2], w), fconst('c', [], [c])],
      nodes: [node('MatMul', 'mm', ['x', 'w'], ['xw']), node('Mul', 'scale', ['xw', 'c'], ['y'])],
      metadata: {},
    };
    const x = randn(rng(4), 4 * 3);
    const want: number[] = [];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += x[i * 3 + k]! * w[k * 2 + j]!;
        want.push(s * c);
      }
    }
    const got = await run(g, { x: floatTensor('float64', x, [4, 3]) }, 'y');
    expectClose(got, want, 1e-14);
  });

  it("falls back to CPU with a one-line notice when CUDA can't be loaded", async () => {
    const bytes = irToOnnx(embedSoftmaxGraph('float32'));
    const opened = await openSession(bytes, { device: 'cuda', dtype: 'float32', threads: 1 });
    // This project installs onnxruntime-node without its CUDA files (allowScripts), so the provider
    // library is absent unless someone followed docs/cuda.md on a GPU machine.
    const binDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'));
    const cudaInstalled = existsSync(join(binDir, 'libonnxruntime_providers_cuda.so'));
    if (!cudaInstalled) {
      expect(opened.device).toBe('cpu');
      expect(opened.notice).toMatch(/^CUDA could not be loaded \(.+\).*docs\/cuda\.md/);
      expect(opened.notice).not.toContain('\n');
    } else if (opened.device === 'cpu') {
      expect(opened.notice).toMatch(/CUDA could not be loaded/);
    }
    const ids = [1, 2, 3];
    const { data } = await runLogits(opened.session, BigInt64Array.from(ids.map(BigInt)), 1, 3);
    expectClose(data, embedSoftmaxRef('float32', ids), 1e-6);
    await opened.session.release();
  });

  it('runLogits rejects ids that do not fill [batch, seq]', async () => {
    const { session } = await openSession(irToOnnx(embedSoftmaxGraph('float32')), { dtype: 'float32' });
    await expect(runLogits(session, new BigInt64Array(5), 2, 3)).rejects.toThrow(/do not fill/);
    await session.release();
  });
});

describe.each(DTYPES)('greedyDecode in %s', (dtype) => {
  // logits[b, t] = table[ids[b, t]] + posBias[t]: the next token depends on the last token and on
  // the position, so the answer changes if decoding does not recompute the grown sequence.
  const L = 12;
  const rr = rng(99);
  const table = randn(rr, V * V, 4);
  const posBias = randn(rr, L * V, 1);
  // Force an exact tie on token 5 at every position: index 1 and 4 share the maximum, so the
  // lowest index (1) must win with margin 0.
  table[5 * V + 1] = 10;
  table[5 * V + 4] = 10;
  for (let t = 0; t < L; t++) {
    posBias[t * V + 1] = 0;
    posBias[t * V + 4] = 0;
  }
  const graph: IrGraph = {
    name: 'greedy_toy',
    dtype,
    inputs: [{ name: 'input_ids', elem: 'int64', shape: ['batch', 'seq'] }],
    outputs: [{ name: 'logits', elem: 'float', shape: ['batch', 'seq', V] }],
    consts: [
      fconst('table', [V, V], table),
      fconst('pos_bias', [L, V], posBias),
      iconst('zero', [1], [0]),
      iconst('one', [1], [1]),
      iconst('two', [1], [2]),
    ],
    nodes: [
      node('Shape', 'ids_shape', ['input_ids'], ['ids_shape']),
      node('Slice', 'seq_len', ['ids_shape', 'one', 'two'], ['seq_len']),
      node('Slice', 'pos_slice', ['pos_bias', 'zero', 'seq_len', 'zero'], ['p']),
      node('Gather', 'lookup', ['table', 'input_ids'], ['tl'], { axis: 0 }),
      node('Add', 'add_pos', ['tl', 'p'], ['logits']),
    ],
    metadata: {},
  };
  const rnd = (x: number) => (dtype === 'float32' ? Math.fround(x) : x);

  function reference(prompt: number[], steps: number) {
    const seqn = [...prompt];
    const toks: number[] = [];
    const margins: number[] = [];
    const top1s: number[] = [];
    for (let s = 0; s < steps; s++) {
      const t = seqn.length - 1;
      const row = Array.from({ length: V }, (_, v) => rnd(rnd(table[seqn[t]! * V + v]!) + rnd(posBias[t * V + v]!)));
      let best = 0;
      for (let v = 1; v < V; v++) if (row[v]! > row[best]!) best = v;
      const sorted = [...row].sort((a, b) => b - a);
      toks.push(best);
      margins.push(sorted[0]! - sorted[1]!);
      top1s.push(sorted[0]!);
      seqn.push(best);
    }
    return { toks, margins, top1s };
  }

  it('matches a step-by-step reference across mixed prompt lengths and batch splits', async () => {
    const prompts = [[0], [3, 1], [5], [2, 6, 4], [6], [1, 1], [4], [5, 5]];
    const steps = 5;
    const { session } = await openSession(irToOnnx(graph), { dtype });
    const progress: [number, number][] = [];
    const res = await greedyDecode(session, prompts, steps, { batchSize: 2, onProgress: (d, t) => progress.push([d, t]) });
    await session.release();

    expect(res.margins.length).toBe(prompts.length * steps);
    prompts.forEach((p, i) => {
      const ref = reference(p, steps);
      expect(res.tokens[i], `prompt ${i}`).toEqual(ref.toks);
      // Logits are a single rounded Add, so they match the reference exactly in both dtypes.
      expect(Array.from(res.margins.subarray(i * steps, (i + 1) * steps))).toEqual(ref.margins);
      expect(Array.from(res.top1Logit.subarray(i * steps, (i + 1) * steps))).toEqual(ref.top1s);
    });
    // Token 5 as the last token → tie between 1 and 4, resolved to 1 with margin 0.
    expect(res.tokens[2]![0]).toBe(1);
    expect(res.margins[2 * steps]).toBe(0);
    expect(progress.at(-1)).toEqual([prompts.length * steps, prompts.length * steps]);
    expect(progress.map(([d]) => d)).toEqual([...progress.map(([d]) => d)].sort((a, b) => a - b));
  });

  it('returns empty results for zero steps and rejects empty prompts', async () => {
    const { session } = await openSession(irToOnnx(graph), { dtype });
    const res = await greedyDecode(session, [[1], [2]], 0);
    expect(res.tokens).toEqual([[], []]);
    expect(res.margins.length).toBe(0);
    await expect(greedyDecode(session, [[]], 2)).rejects.toThrow(/empty/);
    await session.release();
  });
});
