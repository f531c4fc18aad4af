// The search over one decode step's input space. Regions are split (spec) until they are ready to
// bound, bounded in batches (batch.ts), and either certified or, when the bounds cannot decide them,
// sampled for a counterexample (counterexample.ts) and split further a few times before they are
// given up as unknown. Batch sizes, the budget for extra splits and the random samples carry over
// from step to step.
import type { GraphBounds } from '../graph/ir-bounds.ts';
import { OutOfTime } from '../graph/budget.ts';
import type { ProofSpec } from '../specs/spec.ts';
import { mulberry32 } from '../../util/rng.ts';
import { evaluateBatch, type Item, type Undecided } from './batch.ts';
import type { RuntimeCheck } from './counterexample.ts';
import { examines, type ProofClock, type ProveOptions } from './options.ts';
import { formatBytes, type ProofReport, type StepReport } from './report.ts';

/** Inputs decoded by the runtime per batch of undecided regions. */
const MAX_CONFIRM = 512;

/** One step's search in progress. */
interface StepState<R> {
  step: number;
  started: number;
  stats: StepReport;
  /** Share of the step's inputs decided so far. */
  decided: number;
  /** Regions bounded so far (certified or not). */
  bounded: number;
  stack: Item<R>[];
}

export class RegionSearch<R> {
  private readonly extraSplits: number;
  private readonly sampleCount: number;
  private readonly maxBatch: number;
  private readonly random: () => number;
  private extraBudget: number;
  /** Start small: one region of a large design can take a tenth of a second and megabytes, so a
   * first batch of a thousand could run past the time limit or the memory budget on its own. */
  private batchSize: number;

  constructor(
    private readonly bounds: GraphBounds,
    private readonly spec: ProofSpec<R>,
    private readonly report: ProofReport<R>,
    private readonly runtime: RuntimeCheck,
    private readonly clock: ProofClock,
    private readonly opts: ProveOptions,
  ) {
    this.extraSplits = opts.extraSplits ?? 4;
    this.sampleCount = opts.samples ?? 4;
    this.extraBudget = opts.extraBudget ?? 20_000;
    this.random = mulberry32(opts.seed ?? 1);
    this.maxBatch = Math.max(1, opts.batchSize ?? 1024);
    this.batchSize = Math.min(this.maxBatch, 8);
  }

  /** Decides every region of decode step `step`. False when the proof ended there: a
   * counterexample was found, or a limit was reached (what was left is then undecided). */
  async proveStep(step: number): Promise<boolean> {
    const { spec, report, opts } = this;
    const s: StepState<R> = {
      step,
      started: performance.now(),
      stats: { step, leaves: 0, min_margin: null, seconds: 0 },
      decided: 0,
      bounded: 0,
      stack: [{ region: spec.root(step), extra: 0 }],
    };
    this.progress(s);
    while (s.stack.length > 0) {
      if (performance.now() > this.clock.deadline) return this.stop(s, 'time', [], report.memory());
      const batch = this.collectBatch(s);
      if (batch.length === 0) continue;

      const batchStart = performance.now();
      const certifiedItems = new Set<Item<R>>();
      let undecided: Undecided<R>[];
      try {
        undecided = evaluateBatch(this.bounds, spec, batch, step, this.clock.deadline, (item, margin) => {
          certifiedItems.add(item);
          s.decided += spec.fraction(item.region);
          report.certified(step, item.region, margin, s.stats);
        });
      } catch (e) {
        if (!(e instanceof OutOfTime)) throw e;
        // Regions of this batch certified before the clock ran out stay certified (a batch that is
        // split to find a failing region certifies part by part); the rest are undecided.
        return this.stop(s, 'time', batch.filter((item) => !certifiedItems.has(item)), report.memory());
      }

      s.bounded += batch.length;
      const seconds = (performance.now() - batchStart) / 1000;
      const used = report.memory();
      const budget = opts.maxMemoryBytes;
      if (budget !== undefined && used !== null && used > budget) return this.stop(s, 'memory', undecided.map((u) => u.item), used);
      this.sizeNextBatch(seconds, batch.length, used);

      if (undecided.length > 0 && !(await this.settle(s, undecided))) return false;
      this.progress(s);
    }
    this.endStep(s);
    return true;
  }

  private progress(s: StepState<R>): void {
    const decided = Math.min(1, s.decided);
    const estimated = s.bounded === 0 || decided === 0 ? null : Math.max(s.bounded, Math.round(s.bounded / decided));
    const { step } = s;
    this.opts.onProgress?.({ step, steps: this.spec.steps, done: (step + decided) / this.spec.steps, leaves: this.report.result.leaves, regions: s.bounded, estimated });
  }

  /** Pops a batch of regions ready to bound off the stack, splitting the others onto it. */
  private collectBatch(s: StepState<R>): Item<R>[] {
    const batch: Item<R>[] = [];
    while (s.stack.length > 0 && batch.length < this.batchSize) {
      const item = s.stack.pop()!;
      if (this.spec.ready(item.region, s.step)) {
        batch.push(item);
        continue;
      }
      const children = this.spec.split(item.region, s.step);
      if (!children) this.report.giveUp(s.step, item.region, 'the expected token is not determined (specification error)');
      else for (const c of children) s.stack.push({ region: c, extra: item.extra });
    }
    return batch;
  }

  /** Sizes the next batch: about a second of work, within half the memory budget. */
  private sizeNextBatch(seconds: number, batchLength: number, used: number | null): void {
    const budget = this.opts.maxMemoryBytes;
    const memoryTight = budget !== undefined && used !== null && used > budget / 2;
    if (seconds > 2 || memoryTight) this.batchSize = Math.max(1, Math.floor(this.batchSize / 2));
    else if (seconds < 0.5 && batchLength === this.batchSize) this.batchSize = Math.min(this.maxBatch, this.batchSize * 2);
  }

  /** Samples the undecided regions for a counterexample, then splits them further or gives them
   * up. False when a counterexample ended the proof. */
  private async settle(s: StepState<R>, undecided: Undecided<R>[]): Promise<boolean> {
    const { spec, report } = this;
    // Regions the bounds say certainly fail first; at most MAX_CONFIRM inputs per batch.
    const byPriority = [...undecided].sort((x, y) => Number(y.certainlyWrong) - Number(x.certainlyWrong));
    const inputs = byPriority.slice(0, Math.ceil(MAX_CONFIRM / this.sampleCount)).flatMap(({ item }) => spec.samples(item.region, this.sampleCount, this.random));
    const bad = await this.runtime.firstWrong(inputs, s.step);
    if (bad) {
      report.refuted(bad);
      this.endStep(s);
      return false;
    }
    if (undecided.some((u) => u.certainlyWrong) && this.runtime.onnx) {
      // Every input of that region decodes wrongly under the rounding model, yet the runtime
      // decoded its samples rightly: the runtime's arithmetic is outside the model.
      report.note('the runtime decodes inputs rightly that the bounds say must fail: the rounding model does not describe this runtime (see docs/prove.md)');
    }
    for (const { item, reason } of undecided) {
      const children = item.extra < this.extraSplits && this.extraBudget > 0 ? spec.split(item.region, s.step) : undefined;
      if (children) {
        this.extraBudget -= children.length;
        if (this.extraBudget <= 0) report.note('the budget for splitting undecided regions further ran out; the rest were given up');
        for (const c of children) s.stack.push({ region: c, extra: item.extra + 1 });
      } else {
        report.giveUp(s.step, item.region, reason);
        s.decided += spec.fraction(item.region);
      }
    }
    return true;
  }

  /** A limit was hit: what is left of this step and every later step is undecided. */
  private stop(s: StepState<R>, limit: 'time' | 'memory', pending: Item<R>[], memoryBytes: number | null): false {
    const { spec, report, opts } = this;
    const reason = limit === 'time' ? `time limit of ${opts.timeLimitSeconds} s reached` : `memory budget of ${formatBytes(opts.maxMemoryBytes!)} reached`;
    for (const item of [...pending, ...s.stack]) report.giveUp(s.step, item.region, reason);
    const later = Array.from({ length: spec.steps - s.step - 1 }, (_, k) => s.step + 1 + k).filter((k) => examines(opts, k));
    report.result.undecided_fraction += later.length / spec.steps;
    report.result.stopped = { limit, step: s.step, seconds: (performance.now() - this.clock.limitFrom) / 1000, memory_bytes: memoryBytes };
    this.endStep(s);
    report.note(`stopped at step ${s.step} of ${spec.steps}: ${reason}${later.length > 0 ? `; steps ${later[0]}..${later[later.length - 1]} were not examined` : ''}`);
    return false;
  }

  private endStep(s: StepState<R>): void {
    this.report.result.per_step.push({ ...s.stats, seconds: (performance.now() - s.started) / 1000 });
  }
}
