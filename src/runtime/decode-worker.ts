// One decoding thread of a DecoderPool (./decoder-pool.ts): opens its own onnxruntime session on
// the model bytes it is sent (one intra-op thread) and decodes the prompts of each request with the
// same functions as the main thread, so a slice decoded here is decoded exactly as it would be there.
import { parentPort } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { greedyDecode } from './greedy.ts';
import { incrementalDecode } from './incremental.ts';
import { openSession, type Device } from './session.ts';
import { teacherForcedCheck } from './teacher-forced.ts';

export interface OpenRequest {
  kind: 'open';
  onnx: Uint8Array;
  dtype: 'float32' | 'float64';
  device: Device;
  incremental: boolean;
  /** The bytes are a teacher-forced graph (modelToTeacherForcedIr): CheckRequests only. */
  teacherForced?: boolean;
}

export interface DecodeRequest {
  kind: 'decode';
  id: number;
  prompts: number[][];
  steps: number;
}

/** teacherForcedCheck of these prompts against their expected answers. */
export interface CheckRequest {
  kind: 'check';
  id: number;
  prompts: number[][];
  expected: (number[] | undefined)[];
  steps: number;
}

export type WorkerReply =
  | { kind: 'ready'; device: Device; notice?: string }
  | { kind: 'decoded'; id: number; tokens: number[][]; margins: Float64Array; top1Logit: Float64Array; undecided?: number[] }
  | { kind: 'failed'; id?: number; message: string };

if (!parentPort) throw new Error('decode-worker.ts runs as a worker thread of a DecoderPool');
const port = parentPort;
let session: InferenceSession | undefined;
let incremental = false;
let teacherForced = false;

port.on('message', (request: OpenRequest | DecodeRequest | CheckRequest | { kind: 'close' }) => {
  void handle(request).catch((e: unknown) => {
    const id = request.kind === 'decode' || request.kind === 'check' ? request.id : undefined;
    port.postMessage({ kind: 'failed', id, message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply);
  });
});

async function handle(request: OpenRequest | DecodeRequest | CheckRequest | { kind: 'close' }): Promise<void> {
  if (request.kind === 'open') {
    const opened = await openSession(request.onnx, { device: request.device, dtype: request.dtype, threads: 1 });
    session = opened.session;
    incremental = request.incremental;
    teacherForced = request.teacherForced ?? false;
    port.postMessage({ kind: 'ready', device: opened.device, notice: opened.notice } satisfies WorkerReply);
  } else if (request.kind === 'check') {
    if (!session) throw new Error('check before open');
    if (!teacherForced) throw new Error('this worker holds no teacher-forced graph');
    const out = await teacherForcedCheck(session, request.prompts, request.expected, request.steps);
    const reply: WorkerReply = { kind: 'decoded', id: request.id, ...out };
    port.postMessage(reply, [out.margins.buffer as ArrayBuffer, out.top1Logit.buffer as ArrayBuffer]);
  } else if (request.kind === 'decode') {
    if (!session) throw new Error('decode before open');
    if (teacherForced) throw new Error('a teacher-forced graph checks answers; it does not decode');
    const out = incremental ? await incrementalDecode(session, request.prompts, request.steps) : await greedyDecode(session, request.prompts, request.steps);
    const reply: WorkerReply = { kind: 'decoded', id: request.id, ...out };
    // The two arrays are this thread's own (emptyResult allocates them): hand them over, no copy.
    port.postMessage(reply, [out.margins.buffer as ArrayBuffer, out.top1Logit.buffer as ArrayBuffer]);
  } else {
    await session?.release();
    session = undefined;
    port.close();
  }
}
