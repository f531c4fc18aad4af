// Abstract values flowing through the graph: affine float tensors, exact integer tensors (shapes,
// indices) and the token sets of `input_ids`.
import { AffineTensor, reindex } from '../domains/affine-tensor.ts';
import type { Layout } from '../ops/layouts.ts';

export type Value =
  | { kind: 'float'; t: AffineTensor }
  | { kind: 'int'; shape: number[]; data: number[] }
  /** Token sets as bitmasks (bit t set: token t possible); row = (sequence, position) id. */
  | { kind: 'tokens'; shape: number[]; sets: Int32Array; row: Int32Array };

/** Token sets are bitmasks in an int32. */
export const MAX_VOCAB = 30;

export function shapeOfValue(v: Value): number[] {
  return v.kind === 'float' ? v.t.shape : v.shape;
}

export function applyLayout(v: Value, l: Layout): Value {
  switch (v.kind) {
    case 'float':
      return { kind: 'float', t: reindex(v.t, l.shape, l.index) };
    case 'int':
      return { kind: 'int', shape: l.shape, data: Array.from(l.index, (i) => v.data[i]!) };
    case 'tokens':
      return { kind: 'tokens', shape: l.shape, sets: l.index.map((i) => v.sets[i]!), row: l.index.map((i) => v.row[i]!) };
  }
}
