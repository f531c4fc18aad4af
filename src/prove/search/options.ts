// What a caller can set about one proof: the runtime model for counterexamples, progress, the
// search's budgets and the limits on time and memory.

export interface ProveProgress {
  step: number;
  steps: number;
  /** Overall share of the work done, 0..1 (by the share of inputs decided). */
  done: number;
  /** Regions certified so far, over all steps. */
  leaves: number;
  /** Regions of this step bounded so far (certified or not). */
  regions: number;
  /** Regions this step is expected to bound in all: `regions` divided by the share of the step's
   * inputs they decided (regions of one step hold about equal shares), so it is exact once the
   * step is done and moves when undecided regions are split further. Null before any is bounded. */
  estimated: number | null;
}

export interface ProveOptions {
  /** The compiled ONNX model: counterexamples are confirmed by decoding it with the runtime.
   * Without it the prover never reports "refuted". */
  onnx?: Uint8Array;
  onProgress?(p: ProveProgress): void;
  /** The most regions bounded per graph evaluation (default 1024). Batches start small and grow
   * while they stay quick and within the memory budget, and shrink when they do not. */
  batchSize?: number;
  /** Variables fixed beyond the minimum before a region is given up as unknown (default 4). */
  extraSplits?: number;
  /** Regions created by those extra splits, over the whole proof, before undecided regions are
   * given up at once (default 20,000): keeps a hopeless proof (float32, say) from running on. */
  extraBudget?: number;
  /** Inputs of an undecided region decoded by the runtime (default 4). */
  samples?: number;
  /** Stop with "unknown" after this long (default: no limit), also in the middle of a batch. */
  timeLimitSeconds?: number;
  /** When the time limit's clock started, on `performance.now()`'s clock (default: when prove
   * was called). The CLI starts it with the process, so that start-up counts. */
  timeLimitFrom?: number;
  /** Seconds of the time limit kept for what follows the proof (closing, printing; default 0). */
  reserveSeconds?: number;
  /** Stop with "unknown" when `memoryUsage()` passes this many bytes (default: no budget). */
  maxMemoryBytes?: number;
  /** The process's memory in use, in bytes (the CLI passes its resident set size). */
  memoryUsage?: () => number;
  /** Examine only these decode steps (tests, diagnosis): the result is then never "proved". */
  onlySteps?: number[];
  seed?: number;
}

/** The proof's clocks, all on `performance.now()`'s (milliseconds). */
export interface ProofClock {
  /** When prove was called. */
  started: number;
  /** When the time limit's clock started (the CLI: with the process). */
  limitFrom: number;
  /** When to stop, with the reserve kept back; Infinity without a time limit. */
  deadline: number;
}

export function proofClock(opts: ProveOptions, now = performance.now()): ProofClock {
  const limitFrom = opts.timeLimitFrom ?? now;
  const deadline = opts.timeLimitSeconds === undefined ? Infinity : limitFrom + (opts.timeLimitSeconds - (opts.reserveSeconds ?? 0)) * 1000;
  return { started: now, limitFrom, deadline };
}

/** Whether decode step `step` is examined at all. */
export function examines(opts: ProveOptions, step: number): boolean {
  return !opts.onlySteps || opts.onlySteps.includes(step);
}
