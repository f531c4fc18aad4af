// Bounding one unit of ready regions and reading each region's decision off the bounded logits
// (certify.ts). A unit is plain data (token sets and expected tokens), so that a worker thread
// (bound-worker.ts) can bound it as well as the main thread. Within a unit, regions are bounded in
// batches whose size adapts to the time they take; a region's decision never depends on which
// other regions share its batch, so how a unit is cut into batches (and on which thread) changes
// nothing in the result.
import { ProofLimit } from '../domains/affine-tensor.ts';
import { OutOfTime } from '../graph/budget.ts';
import type { GraphBounds } from '../graph/ir-bounds.ts';
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

/** Regions to bound: `count` sequences of `length` token sets, row-major, and the token each
 * must get. */
export interface BoundUnit {
  sets: Int32Array;
  count: number;
  length: number;
  expected: Int32Array;
  /** The process is past half its memory budget: keep batches small. */
  memoryTight: boolean;
}

/** Per region of a unit: bounded or not (the clock ran out first), the margin, a token certainly
 * beating the right one (−1: none), and why its bounds broke down (a ProofLimit), if they did. */
export interface UnitResult {
  done: Uint8Array;
  margin: Float64Array;
  beaten: Int32Array;
  limits: (string | null)[];
  /** The clock ran out inside the unit. */
  outOfTime: boolean;
}

/** The batch size within units, carried from unit to unit: about a second of work per batch. */
export class BatchSizer {
  size: number;

  constructor(readonly max: number) {
    // Start small: one region of a large design can take a tenth of a second and megabytes, so a
    // first batch of a thousand could run past the time limit or the memory budget on its own.
    this.size = Math.min(max, 8);
  }

  next(seconds: number, batchLength: number, memoryTight: boolean): void {
    if (seconds > 2 || memoryTight) this.size = Math.max(1, Math.floor(this.size / 2));
    else if (seconds < 0.5 && batchLength === this.size) this.size = Math.min(this.max, this.size * 2);
  }
}

export function evaluateUnit(bounds: GraphBounds, unit: BoundUnit, sizer: BatchSizer, deadline: number): UnitResult {
  const n = unit.count;
  const out: UnitResult = { done: new Uint8Array(n), margin: new Float64Array(n), beaten: new Int32Array(n).fill(-1), limits: new Array<string | null>(n).fill(null), outOfTime: false };
  try {
    for (let at = 0; at < n; ) {
      const size = Math.min(sizer.size, n - at);
      const started = performance.now();
      evaluateRange(bounds, unit, at, size, deadline, out);
      sizer.next((performance.now() - started) / 1000, size, unit.memoryTight);
      at += size;
    }
  } catch (e) {
    if (!(e instanceof OutOfTime)) throw e;
    out.outOfTime = true;
  }
  return out;
}

/** Bounds regions [at, at + size) in one graph evaluation. */
function evaluateRange(bounds: GraphBounds, unit: BoundUnit, at: number, size: number, deadline: number, out: UnitResult): void {
  let logits;
  try {
    logits = bounds.evaluate(unit.sets.subarray(at * unit.length, (at + size) * unit.length), size, { deadline });
  } catch (e) {
    if (!(e instanceof ProofLimit)) throw e;
    // One region's bounds broke down (say, a norm's input range reaching 0): find which, by halves.
    if (size === 1) {
      out.done[at] = 1;
      out.margin[at] = -Infinity;
      out.limits[at] = e.message;
      return;
    }
    const half = Math.ceil(size / 2);
    evaluateRange(bounds, unit, at, half, deadline, out);
    evaluateRange(bounds, unit, at + half, size - half, deadline, out);
    return;
  }
  for (let b = 0; b < size; b++) {
    const { margin, beaten } = decide(logits, b, unit.expected[at + b]!);
    out.done[at + b] = 1;
    out.margin[at + b] = margin;
    if (beaten !== undefined) out.beaten[at + b] = beaten;
  }
}
