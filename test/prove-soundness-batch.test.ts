// The seeded soundness batch of `handwire prove` (issue #16), small enough for CI: perturbed
// variants of shipped designs (scripts/perturb-designs.ts) are proved, and each verdict is held to
// an independent check (scripts/soundness-batch.ts): a PROVED variant must pass every verified case,
// a REFUTED one's counterexample must fail again when this batch replays it on a fresh session
// with its own BigInt answer. CI verifies a PROVED variant on 2,000 seeded random cases (plus the
// carry chains for adders), not the 200,000 of `npx tsx bench/prove-soundness.ts`, to stay well
// under a minute; the large batch is the benchmark's. The batch must contain both verdicts, so the
// test covers both checks and fails if either side disagrees.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { describeEdits, perturbationSites, perturbDesign } from '../scripts/perturb-designs.ts';
import { describeOutcome, expectedTokens, replayCounterexample, runSoundnessBatch, soundnessCases } from '../scripts/soundness-batch.ts';

const REVERSE = 'examples/tasks/reverse-13p-sinpe32.hw';
const ADDER = 'examples/adder/adder-10p-rope19.hw';

describe('perturbed designs', () => {
  it('nudges only arithmetic literals, at their spans, and repeats exactly for a seed', () => {
    const source = readFileSync(REVERSE, 'utf8');
    const sites = perturbationSites(source);
    // theta's 2 and 32, alpha's 15, gain, head_lin, head_quad and the attention scale; not the
    // comprehension ranges 0..9, the vocabulary, `heads 1, dim 2`, the exponent of d^2 or the task.
    expect(sites.map((s) => `${s.where}:${s.text}`)).toEqual(['let theta:2', 'let theta:32', 'let alpha:15', 'param gain:2000', 'param head_lin:2', 'param head_quad:1', 'layer 0 attention scale:1']);
    const a = perturbDesign(source, { seed: 7, count: 6 });
    const b = perturbDesign(source, { seed: 7, count: 6 });
    expect(a.variants.map((v) => v.source)).toEqual(b.variants.map((v) => v.source));
    for (const v of a.variants) {
      // Each edit changes one literal by the stated factor; the rest of the text is untouched.
      for (const e of v.edits) expect(Number(e.to) / Number(e.from) - 1).toBeCloseTo(e.relative, 8);
      expect(v.source.length - source.length).toBe(v.edits.reduce((n, e) => n + e.to.length - e.from.length, 0));
      expect(v.size === 'small' ? v.edits.every((e) => Math.abs(e.relative) < 0.01) : v.edits.every((e) => Math.abs(e.relative) >= 0.09)).toBe(true);
      expect(compileSource(v.source).model, describeEdits(v.edits)).toBeDefined();
    }
  });

  it('the replay tells a right answer from a wrong one (so a false REFUTED would be caught)', async () => {
    const out = compileSource(readFileSync(ADDER, 'utf8'), { dtype: 'float64' });
    const task = out.model!.task!;
    const inputs = { a: 9_999_999_999, b: 1 };
    const right = expectedTokens(task, inputs);
    expect(right).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]); // 10,000,000,000, units first
    const replay = await replayCounterexample(out.onnx!, 'float64', task, { inputs } as never);
    expect(replay.tokens).toEqual(right); // the shipped design adds correctly
    // The cases a PROVED variant is verified on: the carry chains, then the seeded random pairs.
    const cases = soundnessCases(task, 100, 5);
    expect(cases.pairs.length).toBeGreaterThan(100);
    expect(cases.pairs).toContainEqual([9_999_999_999, 1]);
  });
});

describe('the seeded soundness batch', () => {
  it('finds no PROVED variant with a failing case and no REFUTED one that does not replay', async () => {
    const lines: string[] = [];
    const onOutcome = (o: Parameters<typeof describeOutcome>[0]) => void lines.push(describeOutcome(o));
    // The reverse design in both dtypes (each proof takes well under a second) ...
    const reverse = await runSoundnessBatch({ designs: [REVERSE], seed: 2, variants: 12, dtypes: ['float64', 'float32'], timeLimitSeconds: 30, randomCases: 2000, onOutcome });
    // ... and the large nudges of the 10p adder, which are refuted in about a second each (its
    // small nudges are proved in 15-25 s: the benchmark's).
    const adder = await runSoundnessBatch({ designs: [ADDER], seed: 1, variants: 6, sizes: ['large'], dtypes: ['float64'], timeLimitSeconds: 30, randomCases: 2000, onOutcome });
    const outcomes = [...reverse.outcomes, ...adder.outcomes];
    expect([...reverse.disagreements, ...adder.disagreements].map(describeOutcome), lines.join('\n')).toEqual([]);
    const proved = outcomes.filter((o) => o.status === 'proved');
    const refuted = outcomes.filter((o) => o.status === 'refuted');
    expect(proved.length, lines.join('\n')).toBeGreaterThan(0);
    expect(refuted.length, lines.join('\n')).toBeGreaterThan(0);
    expect(refuted.some((o) => o.design === ADDER), lines.join('\n')).toBe(true);
    for (const o of proved) expect(o.verified!.failed).toBe(0);
    for (const o of refuted) expect(o.replay!.tokens).not.toEqual(o.replay!.expectedTokens);
  }, 120_000);
});
