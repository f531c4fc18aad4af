// Runtime: opening an ONNX model in onnxruntime-node and running it for logits. Inputs are bytes,
// outputs are typed arrays; nothing here reads files or prints.

import { InferenceSession, Tensor } from 'onnxruntime-node';
import { checkContextLength } from './context-length.ts';

export { ContextLengthError } from './context-length.ts';

export type Device = 'cpu' | 'cuda';

export interface OpenedSession {
  session: InferenceSession;
  /** The device the session actually runs on (CUDA may have fallen back to CPU). */
  device: Device;
  /** One line for the user when the requested device could not be used. */
  notice?: string;
}

export async function openSession(
  model: Uint8Array,
  opts: { device?: Device; dtype: 'float32' | 'float64'; threads?: number },
): Promise<OpenedSession> {
  const base: InferenceSession.SessionOptions = {
    // At the default level ORT fuses MatMul + constant Mul into one node whose multiplier is
    // float32 even in a float64 graph (a 5e-11 relative logit error, stack-notes). 'basic' keeps
    // constant folding and redundant-node removal but none of the fusions, so float64 stays float64.
    graphOptimizationLevel: opts.dtype === 'float64' ? 'basic' : 'all',
    // Sequential execution keeps node order fixed; our graphs are chains with little to overlap.
    executionMode: 'sequential',
    ...(opts.threads !== undefined ? { intraOpNumThreads: opts.threads } : {}),
  };
  // ORT copies the model bytes; a Buffer view avoids a second copy on our side.
  const bytes = Buffer.from(model.buffer, model.byteOffset, model.byteLength);

  if (opts.device === 'cuda') {
    try {
      const session = await InferenceSession.create(bytes, { ...base, executionProviders: ['cuda', 'cpu'] });
      return { session, device: 'cuda' };
    } catch (e) {
      // ORT does not fall back by itself: with the CUDA provider library missing it throws
      // ("Failed to load shared library") instead of using the 'cpu' entry. Other errors (a bad
      // model) will be thrown again by the CPU attempt below, so nothing is hidden.
      const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
      const session = await InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
      return {
        session,
        device: 'cpu',
        notice:
          `CUDA could not be loaded (${first}); running on CPU. ` +
          'Install the ONNX Runtime CUDA provider libraries and CUDA/cuDNN as described in docs/cuda.md.',
      };
    }
  }
  const session = await InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
  return { session, device: 'cpu' };
}

/**
 * Runs the model on `ids` (row-major [batch, seq]) and returns its `logits` output
 * ([batch, seq, vocab], row-major) in the model's float type.
 */
export async function runLogits(
  session: InferenceSession,
  ids: BigInt64Array,
  batch: number,
  seq: number,
  opts: { context?: number } = {},
): Promise<{ data: Float32Array | Float64Array; vocab: number }> {
  if (ids.length !== batch * seq) {
    throw new Error(`runLogits: ${ids.length} ids do not fill [batch ${batch}, seq ${seq}]`);
  }
  // With the model's context known, a longer input is refused here rather than by ORT's shape checks.
  checkContextLength(seq, opts.context);
  const input = new Tensor('int64', ids, [batch, seq]);
  const out = await session.run({ input_ids: input });
  const logits = out['logits'];
  if (!logits) throw new Error(`model has no 'logits' output (outputs: ${Object.keys(out).join(', ')})`);
  const dims = logits.dims;
  if (dims.length !== 3 || dims[0] !== batch || dims[1] !== seq) {
    throw new Error(`logits have shape [${dims.join(', ')}], expected [${batch}, ${seq}, vocab]`);
  }
  const data = logits.data;
  if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
    throw new Error(`logits have type ${logits.type}, expected float32 or float64`);
  }
  return { data, vocab: dims[2]! };
}
