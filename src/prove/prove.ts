// The prover's driver. For each decode step it splits the input space (spec.ts) until the bounds on
// the logits (ir-bounds.ts) show that the right token wins in every region, given that the tokens
// generated before were right. By induction over the steps, greedy decoding then gives the right
// answer for every input. A region the bounds cannot decide is split further; inputs sampled from
// it are decoded by the runtime (onnxruntime, the `verify` path), and a wrong answer there is a
// counterexample. A region still undecided after a few more splits is reported: "unknown".
//
// Pure apart from the runtime session it opens for counterexamples; progress goes to a callback.
// Throws ProofLimit when the graph cannot be bounded at all (an unsupported operation).
import type { TaskContract } from '../check/model.ts';
import type { IrGraph } from '../ir/types.ts';
import { greedyDecode } from '../runtime/greedy.ts';
import { openSession, type OpenedSession } from '../runtime/session.ts';
import { digitOf, expectedAnswer, promptFor, readAnswer, type Operands } from '../runtime/task.ts';
import { ProofLimit } from './domains/affine-tensor.ts';
import { AdditionSpec, additionProblem } from './specs/addition-spec.ts';
import { decide } from './search/certify.ts';
import { GraphBounds } from './graph/ir-bounds.ts';
import type { ProofSpec } from './specs/spec.ts';
import { mulberry32 } from '../util/rng.ts';
import { OutOfTime } from './graph/budget.ts';

export type ProofStatus = 'proved' | 'refuted' | 'unknown';

export interface Counterexample {
  a: number;
  b: number;
  expected: number;
  got: number | null;
  /** The tokens the runtime generated, one per decode step. */
  tokens: number[];
  /** The tokens a right answer has at those steps. */
  expected_tokens: number[];
  /** The first decode step (0-based) whose generated token is wrong; later steps read it back. */
  step: number;
  /** Where that wrong token is written in the sequence (prompt length + step, 0-based): the
   * logits that chose it are those of the position before. */
  position: number;
  /** The place value of the answer digit that step writes (0 = units). */
  digit_place: number;
  /** The decode step whose undecided region the input was sampled from (the search's trail; the
   * wrong token can come at any step). */
  region_step: number;
}

export interface RegionReport {
  step: number;
  region: string;
  /** Share of all inputs the region holds. */
  fraction: number;
}

export interface ProofResult {
  status: ProofStatus;
  dtype: IrGraph['dtype'];
  counterexample: Counterexample | null;
  /** Regions certified (over all steps). */
  leaves: number;
  /** Smallest lower bound on (right logit − best other logit) over certified regions. */
  min_certified_margin: number | null;
  min_margin_at: RegionReport | null;
  /** The smallest region left undecided, and why. */
  unknown: (RegionReport & { reason: string }) | null;
  /** Share of (step, input) pairs left undecided (steps not reached when a limit stopped the proof
   * count as undecided in full). */
  undecided_fraction: number;
  /** Why the proof ended early: the limit, the decode step it stopped in, seconds on the time
   * limit's clock and memory in use then; null when it ran to the end. */
  stopped: { limit: 'time' | 'memory'; step: number; seconds: number; memory_bytes: number | null } | null;
  /** The largest memory in use seen after a batch, in bytes (null without `memoryUsage`). */
  peak_memory_bytes: number | null;
  per_step: { step: number; leaves: number; min_margin: number | null; seconds: number }[];
  seconds: number;
  notes: string[];
}

export interface ProveProgress {
  step: number;
  steps: number;
  /** Overall share of the work done, 0..1 (by the share of inputs decided). */
  done: number;
  leaves: number;
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

export function proofProblem(task: TaskContract | undefined): string | undefined {
  if (!task) return 'the model has no task block, so there is nothing to prove';
  return additionProblem(task);
}

/** Inputs decoded by the runtime per batch of undecided regions. */
const MAX_CONFIRM = 512;

interface Item<R> {
  region: R;
  extra: number;
}

export async function prove(graph: IrGraph, task: TaskContract, opts: ProveOptions = {}): Promise<ProofResult> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const deadline = opts.timeLimitSeconds === undefined ? Infinity
    : (opts.timeLimitFrom ?? started) + (opts.timeLimitSeconds - (opts.reserveSeconds ?? 0)) * 1000;
  const spec: ProofSpec<unknown> = new AdditionSpec(task) as ProofSpec<unknown>;
  const bounds = new GraphBounds(graph);
  const extraSplits = opts.extraSplits ?? 4;
  const sampleCount = opts.samples ?? 4;
  let extraBudget = opts.extraBudget ?? 20_000;
  const random = mulberry32(opts.seed ?? 1);
  const notes: string[] = [];
  const note = (text: string) => {
    if (!notes.includes(text)) notes.push(text);
  };
  let opened: OpenedSession | undefined;

  const result: ProofResult = {
    status: 'proved',
    dtype: graph.dtype,
    counterexample: null,
    leaves: 0,
    min_certified_margin: null,
    min_margin_at: null,
    unknown: null,
    undecided_fraction: 0,
    stopped: null,
    peak_memory_bytes: null,
    per_step: [],
    seconds: 0,
    notes,
  };
  const finish = async (): Promise<ProofResult> => {
    if (opened) await opened.session.release();
    result.seconds = elapsed();
    if (result.status === 'proved' && result.undecided_fraction > 0) result.status = 'unknown';
    return result;
  };
  const giveUp = (step: number, region: unknown, reason: string) => {
    const fraction = spec.fraction(region);
    result.undecided_fraction += fraction / spec.steps;
    if (!result.unknown || fraction < result.unknown.fraction) result.unknown = { step, region: spec.describe(region), fraction, reason };
  };

  /** Decodes the inputs with the runtime; returns the first wrong one. */
  const confirm = async (inputs: Operands[], step: number): Promise<Counterexample | undefined> => {
    if (!opts.onnx || inputs.length === 0) return undefined;
    opened ??= await openSession(opts.onnx, { dtype: graph.dtype });
    const prompts = inputs.map((o) => promptFor(task, o));
    const decoded = await greedyDecode(opened.session, prompts, task.decode);
    for (let i = 0; i < inputs.length; i++) {
      const got = readAnswer(task, decoded.tokens[i]!);
      const expected = expectedAnswer(task, inputs[i]!);
      if (got !== expected) {
        const [x, y] = task.operands;
        const tokens = decoded.tokens[i]!;
        const right = answerTokens(task, expected);
        // Greedy decoding conditions each step on the ones before: the first wrong token is the error.
        const wrong = Math.max(0, tokens.findIndex((t, k) => t !== right[k]));
        return {
          a: inputs[i]![x!.name]!,
          b: inputs[i]![y!.name]!,
          expected,
          got: Number.isNaN(got) ? null : got,
          tokens,
          expected_tokens: right,
          step: wrong,
          position: task.prompt.length + wrong,
          digit_place: task.answer === 'lsb' ? wrong : task.decode - 1 - wrong,
          region_step: step,
        };
      }
    }
    return undefined;
  };

  // Plan every step's sequence length first: a graph the prover cannot handle (an unsupported
  // operation) is refused here, with its reason, rather than region by region.
  // Planning a large design takes seconds: past the deadline the first step stops at once.
  try {
    for (let step = 0; step < spec.steps; step++) bounds.prepareLength(spec.tokenSets(spec.root(step), step).length, deadline);
  } catch (e) {
    if (!(e instanceof OutOfTime)) throw e;
  }

  const clockStart = opts.timeLimitFrom ?? started;
  const maxBatch = Math.max(1, opts.batchSize ?? 1024);
  // Start small: one region of a large design can take a tenth of a second and megabytes, so a
  // first batch of a thousand could run past the time limit or the memory budget on its own.
  let batchSize = Math.min(maxBatch, 8);
  const memory = () => {
    if (!opts.memoryUsage) return null;
    const m = opts.memoryUsage();
    result.peak_memory_bytes = Math.max(result.peak_memory_bytes ?? 0, m);
    return m;
  };
  memory();

  for (let step = 0; step < spec.steps; step++) {
    if (opts.onlySteps && !opts.onlySteps.includes(step)) continue;
    const stepStart = performance.now();
    const stepStats = { step, leaves: 0, min_margin: null as number | null, seconds: 0 };
    let decided = 0;
    const stack: Item<unknown>[] = [{ region: spec.root(step), extra: 0 }];
    /** A limit was hit: what is left of this step and every later step is undecided. */
    const stop = (limit: 'time' | 'memory', pending: Item<unknown>[], memoryBytes: number | null) => {
      const reason = limit === 'time' ? `time limit of ${opts.timeLimitSeconds} s reached` : `memory budget of ${formatBytes(opts.maxMemoryBytes!)} reached`;
      for (const item of [...pending, ...stack]) giveUp(step, item.region, reason);
      const later = Array.from({ length: spec.steps - step - 1 }, (_, k) => step + 1 + k).filter((k) => !opts.onlySteps || opts.onlySteps.includes(k));
      result.undecided_fraction += later.length / spec.steps;
      result.stopped = { limit, step, seconds: (performance.now() - clockStart) / 1000, memory_bytes: memoryBytes };
      result.per_step.push({ ...stepStats, seconds: (performance.now() - stepStart) / 1000 });
      note(`stopped at step ${step} of ${spec.steps}: ${reason}${later.length > 0 ? `; steps ${later[0]}..${later[later.length - 1]} were not examined` : ''}`);
      return finish();
    };
    while (stack.length > 0) {
      if (performance.now() > deadline) return stop('time', [], memory());
      // Collect a batch of regions ready to bound, splitting the others.
      const batch: Item<unknown>[] = [];
      while (stack.length > 0 && batch.length < batchSize) {
        const item = stack.pop()!;
        if (spec.ready(item.region, step)) {
          batch.push(item);
          continue;
        }
        const children = spec.split(item.region, step);
        if (!children) giveUp(step, item.region, 'the expected token is not determined (specification error)');
        else for (const c of children) stack.push({ region: c, extra: item.extra });
      }
      if (batch.length === 0) continue;

      const batchStart = performance.now();
      const certifiedItems = new Set<Item<unknown>>();
      let undecided: Undecided<unknown>[];
      try {
        undecided = evaluateBatch(bounds, spec, batch, step, deadline, (item, margin) => {
          certifiedItems.add(item);
          result.leaves++;
          stepStats.leaves++;
          decided += spec.fraction(item.region);
          if (stepStats.min_margin === null || margin < stepStats.min_margin) stepStats.min_margin = margin;
          if (result.min_certified_margin === null || margin < result.min_certified_margin) {
            result.min_certified_margin = margin;
            result.min_margin_at = { step, region: spec.describe(item.region), fraction: spec.fraction(item.region) };
          }
        });
      } catch (e) {
        if (!(e instanceof OutOfTime)) throw e;
        // Regions of this batch certified before the clock ran out stay certified (a batch that is
        // split to find a failing region certifies part by part); the rest are undecided.
        return stop('time', batch.filter((item) => !certifiedItems.has(item)), memory());
      }

      // Size the next batch: about a second of work, within half the memory budget.
      const seconds = (performance.now() - batchStart) / 1000;
      const used = memory();
      const budget = opts.maxMemoryBytes;
      if (budget !== undefined && used !== null && used > budget) return stop('memory', undecided.map((u) => u.item), used);
      const memoryTight = budget !== undefined && used !== null && used > budget / 2;
      if (seconds > 2 || memoryTight) batchSize = Math.max(1, Math.floor(batchSize / 2));
      else if (seconds < 0.5 && batch.length === batchSize) batchSize = Math.min(maxBatch, batchSize * 2);

      if (undecided.length > 0) {
        // Regions the bounds say certainly fail first; at most MAX_CONFIRM inputs per batch.
        const byPriority = [...undecided].sort((x, y) => Number(y.certainlyWrong) - Number(x.certainlyWrong));
        const inputs = byPriority.slice(0, Math.ceil(MAX_CONFIRM / sampleCount)).flatMap(({ item }) => spec.samples(item.region, sampleCount, random));
        const bad = await confirm(inputs, step);
        if (bad) {
          result.status = 'refuted';
          result.counterexample = bad;
          result.per_step.push({ ...stepStats, seconds: (performance.now() - stepStart) / 1000 });
          return finish();
        }
        const contradicted = undecided.find((u) => u.certainlyWrong);
        if (contradicted && opts.onnx) {
          // Every input of that region decodes wrongly under the rounding model, yet the runtime
          // decoded its samples rightly: the runtime's arithmetic is outside the model.
          note('the runtime decodes inputs rightly that the bounds say must fail: the rounding model does not describe this runtime (see docs/prove.md)');
        }
        for (const { item, reason } of undecided) {
          const children = item.extra < extraSplits && extraBudget > 0 ? spec.split(item.region, step) : undefined;
          if (children) {
            extraBudget -= children.length;
            if (extraBudget <= 0) note('the budget for splitting undecided regions further ran out; the rest were given up');
            for (const c of children) stack.push({ region: c, extra: item.extra + 1 });
          } else {
            giveUp(step, item.region, reason);
            decided += spec.fraction(item.region);
          }
        }
      }
      opts.onProgress?.({ step, steps: spec.steps, done: (step + Math.min(1, decided)) / spec.steps, leaves: result.leaves });
    }
    result.per_step.push({ ...stepStats, seconds: (performance.now() - stepStart) / 1000 });
  }
  if (!opts.onnx) note('no compiled model was given, so undecided regions could not be checked for counterexamples');
  const skipped = Array.from({ length: spec.steps }, (_, k) => k).filter((k) => opts.onlySteps && !opts.onlySteps.includes(k));
  if (skipped.length > 0) {
    note(`only some decode steps were examined; steps ${skipped.join(', ')} were not`);
    if (result.status === 'proved') result.status = 'unknown';
  }
  return finish();
}

/** The decode steps' tokens for a right answer: its digits in the task's base and order. */
export function answerTokens(task: TaskContract, answer: number): number[] {
  return Array.from({ length: task.decode }, (_, k) => digitOf(answer, task.answer === 'lsb' ? k : task.decode - 1 - k, task.base));
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}

interface Undecided<R> {
  item: Item<R>;
  reason: string;
  /** The bounds show a wrong token wins for every input of the region. */
  certainlyWrong: boolean;
}

/** Bounds a batch of ready regions; reports certified ones and returns the others with a reason. */
function evaluateBatch<R>(
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
    const { margin, beaten } = decide(logits, b, t);
    if (margin > 0) certified(item, margin);
    else {
      const reason = beaten !== undefined ? `token ${beaten} certainly beats the right token ${t}` : `the bounds cannot separate the right token ${t} from a rival (margin bound ${margin.toPrecision(3)})`;
      undecided.push({ item, reason, certainlyWrong: beaten !== undefined });
    }
  });
  return undecided;
}
