// Where units of regions are bounded: on the main thread (one thread), or on worker threads
// (./bound-worker.ts), each with its own GraphBounds of the same graph. Units are handed out in
// order to whichever worker is free and their results are taken back in the order they were
// asked for, so the search sees the same results as with one thread (batch.ts says why a unit's
// result does not depend on where or in what batches it is bounded).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IN_BUNDLE } from '../../build-flags.ts';
import type { IrGraph } from '../../ir/types.ts';
import { ProofLimit } from '../domains/affine-tensor.ts';
import { OutOfTime } from '../graph/budget.ts';
import { GraphBounds } from '../graph/ir-bounds.ts';
import { BatchSizer, evaluateUnit, type BoundUnit, type UnitResult } from './batch.ts';
import type { BoundReply, BoundRequest, OpenBounds } from './bound-worker.ts';

export interface BoundsEvaluator {
  readonly threads: number;
  /** Bounds a unit; results come back in the order units were given. */
  bound(unit: BoundUnit): Promise<UnitResult>;
  close(): Promise<void>;
}

/** Bounds units on this thread. Plans every length first, so that a graph the prover cannot
 * handle is refused (ProofLimit) before anything is bounded; past the deadline planning stops and
 * the first unit ends at once. */
export function localEvaluator(graph: IrGraph, lengths: number[], deadline: number, maxBatch: number): BoundsEvaluator {
  const bounds = new GraphBounds(graph);
  try {
    for (const length of lengths) bounds.prepareLength(length, deadline);
  } catch (e) {
    if (!(e instanceof OutOfTime)) throw e;
  }
  const sizer = new BatchSizer(maxBatch);
  return {
    threads: 1,
    bound: (unit) => Promise.resolve(evaluateUnit(bounds, unit, sizer, deadline)),
    close: () => Promise.resolve(),
  };
}

function startWorker(): Worker {
  if (IN_BUNDLE) return new Worker(new URL('../prove/search/bound-worker.js', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const source = new URL('./bound-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true });
}

function failure(reply: Extract<BoundReply, { kind: 'failed' }>): Error {
  return reply.proofLimit ? new ProofLimit(reply.message) : new Error(reply.message);
}

/** `threads` workers, each planning every length (in parallel) before it is ready. */
export async function openBoundsPool(graph: IrGraph, lengths: number[], deadline: number, maxBatch: number, threads: number): Promise<BoundsEvaluator> {
  const workers = Array.from({ length: threads }, startWorker);
  const free: Worker[] = [];
  const queue: { unit: BoundUnit; resolve: (r: UnitResult) => void; reject: (e: Error) => void }[] = [];
  const pending = new Map<number, { worker: Worker; resolve: (r: UnitResult) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let broken: Error | undefined;
  const fail = (e: Error) => {
    broken ??= e;
    for (const p of pending.values()) p.reject(e);
    for (const q of queue) q.reject(e);
    pending.clear();
    queue.length = 0;
  };
  const dispatch = () => {
    while (free.length > 0 && queue.length > 0) {
      const worker = free.shift()!;
      const { unit, resolve, reject } = queue.shift()!;
      const id = nextId++;
      pending.set(id, { worker, resolve, reject });
      const request: BoundRequest = { kind: 'bound', id, unit };
      worker.postMessage(request);
    }
  };
  const close = async () => {
    await Promise.all(
      workers.map(async (w) => {
        if (w.threadId === -1) return;
        const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
        // A worker busy bounding a unit would answer the close only after it: end it at once.
        if ([...pending.values()].some((p) => p.worker === w)) await w.terminate();
        else w.postMessage({ kind: 'close' });
        const timer = setTimeout(() => void w.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };
  const opened = await Promise.allSettled(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const onReply = (reply: BoundReply) => {
            if (reply.kind === 'ready') resolve();
            else if (reply.kind === 'failed' && reply.id === undefined) reject(failure(reply));
            else return;
            w.off('message', onReply);
          };
          w.on('message', onReply);
          w.once('error', reject);
          const request: OpenBounds = { kind: 'open', graph, lengths, deadlineEpoch: Number.isFinite(deadline) ? performance.timeOrigin + deadline : Infinity, maxBatch };
          w.postMessage(request);
        }),
    ),
  );
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed) {
    await close();
    throw (failed as PromiseRejectedResult).reason;
  }
  for (const w of workers) {
    w.on('error', fail);
    w.on('message', (reply: BoundReply) => {
      if (reply.kind === 'ready') return;
      if (reply.id === undefined) return;
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      free.push(p.worker);
      if (reply.kind === 'bounded') p.resolve(reply.result);
      else p.reject(failure(reply));
      dispatch();
    });
    free.push(w);
  }
  return {
    threads,
    bound(unit) {
      return new Promise<UnitResult>((resolve, reject) => {
        if (broken) return reject(broken);
        queue.push({ unit, resolve, reject });
        dispatch();
      });
    },
    close,
  };
}
