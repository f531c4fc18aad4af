// One formula language: a task's `expect` is read by the same parser and computed by the same
// evaluator as weight formulas (src/runtime/task.ts). Before, the checker validated it and then
// mathjs re-parsed its text at run time, where `a / 2 b` meant a / (2b) instead of (a / 2) · b.
// Expected values below are worked out by hand from the documented precedence (docs/language.md):
// juxtaposition multiplies at the level of * and /, left to right; unary minus binds looser than ^.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../src/check/check-source.ts';
import { Evaluator, Scope } from '../src/check/evaluate.ts';
import { METADATA_KEYS, modelMetadata } from '../src/ir/metadata.ts';
import { expectedAnswer } from '../src/runtime/task.ts';
import { parseFormula } from '../src/syntax/parse.ts';
import type { TaskContract } from '../src/check/model.ts';

const TEN = readFileSync(new URL('../examples/adder/adder-10p-rope19.hw', import.meta.url), 'utf8');

/** The 10p design with its task's `expect` replaced. */
function taskWith(formula: string): TaskContract {
  const source = TEN.replace('expect a + b', `expect ${formula}`);
  const { model, diagnostics } = checkSource(source, { audit: false });
  expect(diagnostics.filter((d) => d.severity === 'error'), formula).toEqual([]);
  return model!.task!;
}

/** The same text as a weight formula, with a and b bound the same way. */
function asWeightFormula(formula: string, a: number, b: number): unknown {
  const scope = new Scope();
  scope.set('a', a);
  scope.set('b', b);
  return new Evaluator().evaluate(parseFormula(formula).expr!, scope);
}

const CASES: Array<[formula: string, a: number, b: number, value: number]> = [
  ['a / 2 b', 7, 5, 17.5], // (7 / 2) · 5, not 7 / (2 · 5) = 0.7
  ['-a^2', 3, 0, -9], // −(3²)
  ['a + 2^-1', 7, 0, 7.5],
  ['a - b - 1', 7, 5, 1], // left to right
  ['2 a b', 3, 4, 24],
  ['a % b', 7, 5, 2],
  ['(a + b) / 2', 7, 5, 6],
  ['a > b ? a : b', 7, 5, 7],
];

describe('expect and weight formulas are one language', () => {
  for (const [formula, a, b, value] of CASES) {
    it(`${formula} with a = ${a}, b = ${b} is ${value} in both`, () => {
      expect(expectedAnswer(taskWith(formula), { a, b })).toBe(value);
      expect(asWeightFormula(formula, a, b)).toBe(value);
    });
  }

  it('a contract read back from ONNX metadata (text only) computes the same', () => {
    const source = TEN.replace('expect a + b', 'expect a / 2 b');
    const { model } = checkSource(source, { audit: false });
    const stored = JSON.parse(modelMetadata(model!, 'float32')[METADATA_KEYS.task]!) as TaskContract;
    expect(stored.expectFormula).toBeUndefined(); // the syntax tree does not travel
    expect(stored.expect).toBe('a / 2 b');
    expect(expectedAnswer(stored, { a: 7, b: 5 })).toBe(17.5);
  });

  it('text that is not one formula is refused with a reason', () => {
    expect(parseFormula('a + ').expr).toBeUndefined();
    expect(parseFormula('a b )').diagnostics[0]?.message).toMatch(/unexpected/);
    expect(parseFormula('a b c').expr).toBeDefined(); // juxtaposition: one formula
    expect(parseFormula('a, b').diagnostics[0]?.message).toMatch(/unexpected/);
    expect(parseFormula('a $ b').diagnostics[0]?.code).toBe('HW001');
    expect(() => expectedAnswer({ ...taskWith('a + b'), expectFormula: undefined, expect: 'a +' }, { a: 1, b: 2 })).toThrow(/not a formula/);
  });
});
