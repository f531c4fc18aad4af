// The prover's limits on time and memory. A leaf module: the driver sets them, the graph evaluator
// checks the clock between nodes, so a batch that would run past the deadline stops there.

/** Thrown when the deadline passes in the middle of bounding a batch; the driver reports the
 * batch's regions as undecided ("time limit"), with everything finished before it. */
export class OutOfTime extends Error {
  override name = 'OutOfTime';
}

/** A deadline on `performance.now()`'s clock (milliseconds); Infinity for none. */
export function checkDeadline(deadline: number): void {
  if (performance.now() > deadline) throw new OutOfTime('time limit reached');
}
