// One Task object drives run (openTaskRunner + judge), verify (verifyDigits / verifyTask) and prove's
// enumeration (proveByEnumeration), for addition (the 10p adder) and for a non-addition zoo task
// (reverse-eos: reverse a string, then EOS). Every expected value is computed here: sums by BigInt,
// prompts from each design's documented layout, reversals and palindrome counts by hand. A Task
// whose right answers were altered (the case's own string instead of its reversal, the sum plus
// one) shows that each entry judges by the Task it was given, not by one it rebuilt from the model.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CheckedModel } from '../src/check/model.ts';
import { compileSource } from '../src/compile.ts';
import { proveByEnumeration } from '../src/prove/search/enumerate.ts';
import type { StringCase } from '../src/runtime/string-task.ts';
import { digitTaskOf, type DigitTask } from '../src/runtime/tasks/digits.ts';
import { judge, openTaskRunner } from '../src/runtime/tasks/runner.ts';
import { stringTaskOf } from '../src/runtime/tasks/strings.ts';
import type { Task } from '../src/runtime/tasks/task.ts';
import { digitCaseSet, verifyDigits } from '../src/verify/verify-digits.ts';
import { verifyTask } from '../src/verify/verify-model.ts';
import { PROTOCOL_EDGE_CASES } from './reference/common.ts';
import { prompt10p, sumDigitsLsb } from './helpers/adder-10p.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function modelOf(path: string): CheckedModel {
  const out = compileSource(readFileSync(join(ROOT, path), 'utf8'));
  if (!out.model) throw new Error(`${path} does not compile: ${out.diagnostics.map((d) => d.message).join('; ')}`);
  return out.model;
}

describe('one Task for addition: the 10p adder', () => {
  const model = modelOf('examples/adder/adder-10p-rope19.hw');
  const task: DigitTask = digitTaskOf(model.task!, model.tokenNames);
  const pairs: Array<[number, number]> = [
    [0, 0],
    [9_999_999_999, 1],
    [1_234_567_890, 9_876_543_210],
    [5_000_000_000, 4_999_999_999],
  ];

  it('run: the prompts are the documented layout, the answers the BigInt sums', async () => {
    const cases = pairs.map(([a, b]) => ({ a, b }));
    const prompts = cases.map((c) => task.prompt(c));
    expect(prompts).toEqual(pairs.map(([a, b]) => prompt10p(a, b)));
    const run = await openTaskRunner(model, task, { dtype: 'float64' });
    try {
      const answers = await run(cases, prompts);
      answers.forEach((got, i) => {
        const want = sumDigitsLsb(...pairs[i]!);
        expect(got.answer).toEqual(want);
        expect(judge(got, want).firstWrong).toBe(-1);
        expect(task.answerOf(got.answer)).toBe(pairs[i]![0] + pairs[i]![1]);
        // One digit off is caught at the step that writes it.
        expect(judge(got, want.map((d, k) => (k === 3 ? (d + 1) % 10 : d))).firstWrong).toBe(3);
      });
    } finally {
      await run.close();
    }
  });

  it('verify: the protocol the Task offers, its edge cases first, every sum right; a Task with wrong sums fails them all', async () => {
    const cases = digitCaseSet(task, { tests: 30 });
    expect(cases.pairs.slice(0, PROTOCOL_EDGE_CASES.length)).toEqual(PROTOCOL_EDGE_CASES.map((p) => [...p]));
    expect(cases.pairs).toHaveLength(PROTOCOL_EDGE_CASES.length + 30);
    const good = await verifyDigits(model, task, cases, ['float64']);
    expect(good.ok).toBe(true);
    expect(good.reports[0]!.passed).toBe(cases.pairs.length);

    const offByOne: DigitTask = { ...task, expectedValue: (c) => c['a']! + c['b']! + 1 };
    const bad = await verifyDigits(model, offByOne, cases, ['float64']);
    expect(bad.reports[0]!.passed).toBe(0);
    for (const f of bad.reports[0]!.failures) expect(BigInt(f.expected)).toBe(BigInt(f.a) + BigInt(f.b!) + 1n);
  });

  it("verify through the generic path: a seeded sample of the Task's domain, every case right", async () => {
    const r = await verifyTask(model, task, { dtype: 'float64', budget: 0, samples: 40, seed: 7 });
    expect(r).toMatchObject({ mode: 'sampled', cases: 40, passed: 40, domainSize: 10 ** 10 * 10 ** 10 });
    expect(r.tokens).toEqual({ right: 40 * 11, total: 40 * 11 });
  });

  it("prove: the domain of 10^20 pairs is over the enumeration budget, so UNKNOWN with the Task's size", async () => {
    const p = await proveByEnumeration(model, { task: task as Task<unknown> });
    expect(p).toMatchObject({ status: 'unknown', method: 'enumeration', size: 10 ** 20, checked: 0, domain: 'a of 10 digits, b of 10 digits' });
    expect(p.reason).toContain('over the enumeration budget of 1,000,000');
  });
});

describe('one Task for a zoo task: reverse-eos', () => {
  const model = modelOf('examples/zoo/reverse-eos.hw');
  const task = stringTaskOf(model);
  const names = model.tokenNames!;
  const id = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`no token ${name}`);
    return i;
  };
  const ids = (text: string) => [...text].map(id);
  // Strings of length 0..8 over a, b, c: 3^0 + ... + 3^8; palindromes of length n: 3^ceil(n/2).
  const domainSize = Array.from({ length: 9 }, (_, n) => 3 ** n).reduce((x, y) => x + y);
  const palindromes = Array.from({ length: 9 }, (_, n) => 3 ** Math.ceil(n / 2)).reduce((x, y) => x + y);
  /** The same task, but the right answer is the string itself: only palindromes can pass. */
  const identity: Task<StringCase> = { ...task, expected: (c) => [...c['s']!] };

  it('run: BOS s SEP in, the reversal and EOS out', async () => {
    const texts = ['', 'a', 'abc', 'cabbacab', 'ccc'];
    const cases = texts.map((t) => ({ s: ids(t) }));
    const prompts = cases.map((c) => task.prompt(c));
    expect(prompts).toEqual(texts.map((t) => [id('BOS'), ...ids(t), id('SEP')]));
    const run = await openTaskRunner(model, task, { dtype: model.dtype });
    try {
      const answers = await run(cases, prompts);
      answers.forEach((got, i) => {
        const want = ids([...texts[i]!].reverse().join(''));
        expect(got.answer).toEqual(want);
        expect(got.stopped).toBe(true);
        expect(got.read).toEqual([...want, id('EOS')]);
        expect(judge(got, want).firstWrong).toBe(-1);
      });
      // Against the string itself, "abc" is wrong at its first token and "ccc" right.
      expect(judge(answers[2]!, ids('abc')).firstWrong).toBe(0);
      expect(judge(answers[4]!, ids('ccc')).firstWrong).toBe(-1);
    } finally {
      await run.close();
    }
  });

  it('verify: all strings of length 0..8, every one right; against the identity only the palindromes pass', async () => {
    const r = await verifyTask(model, task);
    expect(r).toMatchObject({ mode: 'exhaustive', cases: domainSize, passed: domainSize, domainSize });
    const id2 = await verifyTask(model, identity, { maxFailures: 2 });
    expect(id2.passed).toBe(palindromes);
    // The first non-palindromes in enumeration order (by length, then alphabet order): "ab", "ac".
    expect(id2.failures.map((f) => [f.input, f.got])).toEqual([
      ['"a b"', 'b a'],
      ['"a c"', 'c a'],
    ]);
  });

  it('prove: PROVED by enumerating all of them; the identity Task is REFUTED at "ab", the 6th input', async () => {
    const p = await proveByEnumeration(model, { task: task as Task<unknown> });
    expect(p).toMatchObject({ status: 'proved', method: 'enumeration', size: domainSize, checked: domainSize });
    const q = await proveByEnumeration(model, { task: identity as Task<unknown> });
    // "", then a b c, then aa (a palindrome), then ab: the 6th.
    expect(q).toMatchObject({ status: 'refuted', checked: 6, counterexample: { input: '"a b"', expected: 'a b', got: 'b a', firstWrong: 0 } });
  });
});
