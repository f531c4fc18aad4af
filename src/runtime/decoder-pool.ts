// Greedy decoding on several threads. Each worker (./decode-worker.ts) holds its own session of the
// same model; a request's prompts are cut into one contiguous slice per worker and the slices'
// results are put back together in prompt order. A worker decodes its slice with the same function
// the main thread would use, and a prompt's row never depends on the other rows of its batch, so
// the result equals one thread's (test/decoder-pool.test.ts checks that it does, bit for bit).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IN_BUNDLE } from '../build-flags.ts';
import type { GreedyResult } from './greedy.ts';
import type { TeacherForcedResult } from './teacher-forced.ts';
import type { Device } from './session.ts';
import type { CheckRequest, DecodeRequest, OpenRequest, WorkerReply } from './decode-worker.ts';

export interface DecoderPool {
  threads: number;
  /** The device the workers run on (CUDA may have fallen back to CPU), and the fallback notice. */
  device: Device;
  notice?: string;
  decode(prompts: number[][], steps: number): Promise<GreedyResult>;
  /** With a teacher-forced graph (PoolOptions.teacherForced): teacherForcedCheck on the workers,
   * its undecided prompts as indices into `prompts`. */
  check(prompts: number[][], steps: number, expected: (number[] | undefined)[]): Promise<TeacherForcedResult>;
  close(): Promise<void>;
}

export interface PoolOptions {
  threads: number;
  dtype: 'float32' | 'float64';
  device?: Device;
  /** The bytes are a decode graph (modelToDecodeIr) decoded incrementally; else full recompute. */
  incremental: boolean;
  /** The bytes are a teacher-forced graph (modelToTeacherForcedIr), for `check` only. */
  teacherForced?: boolean;
}

/** Asks a worker to release its session and exit; terminates it if it has not within a few seconds. */
async function closeWorker(w: Worker): Promise<void> {
  if (w.threadId === -1) return; // already exited
  const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  w.postMessage({ kind: 'close' });
  const timer = setTimeout(() => void w.terminate(), 5000);
  await exited;
  clearTimeout(timer);
}

/** A worker of this pool: the bundled script next to the bundle's chunks, or, when handwire runs
 * from its TypeScript sources (tsx, vitest), the source file behind tsx's loader, registered inside
 * the worker (Node 20 workers take no --import flag). */
function startWorker(): Worker {
  if (IN_BUNDLE) return new Worker(new URL('../runtime/decode-worker.js', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const source = new URL('./decode-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export async function openDecoderPool(onnx: Uint8Array, opts: PoolOptions): Promise<DecoderPool> {
  if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new Error(`threads must be a positive integer, got ${opts.threads}`);
  const workers = Array.from({ length: opts.threads }, startWorker);
  let nextId = 0;
  const pending = new Map<number, { resolve: (r: GreedyResult & { undecided?: number[] }) => void; reject: (e: Error) => void }>();
  let broken: Error | undefined;
  const fail = (e: Error) => {
    broken ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  for (const w of workers) {
    w.on('error', fail);
    w.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'decoded') {
        pending.get(reply.id)?.resolve({ tokens: reply.tokens, margins: reply.margins, top1Logit: reply.top1Logit, undecided: reply.undecided });
        pending.delete(reply.id);
      } else if (reply.kind === 'failed' && reply.id !== undefined) {
        pending.get(reply.id)?.reject(new Error(reply.message));
        pending.delete(reply.id);
      }
    });
  }
  // Each worker releases its session and ends itself. Terminating a worker instead can stop it inside
  // onnxruntime's native code, which aborts the whole process ("terminate called after throwing an
  // instance of 'Napi::Error'", seen once in CI); terminate stays as the fallback for a stuck worker.
  const close = async () => {
    await Promise.all(workers.map((w) => closeWorker(w)));
  };

  // Every worker's open is settled before any is closed (see close): a failed open does not stop the
  // others in the middle of theirs.
  const opened = await Promise.allSettled(
    workers.map(
      (w) =>
        new Promise<Extract<WorkerReply, { kind: 'ready' }>>((resolve, reject) => {
          const onReply = (reply: WorkerReply) => {
            if (reply.kind === 'ready') resolve(reply);
            else if (reply.kind === 'failed' && reply.id === undefined) reject(new Error(reply.message));
            else return;
            w.off('message', onReply);
          };
          w.on('message', onReply);
          w.once('error', reject);
          const request: OpenRequest = { kind: 'open', onnx, dtype: opts.dtype, device: opts.device ?? 'cpu', incremental: opts.incremental, teacherForced: opts.teacherForced };
          w.postMessage(request);
        }),
    ),
  );
  const failed = opened.find((r) => r.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  const ready = opened.map((r) => (r as PromiseFulfilledResult<Extract<WorkerReply, { kind: 'ready' }>>).value);

  const sliceOne = (w: Worker, prompts: number[][], steps: number, expected?: (number[] | undefined)[]) =>
    new Promise<GreedyResult & { undecided?: number[] }>((resolve, reject) => {
      if (broken) return reject(broken);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const request: DecodeRequest | CheckRequest = expected ? { kind: 'check', id, prompts, expected, steps } : { kind: 'decode', id, prompts, steps };
      w.postMessage(request);
    });

  // Contiguous slices, one per worker, and their results joined back in prompt order (a slice's
  // undecided indices shifted by where it starts).
  const sliced = async (prompts: number[][], steps: number, expected?: (number[] | undefined)[]): Promise<TeacherForcedResult> => {
    const n = prompts.length;
    const per = Math.ceil(n / workers.length);
    const bounds = workers.map((_, i) => [i * per, Math.min(n, (i + 1) * per)] as const).filter(([a, b]) => b > a);
    const parts = await Promise.all(bounds.map(([a, b], i) => sliceOne(workers[i]!, prompts.slice(a, b), steps, expected?.slice(a, b))));
    const margins = new Float64Array(n * steps);
    const top1Logit = new Float64Array(n * steps);
    const tokens: number[][] = [];
    const undecided: number[] = [];
    let at = 0;
    for (const part of parts) {
      for (const t of part.tokens) tokens.push(t);
      margins.set(part.margins, at * steps);
      top1Logit.set(part.top1Logit, at * steps);
      for (const u of part.undecided ?? []) undecided.push(at + u);
      at += part.tokens.length;
    }
    return { tokens, margins, top1Logit, undecided };
  };

  return {
    threads: opts.threads,
    device: ready[0]!.device,
    notice: ready[0]!.notice,
    async decode(prompts, steps) {
      const { tokens, margins, top1Logit } = await sliced(prompts, steps);
      return { tokens, margins, top1Logit };
    },
    check: (prompts, steps, expected) => sliced(prompts, steps, expected),
    close,
  };
}
