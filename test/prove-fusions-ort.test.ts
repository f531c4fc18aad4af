// The float32 rounding model charges a MatMul per term only where ONNX Runtime cannot fuse it with
// a neighbour (src/prove/graph/fusions.ts): that list is a claim about ORT's optimiser, written from
// its fusion rules. Here the optimiser itself is asked: every shipped adder is optimised at the
// level openSession uses for its dtype (written out with optimizedModelFilePath), and each MatMul
// the prover treats as plain must still be a plain MatMul, under its own name, in what ORT runs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { findFusions } from '../src/prove/graph/fusions.ts';
import { shippedDesigns } from '../scripts/shipped-designs.ts';

async function optimisedOps(bytes: Uint8Array, dtype: 'float32' | 'float64'): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'handwire-fusions-'));
  try {
    const file = join(dir, 'optimised.onnx');
    const s = await InferenceSession.create(Buffer.from(bytes), {
      graphOptimizationLevel: dtype === 'float64' ? 'basic' : 'all', // as src/runtime/session.ts
      optimizedModelFilePath: file,
      logSeverityLevel: 3,
    });
    await s.release();
    const graph = fromBinary(ModelProtoSchema, readFileSync(file)).graph!;
    return new Map(graph.node.map((n) => [n.name, n.opType]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const adders = shippedDesigns().filter((p) => p.startsWith('examples/adder/') && !p.includes('anylen'));

describe('MatMuls the prover bounds per term stay plain MatMuls in ORT', () => {
  it('covers the adders', () => expect(adders.length).toBeGreaterThanOrEqual(8));
  for (const path of adders) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${path} ${dtype}`, async () => {
        const out = compileSource(readFileSync(path, 'utf8'), { dtype });
        if (!out.ir || !out.onnx) throw new Error(`${path} does not compile`);
        const plain = [...findFusions(out.ir).plainMatMul].map((i) => out.ir!.nodes[i]!.name);
        const ops = await optimisedOps(out.onnx, dtype);
        for (const name of plain) expect({ name, op: ops.get(name) }).toEqual({ name, op: 'MatMul' });
        // Every design has a plain head or projection, so the claim is exercised.
        expect(plain.length).toBeGreaterThan(0);
      });
    }
  }
});
