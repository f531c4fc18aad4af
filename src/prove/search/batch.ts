// Bounding one batch of ready regions in a single graph evaluation and reading each region's
// decision off the bounded logits (certify.ts).
import { ProofLimit } from '../domains/affine-tensor.ts';
import type { GraphBounds } from '../graph/ir-bounds.ts';
import type { ProofSpec } from '../specs/spec.ts';
import { decide } from './certify.ts';

/** A region on the search's stack, with the splits it has had beyond the minimum. */
export interface Item<R> {
  region: R;
  extra: number;
}

export interface Undecided<R> {
  item: Item<R>;
  reason: string;
  /** The bounds show a wrong token wins for every input of the region. */
  certainlyWrong: boolean;
}

/** Bounds a batch of ready regions; reports certified ones and returns the others with a reason. */
export function evaluateBatch<R>(
  bounds: GraphBounds,
  spec: ProofSpec<R>,
  batch: Item<R>[],
  step: number,
  deadline: number,
  certified: (item: Item<R>, margin: number) => void,
): Undecided<R>[] {
  const sets = batch.map((item) => spec.tokenSets(item.region, step));
  const length = sets[0]!.length;
  const flat = new Int32Array(batch.length * length);
  sets.forEach((s, i) => flat.set(s, i * length));
  let logits;
  try {
    logits = bounds.evaluate(flat, batch.length, { deadline });
  } catch (e) {
    if (!(e instanceof ProofLimit)) throw e;
    // One region's bounds broke down (say, a norm's input range reaching 0): find which, by halves.
    if (batch.length === 1) return [{ item: batch[0]!, reason: e.message, certainlyWrong: false }];
    const half = Math.ceil(batch.length / 2);
    return [batch.slice(0, half), batch.slice(half)].flatMap((part) => evaluateBatch(bounds, spec, part, step, deadline, certified));
  }
  const undecided: Undecided<R>[] = [];
  batch.forEach((item, b) => {
    const t = spec.expected(item.region, step)!;
    const { margin, chosen, beaten } = decide(logits, b, t, bounds.model);
    if (chosen) certified(item, margin);
    else {
      const reason = beaten !== undefined ? `token ${beaten} certainly beats the right token ${t}` : `the bounds cannot separate the right token ${t} from a rival (margin bound ${margin.toPrecision(3)})`;
      undecided.push({ item, reason, certainlyWrong: beaten !== undefined });
    }
  });
  return undecided;
}
