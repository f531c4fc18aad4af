// Whole-graph bounds against the real runtime: for random token sets (some positions fixed, some
// free), concrete sequences drawn from the sets are run through onnxruntime, and every logit at the
// last position, and every difference of two logits, must lie inside the bounds computed for the
// sets. Both the planned evaluation (last row only, positionwise basis) and the plain full
// evaluation are checked, in float64 and float32.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceSession } from 'onnxruntime-node';
import { compileSource } from '../src/compile.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { differenceBounds } from '../src/prove/search/certify.ts';
import { GraphBounds } from '../src/prove/graph/ir-bounds.ts';
import { ProofLimit } from '../src/prove/domains/affine-tensor.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';

const EXAMPLES = ['adder-10p-rope19', 'adder-130p-nanogpt-sinpe11'];
const DTYPES: FloatDType[] = ['float64', 'float32'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Loaded {
  bounds: GraphBounds;
  session: InferenceSession;
  promptLength: number;
  decode: number;
}

const loaded = new Map<string, Loaded>();

beforeAll(async () => {
  for (const name of EXAMPLES) {
    for (const dtype of DTYPES) {
      const out = compileSource(readFileSync(`examples/adder/${name}.hw`, 'utf8'), { dtype });
      const { session } = await openSession(out.onnx!, { dtype });
      loaded.set(`${name}/${dtype}`, { bounds: new GraphBounds(out.ir!), session, promptLength: out.model!.task!.prompt.length, decode: out.model!.task!.decode });
    }
  }
});

afterAll(async () => {
  for (const l of loaded.values()) await l.session.release();
});

/** Random sets: each position fixed to one digit, or a random subset, or every digit. */
function randomSets(r: () => number, length: number): Int32Array {
  const sets = new Int32Array(length);
  for (let p = 0; p < length; p++) {
    const u = r();
    if (u < 0.4) sets[p] = 1 << Math.floor(r() * 10);
    else if (u < 0.7) sets[p] = 1 + Math.floor(r() * 1023);
    else sets[p] = 1023;
  }
  // The query position is usually fixed in a proof; sometimes not, to test that too.
  if (r() < 0.8) sets[length - 1] = 1 << Math.floor(r() * 10);
  return sets;
}

function draw(r: () => number, sets: Int32Array): number[] {
  return Array.from(sets, (m) => {
    const options = [];
    for (let t = 0; t < 10; t++) if (m & (1 << t)) options.push(t);
    return options[Math.floor(r() * options.length)]!;
  });
}

describe.each(EXAMPLES)('%s: bounds contain the runtime logits', (name) => {
  it.each(DTYPES)('%s', async (dtype) => {
    const l = loaded.get(`${name}/${dtype}`)!;
    const r = rng(name.length * 1000 + dtype.length);
    let checked = 0;
    let refused = 0;
    for (const step of [0, 1, 5, l.decode - 1, 2, 3, 7, 8]) {
      const length = l.promptLength + step;
      const batch = 3;
      const sets = new Int32Array(batch * length);
      for (let b = 0; b < batch; b++) sets.set(randomSets(r, length), b * length);
      let planned, plain;
      try {
        planned = l.bounds.evaluate(sets, batch);
        plain = l.bounds.evaluate(sets, batch, { full: true });
      } catch (e) {
        // Bounds that cannot be computed (an exponential that may or may not overflow, say) make
        // no claim; they must be the exception, not the rule (checked below).
        if (!(e instanceof ProofLimit)) throw e;
        refused++;
        continue;
      }
      expect(planned.shape).toEqual([batch, 1, 10]);
      const draws = 12;
      const seqs: number[][] = [];
      for (let b = 0; b < batch; b++) for (let d = 0; d < draws; d++) seqs.push(draw(r, sets.subarray(b * length, (b + 1) * length)));
      const ids = BigInt64Array.from(seqs.flat().map(BigInt));
      const { data, vocab } = await runLogits(l.session, ids, seqs.length, length);
      seqs.forEach((_, i) => {
        const b = Math.floor(i / draws);
        const logit = (t: number) => data[(i * length + length - 1) * vocab + t]!;
        for (const bounds of [planned, plain]) {
          for (let t = 0; t < vocab; t++) {
            const e = b * vocab + t;
            if (!(bounds.lo(e) <= logit(t) && logit(t) <= bounds.hi(e))) {
              throw new Error(`step ${step} seq ${i} logit ${t} = ${logit(t)} outside [${bounds.lo(e)}, ${bounds.hi(e)}]`);
            }
            for (let d = 0; d < vocab; d++) {
              const { lo, hi } = differenceBounds(bounds, e, b * vocab + d);
              const diff = logit(t) - logit(d);
              if (!(lo <= diff && diff <= hi)) throw new Error(`step ${step} seq ${i}: ℓ${t} − ℓ${d} = ${diff} outside [${lo}, ${hi}]`);
            }
          }
          checked++;
        }
      });
    }
    expect(refused).toBeLessThanOrEqual(3);
    expect(checked).toBe((8 - refused) * 3 * 12 * 2);
  });
});

describe('bounds are tight where the inputs are fixed', () => {
  it.each(EXAMPLES)('%s, float64: a fixed sequence gives logits within 1e-6', (name) => {
    const l = loaded.get(`${name}/float64`)!;
    const sets = new Int32Array(l.promptLength + 3).fill(1 << 3);
    const out = l.bounds.evaluate(sets, 1);
    for (let t = 0; t < 10; t++) expect(out.radius(t)).toBeLessThan(1e-6);
  });
});
