// The soundness batch of `handwire prove` (issue #16): seeded perturbations of shipped designs
// (scripts/perturb-designs.ts), each proved under a time limit and then held to an independent
// check, so that a wrong verdict shows up as a disagreement:
//   - PROVED: the variant is verified on carry chains + seeded random inputs (the digit Task's case
//     lists, src/runtime/tasks/) by the verify stage with full-recompute greedy decoding (the
//     decoder the proof's claim is about); any failing case is a disagreement.
//   - REFUTED: the counterexample is replayed here, through a fresh onnxruntime session and greedy
//     decoding, its prompt laid out from the task contract and its right digits computed with
//     BigInt; it must fail, with the tokens the prover reported. Anything else is a disagreement.
//   - UNKNOWN (a limit reached, or undecided regions): counted, no claim to check.
// Nothing here uses the prover's own decoding or reading of answers. Used by
// test/prove-soundness-batch.test.ts (a small batch) and bench/prove-soundness.ts (a large one).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FloatDType, TaskContract } from '../src/check/model.ts';
import { compileSource } from '../src/compile.ts';
import { prove, proofProblem, proofSpecFor, type Counterexample } from '../src/prove/prove.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { openSession } from '../src/runtime/session.ts';
import { digitTaskOf } from '../src/runtime/tasks/digits.ts';
import { combineCaseSets, type CaseSet } from '../src/runtime/tasks/protocol.ts';
import { promptFor } from '../src/runtime/task.ts';
import { verifyDigits } from '../src/verify/verify-digits.ts';
import { describeEdits, perturbDesign, type Edit } from './perturb-designs.ts';
import { REPO_ROOT } from './shipped-designs.ts';

export interface BatchOptions {
  /** Repository-relative paths of the designs (digit tasks `prove` has a specification for). */
  designs: string[];
  seed: number;
  /** Variants drawn per design (those failing `check` are skipped and counted). */
  variants: number;
  dtypes: FloatDType[];
  /** prove's time limit per variant and dtype, in seconds. */
  timeLimitSeconds: number;
  /** Seeded random cases verified after a PROVED (the carry chains come on top, for two-input tasks). */
  randomCases: number;
  /** Only variants of these sizes (default both): a quick batch may keep the large, mostly broken
   * ones of a slow design, whose refutations come in a second. */
  sizes?: ('small' | 'large')[];
  /** Called after each variant and dtype, for progress lines. */
  onOutcome?(o: Outcome): void;
}

export interface Outcome {
  design: string;
  seed: number;
  index: number;
  size: 'small' | 'large';
  edits: Edit[];
  dtype: FloatDType;
  status: 'proved' | 'refuted' | 'unknown';
  proveSeconds: number;
  /** PROVED: the cases verified and how many failed. */
  verified?: { cases: number; failed: number; firstFailure?: string; seconds: number };
  /** REFUTED: what the replay decoded. */
  replay?: { tokens: number[]; expectedTokens: number[] };
  /** Why the verdict does not hold up, or null when it does (or there is none to check). */
  disagreement: string | null;
}

export interface DesignSummary {
  design: string;
  variants: number;
  skipped: number;
  proved: number;
  refuted: number;
  unknown: number;
  disagreements: number;
  seconds: number;
}

export interface BatchResult {
  outcomes: Outcome[];
  summaries: DesignSummary[];
  disagreements: Outcome[];
}

/** The right answer's tokens, computed here with BigInt for the two task shapes prove specifies:
 * `a + b` (two inputs) and `x` (a copy of one input). */
export function expectedTokens(task: TaskContract, inputs: Record<string, number>): number[] {
  const names = task.operands.map((o) => o.name);
  const expect = task.expect.replace(/\s+/g, '');
  let value: bigint;
  if (names.length === 2 && expect === `${names[0]}+${names[1]}`) value = BigInt(inputs[names[0]!]!) + BigInt(inputs[names[1]!]!);
  else if (names.length === 1 && expect === names[0]) value = BigInt(inputs[names[0]!]!);
  else throw new Error(`the batch's replay knows a + b and x, not '${task.expect}'`);
  const base = BigInt(task.base);
  const lsb: number[] = [];
  for (let k = 0; k < task.decode; k++) {
    lsb.push(Number(value % base));
    value /= base;
  }
  if (value !== 0n) throw new Error(`the answer does not fit ${task.decode} digits`);
  return task.answer === 'lsb' ? lsb : lsb.reverse();
}

/** Replays a counterexample on a fresh session: greedy decoding (full recompute) of its prompt. */
export async function replayCounterexample(onnx: Uint8Array, dtype: FloatDType, task: TaskContract, c: Counterexample): Promise<{ tokens: number[]; expectedTokens: number[] }> {
  const { session } = await openSession(onnx, { dtype });
  try {
    const out = await greedyDecode(session, [promptFor(task, c.inputs)], task.decode);
    return { tokens: [...out.tokens[0]!], expectedTokens: expectedTokens(task, c.inputs) };
  } finally {
    await session.release();
  }
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Carry chains (two-input tasks) and `randomCases` seeded random inputs: the digit Task's lists. */
export function soundnessCases(task: TaskContract, randomCases: number, seed: number): CaseSet {
  const digit = digitTaskOf(task);
  const sets: CaseSet[] = [];
  if (task.operands.length === 2) {
    const chains = digit.cases({ carryChains: true });
    if ('error' in chains) throw new Error(chains.error);
    sets.push(chains);
  }
  const random = digit.cases({ tests: randomCases, seed });
  if ('error' in random) throw new Error(random.error);
  sets.push(random);
  return combineCaseSets(sets);
}

export async function runSoundnessBatch(opts: BatchOptions): Promise<BatchResult> {
  const outcomes: Outcome[] = [];
  const summaries: DesignSummary[] = [];
  for (const design of opts.designs) {
    const started = performance.now();
    const source = readFileSync(join(REPO_ROOT, design), 'utf8');
    const drawn = perturbDesign(source, { seed: opts.seed, count: opts.variants });
    const variants = drawn.variants.filter((v) => !opts.sizes || opts.sizes.includes(v.size));
    const summary: DesignSummary = { design, variants: variants.length, skipped: drawn.skipped.length, proved: 0, refuted: 0, unknown: 0, disagreements: 0, seconds: 0 };
    for (const v of variants) {
      for (const dtype of opts.dtypes) {
        const o = await runVariant(design, v.source, dtype, opts, { seed: v.seed, index: v.index, size: v.size, edits: v.edits });
        if (!o) {
          summary.skipped++;
          continue;
        }
        outcomes.push(o);
        summary[o.status]++;
        if (o.disagreement) summary.disagreements++;
        opts.onOutcome?.(o);
      }
    }
    summary.seconds = (performance.now() - started) / 1000;
    summaries.push(summary);
  }
  return { outcomes, summaries, disagreements: outcomes.filter((o) => o.disagreement) };
}

type VariantId = Pick<Outcome, 'seed' | 'index' | 'size' | 'edits'>;

/** One variant in one dtype; undefined when prove has nothing to say about it (no specification,
 * a graph it cannot bound): counted as skipped. */
async function runVariant(design: string, source: string, dtype: FloatDType, opts: BatchOptions, id: VariantId): Promise<Outcome | undefined> {
  const out = compileSource(source, { dtype });
  const task = out.model?.task;
  if (!out.ir || !out.onnx || !out.model || !task || proofProblem(task)) return undefined;
  const t0 = performance.now();
  let result;
  try {
    result = await prove(out.ir, proofSpecFor(task), { onnx: out.onnx, timeLimitSeconds: opts.timeLimitSeconds, seed: id.seed });
  } catch (e) {
    if (e instanceof Error && e.name === 'ProofLimit') return undefined;
    throw e;
  }
  const o: Outcome = { design, ...id, dtype, status: result.status, proveSeconds: (performance.now() - t0) / 1000, disagreement: null };
  if (result.status === 'proved') {
    const cases = soundnessCases(task, opts.randomCases, (id.seed * 31 + id.index) >>> 0);
    const v = await verifyDigits(out.model, digitTaskOf(task, out.model.tokenNames), cases, [dtype], { threads: 1, fullRecompute: true });
    const report = v.reports[0]!;
    const failed = report.total - report.passed;
    const first = report.failures[0];
    o.verified = { cases: report.total, failed, firstFailure: first ? JSON.stringify(first) : undefined, seconds: report.seconds };
    if (failed > 0) o.disagreement = `PROVED, but ${failed} of ${report.total} cases fail, e.g. ${o.verified.firstFailure}`;
  } else if (result.status === 'refuted') {
    const c = result.counterexample;
    if (!c) {
      o.disagreement = 'REFUTED without a counterexample';
    } else {
      const replay = await replayCounterexample(out.onnx, dtype, task, c);
      o.replay = replay;
      if (sameTokens(replay.tokens, replay.expectedTokens)) o.disagreement = `REFUTED with ${JSON.stringify(c.inputs)}, but the replay decodes the right answer`;
      else if (!sameTokens(replay.tokens, c.tokens)) o.disagreement = `REFUTED with ${JSON.stringify(c.inputs)}: the replay decodes ${replay.tokens.join(' ')}, the prover reported ${c.tokens.join(' ')}`;
    }
  }
  return o;
}

/** One line naming a variant, enough to rebuild it: design, seed, index, dtype and its edits. */
export function describeOutcome(o: Outcome): string {
  return `${o.design} seed ${o.seed} #${o.index} (${o.size}) ${o.dtype}: ${o.status.toUpperCase()}${o.disagreement ? ` — DISAGREEMENT: ${o.disagreement}` : ''}; edits: ${describeEdits(o.edits)}`;
}
