// The prover's driver. For each decode step it splits the input space (specs/) until the bounds on
// the logits (graph/) show that the right token wins in every region, given that the tokens
// generated before were right. By induction over the steps, greedy decoding then gives the right
// answer for every input. A region the bounds cannot decide is split further; inputs sampled from
// it are decoded by the runtime (onnxruntime, the `verify` path), and a wrong answer there is a
// counterexample. A region still undecided after a few more splits is reported: "unknown".
// search/ holds the search itself; src/prove/README.md describes the layers.
//
// The task comes in as its specification (specs/select.ts chooses it), so the driver knows no task.
// Pure apart from the runtime session it opens for counterexamples; progress goes to a callback.
// Throws ProofLimit when the graph cannot be bounded at all (an unsupported operation).
import type { IrGraph } from '../ir/types.ts';
import { OutOfTime } from './graph/budget.ts';
import { GraphBounds } from './graph/ir-bounds.ts';
import type { ProofSpec } from './specs/spec.ts';
import { RuntimeCheck } from './search/counterexample.ts';
import { examines, proofClock, type ProveOptions } from './search/options.ts';
import { RegionSearch } from './search/region-search.ts';
import { ProofReport, type ProofResult } from './search/report.ts';

export type { Counterexample } from './search/counterexample.ts';
export { answerTokens } from './search/counterexample.ts';
export type { ProveOptions, ProveProgress } from './search/options.ts';
export { formatBytes, type ProofResult, type ProofStatus, type RegionReport } from './search/report.ts';
export { proofProblem, proofSpecFor } from './specs/select.ts';

export async function prove<R>(graph: IrGraph, spec: ProofSpec<R>, opts: ProveOptions = {}): Promise<ProofResult> {
  const clock = proofClock(opts);
  const bounds = new GraphBounds(graph);
  const report = new ProofReport(spec, graph.dtype, opts.memoryUsage);
  const runtime = new RuntimeCheck(spec.task, graph.dtype, opts.onnx);
  try {
    planLengths(bounds, spec, clock.deadline);
    report.memory();
    const search = new RegionSearch(bounds, spec, report, runtime, clock, opts);
    let ranToEnd = true;
    for (let step = 0; step < spec.steps && ranToEnd; step++) {
      if (examines(opts, step)) ranToEnd = await search.proveStep(step);
    }
    if (ranToEnd) noteWhatWasLeftOut(report, spec, opts);
  } finally {
    await runtime.close();
  }
  return report.finish((performance.now() - clock.started) / 1000);
}

/** Plans every step's sequence length first: a graph the prover cannot handle (an unsupported
 * operation) is refused here, with its reason, rather than region by region. Planning a large
 * design takes seconds: past the deadline the first step stops at once. */
function planLengths<R>(bounds: GraphBounds, spec: ProofSpec<R>, deadline: number): void {
  try {
    for (let step = 0; step < spec.steps; step++) bounds.prepareLength(spec.tokenSets(spec.root(step), step).length, deadline);
  } catch (e) {
    if (!(e instanceof OutOfTime)) throw e;
  }
}

/** After a proof that ran to the end: what it could not cover. Skipped steps keep it from "proved". */
function noteWhatWasLeftOut<R>(report: ProofReport<R>, spec: ProofSpec<R>, opts: ProveOptions): void {
  if (!opts.onnx) report.note('no compiled model was given, so undecided regions could not be checked for counterexamples');
  const skipped = Array.from({ length: spec.steps }, (_, k) => k).filter((k) => !examines(opts, k));
  if (skipped.length > 0) {
    report.note(`only some decode steps were examined; steps ${skipped.join(', ')} were not`);
    if (report.result.status === 'proved') report.result.status = 'unknown';
  }
}
