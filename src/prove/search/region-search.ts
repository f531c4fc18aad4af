// The search over one decode step's input space. Regions are split (spec) until they are ready to
// bound, bounded in units of a fixed size (batch.ts) on one thread or several (bound-pool.ts), and
// either certified or, when the bounds cannot decide them, sampled for a counterexample
// (counterexample.ts) and split further a few times before they are given up as unknown.
//
// The result does not depend on the number of threads. Units are cut from the stack in a fixed
// order and of a fixed size, whatever the threads; their results are taken in that order; regions
// split further after an undecided result go to the next round of the step rather than onto the
// stack that units in flight were cut from. So the same units are settled in the same order, with
// the same random samples, and the first counterexample is the same one.
import type { ProofSpec } from '../specs/spec.ts';
import { mulberry32 } from '../../util/rng.ts';
import type { BoundUnit, Item, UnitResult, Undecided } from './batch.ts';
import type { BoundsEvaluator } from './bound-pool.ts';
import type { RuntimeCheck } from './counterexample.ts';
import { examines, type ProofClock, type ProveOptions } from './options.ts';
import { formatBytes, type ProofReport, type StepReport } from './report.ts';

/** Inputs decoded by the runtime per unit's undecided regions. */
const MAX_CONFIRM = 512;
/** Regions per unit: the grain of the work handed to a thread and of the settling of undecided
 * regions. Fixed, so that results do not depend on timing or threads. */
export const UNIT_SIZE = 256;

/** One step's search in progress. */
interface StepState<R> {
  step: number;
  started: number;
  stats: StepReport;
  /** Share of the step's inputs decided so far. */
  decided: number;
  stack: Item<R>[];
  /** Regions split after an undecided result, for the step's next round. */
  next: Item<R>[];
}

export class RegionSearch<R> {
  private readonly extraSplits: number;
  private readonly sampleCount: number;
  private readonly random: () => number;
  private extraBudget: number;
  private memoryTight = false;

  constructor(
    private readonly evaluator: BoundsEvaluator,
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
      stack: [{ region: spec.root(step), extra: 0 }],
      next: [],
    };
    // Units in flight: with several threads, two per thread keep every worker busy.
    const window = this.evaluator.threads > 1 ? 2 * this.evaluator.threads : 1;
    const inFlight: { items: Item<R>[]; result: Promise<UnitResult> }[] = [];
    const pendingItems = () => inFlight.flatMap((u) => u.items);
    for (;;) {
      if (s.stack.length === 0 && inFlight.length === 0 && s.next.length > 0) {
        s.stack = s.next.reverse();
        s.next = [];
      }
      while (inFlight.length < window && performance.now() <= this.clock.deadline) {
        const items = this.collectUnit(s);
        if (items.length === 0) break;
        inFlight.push({ items, result: this.evaluator.bound(this.unit(items, step)) });
      }
      if (inFlight.length === 0) {
        if (s.stack.length > 0 || s.next.length > 0) return this.stop(s, 'time', [], report.memory());
        break;
      }
      const { items, result } = inFlight.shift()!;
      const r = await result;

      const undecided: Undecided<R>[] = [];
      const notDone: Item<R>[] = [];
      items.forEach((item, i) => {
        if (!r.done[i]) notDone.push(item);
        else if (r.margin[i]! > 0) {
          s.decided += spec.fraction(item.region);
          report.certified(step, item.region, r.margin[i]!, s.stats);
        } else undecided.push(undecidedItem(item, spec.expected(item.region, step)!, r.margin[i]!, r.beaten[i]!, r.limits[i]!));
      });
      if (r.outOfTime) return this.stop(s, 'time', [...notDone, ...undecided.map((u) => u.item), ...pendingItems()], report.memory());

      const used = report.memory();
      const budget = opts.maxMemoryBytes;
      if (budget !== undefined && used !== null && used > budget) return this.stop(s, 'memory', [...undecided.map((u) => u.item), ...pendingItems()], used);
      this.memoryTight = budget !== undefined && used !== null && used > budget / 2;

      if (undecided.length > 0 && !(await this.settle(s, undecided))) return false;
      opts.onProgress?.({ step, steps: spec.steps, done: (step + Math.min(1, s.decided)) / spec.steps, leaves: report.result.leaves });
    }
    this.endStep(s);
    return true;
  }

  /** The unit's token sets and expected tokens, as data a worker can take. */
  private unit(items: Item<R>[], step: number): BoundUnit {
    const sets = items.map((item) => this.spec.tokenSets(item.region, step));
    const length = sets[0]!.length;
    const flat = new Int32Array(items.length * length);
    sets.forEach((t, i) => flat.set(t, i * length));
    const expected = Int32Array.from(items, (item) => this.spec.expected(item.region, step)!);
    return { sets: flat, count: items.length, length, expected, memoryTight: this.memoryTight };
  }

  /** Pops a unit of regions ready to bound off the stack, splitting the others onto it. */
  private collectUnit(s: StepState<R>): Item<R>[] {
    const unit: Item<R>[] = [];
    while (s.stack.length > 0 && unit.length < UNIT_SIZE) {
      const item = s.stack.pop()!;
      if (this.spec.ready(item.region, s.step)) {
        unit.push(item);
        continue;
      }
      const children = this.spec.split(item.region, s.step);
      if (!children) this.report.giveUp(s.step, item.region, 'the expected token is not determined (specification error)');
      else for (const c of children) s.stack.push({ region: c, extra: item.extra });
    }
    return unit;
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
        for (const c of children) s.next.push({ region: c, extra: item.extra + 1 });
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
    for (const item of [...pending, ...s.stack, ...s.next]) report.giveUp(s.step, item.region, reason);
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

function undecidedItem<R>(item: Item<R>, t: number, margin: number, beaten: number, limit: string | null): Undecided<R> {
  if (limit !== null) return { item, reason: limit, certainlyWrong: false };
  const reason = beaten >= 0 ? `token ${beaten} certainly beats the right token ${t}` : `the bounds cannot separate the right token ${t} from a rival (margin bound ${margin.toPrecision(3)})`;
  return { item, reason, certainlyWrong: beaten >= 0 };
}
