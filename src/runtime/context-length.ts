// The one check every run makes before onnxruntime sees an input: a compiled model serves every
// length up to its context and no further (its position, RoPE and mask tables stop there), and ORT's
// own message for a longer input is a multi-line shape error about a Slice or an Add. This error says
// it in the model's terms instead, so a command can print it as one line.

/** An input (with the steps that would follow it) longer than the model's context. */
export class ContextLengthError extends Error {
  override name = 'ContextLengthError';
  constructor(
    /** Positions the run needs. */
    readonly positions: number,
    /** Positions the model was built for. */
    readonly context: number,
    what = `an input of ${positions} tokens`,
  ) {
    super(`${what} would take ${positions} positions, but the model's context is ${context}`);
  }
}

/** Throws ContextLengthError when `positions` exceed `context` (a context of 0 or less: no limit). */
export function checkContextLength(positions: number, context: number | undefined, what?: string): void {
  if (context !== undefined && context > 0 && positions > context) throw new ContextLengthError(positions, context, what);
}
