// What the ablation panel shows: the ablated graph (ablate.ts) run on the same prefixes the plain
// run's decode steps saw, so each step's logits can be set against the plain ones, and the ablated
// graph's own greedy decode, so the answer it would give is shown too. Nothing here opens a
// session: the caller passes functions that run the ablated graph.
import type { CheckedModel } from '../check/model.ts';
import { readAnswer } from '../runtime/task.ts';
import type { Ablation } from './ablate.ts';
import type { Inspection, RunProbes } from './collect.ts';

export interface AblationStep {
  step: number;
  position: number;
  /** Logits of the plain run and of the ablated run on the same prefix. */
  base: Float64Array;
  ablated: Float64Array;
  chosenBase: number;
  /** Argmax of the ablated logits on the plain run's prefix. */
  chosenAblated: number;
}

export interface AblationFigure {
  ablation: Ablation;
  steps: AblationStep[];
  /** The ablated graph's own greedy decode from the same prompt. */
  generated: number[];
  answer?: number;
}

export async function collectAblation(
  model: CheckedModel,
  base: Inspection,
  ablation: Ablation,
  run: RunProbes,
  generated: number[],
): Promise<AblationFigure> {
  const prompt = base.sequence.slice(0, base.promptLength);
  const steps: AblationStep[] = [];
  for (const s of base.steps) {
    const prefix = [...prompt, ...base.generated.slice(0, s.step)];
    const out = await run(prefix);
    const logits = out['logits'];
    if (!logits) throw new Error("inspect: the ablated run returned no 'logits'");
    const ablated = logits.data.slice(s.position * model.vocab, (s.position + 1) * model.vocab);
    steps.push({ step: s.step, position: s.position, base: s.logits, ablated, chosenBase: s.chosen, chosenAblated: argmax(ablated) });
  }
  const answer = base.task && model.task && generated.length === model.task.decode ? readAnswer(model.task, generated) : undefined;
  return { ablation, steps, generated, answer };
}

/** First index of the largest value (greedy decoding's tie rule). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}
