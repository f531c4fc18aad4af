// The proof's result as the search builds it: regions certified and the smallest margin among them,
// regions given up and the smallest of those, the share of inputs left undecided, notes in words.
import type { IrGraph } from '../../ir/types.ts';
import type { ProofSpec } from '../specs/spec.ts';
import type { Counterexample } from './counterexample.ts';

export type ProofStatus = 'proved' | 'refuted' | 'unknown';

export interface RegionReport {
  step: number;
  region: string;
  /** Share of all inputs the region holds. */
  fraction: number;
}

export interface StepReport {
  step: number;
  leaves: number;
  min_margin: number | null;
  seconds: number;
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
  per_step: StepReport[];
  seconds: number;
  notes: string[];
}

export class ProofReport<R> {
  readonly result: ProofResult;

  constructor(
    private readonly spec: ProofSpec<R>,
    dtype: IrGraph['dtype'],
    private readonly memoryUsage?: () => number,
  ) {
    this.result = {
      status: 'proved',
      dtype,
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
      notes: [],
    };
  }

  /** A remark in words, kept once however often it is made. */
  note(text: string): void {
    if (!this.result.notes.includes(text)) this.result.notes.push(text);
  }

  /** The memory in use now (null without `memoryUsage`), kept as the peak when it is one. */
  memory(): number | null {
    if (!this.memoryUsage) return null;
    const m = this.memoryUsage();
    this.result.peak_memory_bytes = Math.max(this.result.peak_memory_bytes ?? 0, m);
    return m;
  }

  certified(step: number, region: R, margin: number, stats: StepReport): void {
    const r = this.result;
    r.leaves++;
    stats.leaves++;
    if (stats.min_margin === null || margin < stats.min_margin) stats.min_margin = margin;
    if (r.min_certified_margin === null || margin < r.min_certified_margin) {
      r.min_certified_margin = margin;
      r.min_margin_at = { step, region: this.spec.describe(region), fraction: this.spec.fraction(region) };
    }
  }

  giveUp(step: number, region: R, reason: string): void {
    const r = this.result;
    const fraction = this.spec.fraction(region);
    r.undecided_fraction += fraction / this.spec.steps;
    if (!r.unknown || fraction < r.unknown.fraction) r.unknown = { step, region: this.spec.describe(region), fraction, reason };
  }

  refuted(counterexample: Counterexample): void {
    this.result.status = 'refuted';
    this.result.counterexample = counterexample;
  }

  /** The proof is over: a "proved" with anything undecided is "unknown". */
  finish(seconds: number): ProofResult {
    const r = this.result;
    r.seconds = seconds;
    if (r.status === 'proved' && r.undecided_fraction > 0) r.status = 'unknown';
    return r;
  }
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}
