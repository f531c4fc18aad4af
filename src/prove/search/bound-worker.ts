// One bounding thread of a BoundsPool (./bound-pool.ts): builds its own GraphBounds of the graph it
// is sent, plans the sequence lengths, and bounds each unit with the same function the main
// thread uses (batch.ts), so a unit bounded here gets exactly the decisions it would get there.
import { parentPort } from 'node:worker_threads';
import type { IrGraph } from '../../ir/types.ts';
import { ProofLimit } from '../domains/affine-tensor.ts';
import { OutOfTime } from '../graph/budget.ts';
import { GraphBounds } from '../graph/ir-bounds.ts';
import { BatchSizer, evaluateUnit, type BoundUnit, type UnitResult } from './batch.ts';

export interface OpenBounds {
  kind: 'open';
  graph: IrGraph;
  lengths: number[];
  /** The deadline as a wall-clock time (ms since the epoch: threads' performance clocks differ). */
  deadlineEpoch: number;
  maxBatch: number;
}

export interface BoundRequest {
  kind: 'bound';
  id: number;
  unit: BoundUnit;
}

export type BoundReply =
  | { kind: 'ready' }
  | { kind: 'bounded'; id: number; result: UnitResult }
  | { kind: 'failed'; id?: number; message: string; proofLimit: boolean };

if (!parentPort) throw new Error('bound-worker.ts runs as a worker thread of a BoundsPool');
const port = parentPort;
let bounds: GraphBounds | undefined;
let sizer: BatchSizer | undefined;
let deadline = Infinity;

port.on('message', (request: OpenBounds | BoundRequest | { kind: 'close' }) => {
  try {
    handle(request);
  } catch (e) {
    const id = request.kind === 'bound' ? request.id : undefined;
    port.postMessage({ kind: 'failed', id, message: e instanceof Error ? e.message : String(e), proofLimit: e instanceof ProofLimit } satisfies BoundReply);
  }
});

function handle(request: OpenBounds | BoundRequest | { kind: 'close' }): void {
  if (request.kind === 'open') {
    deadline = Number.isFinite(request.deadlineEpoch) ? request.deadlineEpoch - performance.timeOrigin : Infinity;
    bounds = new GraphBounds(request.graph);
    sizer = new BatchSizer(request.maxBatch);
    try {
      for (const length of request.lengths) bounds.prepareLength(length, deadline);
    } catch (e) {
      // Past the deadline: the first unit stops at once.
      if (!(e instanceof OutOfTime)) throw e;
    }
    port.postMessage({ kind: 'ready' } satisfies BoundReply);
  } else if (request.kind === 'bound') {
    if (!bounds || !sizer) throw new Error('bound before open');
    const result = evaluateUnit(bounds, request.unit, sizer, deadline);
    port.postMessage({ kind: 'bounded', id: request.id, result } satisfies BoundReply, [result.done.buffer as ArrayBuffer, result.margin.buffer as ArrayBuffer, result.beaten.buffer as ArrayBuffer]);
  } else {
    port.close();
  }
}
