// Token-string tasks through the library: the contract the checker reads, the sequence functions
// against definitions written out here, and verifyModel / proveByEnumeration on real onnxruntime.
// Right answers are computed in this file (counting bits, a loop for brackets), never taken from the
// code under test; the models are small circuits whose behaviour follows from their weights.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSource, compileSource } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import { openSession } from '../src/runtime/session.ts';
import { readPositions } from '../src/runtime/read-positions.ts';
import { parseDataset } from '../src/verify/dataset.ts';
import { stringTaskOf, stringCount } from '../src/runtime/tasks/strings.ts';
import { verifyModel } from '../src/verify/verify-model.ts';
import { proveByEnumeration } from '../src/prove/search/enumerate.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAJORITY = readFileSync(join(ROOT, 'examples/zoo/majority.hw'), 'utf8');

function model(src: string): CheckedModel {
  const out = checkSource(src);
  const errors = out.diagnostics.filter((d) => d.severity === 'error');
  if (!out.model || errors.length > 0) throw new Error(errors.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`).join('\n'));
  return out.model;
}

function codes(src: string): string[] {
  return checkSource(src).diagnostics.map((d) => d.code);
}

/** Every bit string of length lo..hi, shortest first. */
function bitStrings(lo: number, hi: number): number[][] {
  const out: number[][] = [];
  for (let n = lo; n <= hi; n++) for (let v = 0; v < 2 ** n; v++) out.push(Array.from({ length: n }, (_, i) => (v >> (n - 1 - i)) & 1));
  return out;
}

// "1" wins only on a strict majority (ids: "0" = 0, "1" = 1).
const majorityOf = (s: number[]) => (s.filter((b) => b === 1).length > s.filter((b) => b === 0).length ? 1 : 0);

/** A task block spliced into a one-line model over ["0", "1", "(", ")", "BOS", "EOS"]. */
function withTask(expect: string, extra = '', answer = 'class'): string {
  return `model t {
  vocab ["0", "1", "(", ")", "BOS", "EOS"]
  residual [u]
  embed E[t] = [t]
  head = [u, u, u, u, u, u]
  task t {
    input s: ["0", "1", "(", ")"] length 0..6
    prompt ["BOS", s]
    answer ${answer}
    ${expect}
    ${extra}
  }
}`;
}

describe('the contract of a token-string task', () => {
  it('reads inputs, prompt, readout and expect from the task block', () => {
    const m = model(MAJORITY);
    expect(m.task).toBeUndefined();
    expect(m.stringTask).toMatchObject({
      name: 'majority',
      inputs: [{ name: 's', alphabet: [0, 1], minLength: 1, maxLength: 12 }],
      prompt: [{ kind: 'token', token: 2 }, { kind: 'string', input: 's' }],
      readout: 'class',
      expect: 'majority(s)',
    });
    // The longest prompt is BOS + 12 bits.
    expect(m.context).toBe(13);
  });

  it('refuses what is not a task, each with one diagnostic at the cause', () => {
    expect(codes(withTask('expect majority(s)').replace('"(", ")"] length', '"(", "]"] length'))).toEqual(['HW026']);
    expect(codes(withTask('expect reverse(s)'))).toEqual(['HW026']); // class reads one token, not a string
    expect(codes(withTask('expect s', 'decode 3'))).toEqual(['HW025']); // decode is for generated answers
    expect(codes(withTask('expect s', 'data "x.txt"', 'each'))).toEqual(['HW025']); // expect or data
    expect(codes(withTask('expect count(s, "1")'))).toEqual([]); // a count is a token id here (0..6 < 6 fails below)
    expect(codes(withTask('expect count(s, "1") + 6'))).toEqual(['HW026']); // not a token id
    expect(codes(withTask('expect "2"'))).toEqual(['HW010']); // no token named "2"
    expect(codes(withTask('expect s', '', 'sideways'))).toEqual(['HW026']);
    expect(codes(withTask('expect s', '', 'tokens'))).toEqual(['HW026']); // tokens need decode
    expect(codes(withTask('expect s', 'decode 8\n stop "EOS"', 'tokens'))).toEqual([]);
  });

  it('gives quoted token names their ids in weight formulas too', () => {
    const m = model(withTask('expect "1"').replace('embed E[t] = [t]', 'embed E[t] = [t == ")" ? 7 : 0]'));
    expect(Array.from(m.embedding.data)).toEqual([0, 0, 0, 7, 0, 0]);
  });
});

describe('sequence functions, against their definitions', () => {
  // Evaluated through a task's expect on one input: the model answers `each` with any labels, so
  // the check only needs expect's value, which stringTaskOf(...).expected gives.
  const valueOf = (formula: string, s: number[], answer = 'each') => {
    // majority of the empty string is undefined (the checker says so on its sample), so class
    // answers are asked of non-empty strings.
    const m = model(withTask(`expect ${formula}`, '', answer).replace('length 0..6', answer === 'class' ? 'length 1..8' : 'length 0..8'));
    return stringTaskOf(m).expected({ s });
  };
  const strings = [[], [0], [1, 0, 1], [2, 2, 3, 3], [2, 3, 3, 2], [3, 2], [1, 1, 0, 2, 1, 0, 0, 1]];

  it('reverse, sort, histogram and induction', () => {
    for (const s of strings) {
      expect(valueOf('reverse(s)', s)).toEqual(s.map((_, i) => s[s.length - 1 - i]));
      expect(valueOf('sort(s)', s)).toEqual([...s].sort((a, b) => a - b));
      expect(valueOf('histogram(s)', s).length).toBe(s.length);
      // histogram labels are token ids here only while counts stay below 6: check the counts.
      expect(valueOf('histogram(s)', s)).toEqual(s.map((t) => s.filter((u) => u === t).length));
      const induction = s.map((t, i) => {
        const j = s.lastIndexOf(t, i - 1);
        return i > 0 && j >= 0 ? s[j + 1]! : 4;
      });
      expect(valueOf('induction(s, "BOS")', s)).toEqual(induction);
    }
  });

  it('count, parity, majority, balanced and dedupe', () => {
    for (const s of strings.filter((x) => x.length > 0)) {
      const ones = s.filter((t) => t === 1).length;
      expect(valueOf('count(s, "1")', s, 'class')).toEqual([ones]);
      expect(valueOf('parity(s, "1")', s, 'class')).toEqual([ones % 2]);
      let depth = 0;
      let ok = true;
      for (const t of s) {
        depth += t === 2 ? 1 : t === 3 ? -1 : 0;
        if (depth < 0) ok = false;
      }
      expect(valueOf('balanced(s, "(", ")")', s, 'class')).toEqual([ok && depth === 0 ? 1 : 0]);
      const counts = [0, 1, 2, 3].map((t) => s.filter((u) => u === t).length);
      const top = Math.max(...counts);
      expect(valueOf('majority(s)', s, 'class')).toEqual([counts.indexOf(top)]);
    }
    const m = model(withTask('expect dedupe(s)', 'decode 9', 'tokens'));
    expect(stringTaskOf(m).expected({ s: [1, 1, 0, 1, 3, 0] })).toEqual([1, 0, 3]);
  });
});

describe('the domain of a string task', () => {
  it('enumerates every string once, shortest first, and samples each length evenly', () => {
    const m = model(MAJORITY);
    const task = stringTaskOf(m);
    expect(task.domain.size).toBe(2 ** 13 - 2);
    const all = [...task.domain.enumerate()].map((c) => c['s']!);
    expect(all).toEqual(bitStrings(1, 12));
    const sample = task.domain.sample(1200, 7);
    // Lengths 1..6 have at most 64 strings, under their share of 100: all of them; 7..12 get 100 each.
    for (let n = 1; n <= 12; n++) expect(sample.filter((c) => c['s']!.length === n).length).toBe(Math.min(2 ** n, 100));
    expect(task.domain.sample(1200, 7)).toEqual(sample); // seeded
    expect(stringCount(2, 0, 16)).toBe(131_071);
  });
});

describe('verifyModel and prove on the majority circuit', () => {
  it('the model agrees with majority computed here on every string of length 1..12 (both dtypes)', async () => {
    const m = model(MAJORITY);
    for (const dtype of ['float32', 'float64'] as const) {
      const onnx = compileSource(MAJORITY, { dtype }).onnx!;
      const { session } = await openSession(onnx, { dtype });
      const strings = bitStrings(1, 12);
      const prompts = strings.map((s) => [2, ...s]);
      const out = await readPositions(session, prompts, prompts.map((p) => [p.length - 1]));
      await session.release();
      expect(out.tokens.map((t) => t[0])).toEqual(strings.map(majorityOf));
      const r = await verifyModel(m, { dtype });
      expect(r).toMatchObject({ mode: 'exhaustive', cases: 8190, passed: 8190, tokens: { right: 8190, total: 8190 }, failures: [] });
      // The tie-breaking vote of BOS (-0.5) over 13 positions, times the gain 100.
      expect(r.minMargin).toBeCloseTo(50 / 13, 5);
    }
  });

  it('finds every tie when the tie-breaking vote is flipped, and prove refutes with the first', async () => {
    const broken = model(MAJORITY.replace('param bias = -0.5', 'param bias = 0.5'));
    const r = await verifyModel(broken, { maxFailures: 3 });
    // Ties: even lengths with as many ones as zeros.
    const ties = bitStrings(1, 12).filter((s) => 2 * s.filter((b) => b === 1).length === s.length).length;
    expect(ties).toBe(2 + 6 + 20 + 70 + 252 + 924);
    expect(r.cases - r.passed).toBe(ties);
    expect(r.failures[0]).toEqual({ input: '"0 1"', expected: '0', got: '1', firstWrong: 0 });
    const proof = await proveByEnumeration(broken);
    expect(proof).toMatchObject({ status: 'refuted', checked: 4, counterexample: { input: '"0 1"' } }); // "0", "1", "0 0", then "0 1"
    const good = await proveByEnumeration(model(MAJORITY), { dtype: 'float64' });
    expect(good).toMatchObject({ status: 'proved', size: 8190, checked: 8190, dtype: 'float64' });
    expect((await proveByEnumeration(model(MAJORITY), { budget: 100 })).status).toBe('unknown');
  });

  it('samples when the domain is over the budget, stratified by length', async () => {
    const r = await verifyModel(model(MAJORITY), { budget: 1000, samples: 240, seed: 3 });
    expect(r).toMatchObject({ mode: 'sampled', passed: r.cases, domainSize: 8190 });
    expect(r.cases).toBe(2 + 4 + 8 + 16 + 20 * 8);
  });
});

// Generated answers: after SEP the circuit emits the majority bit, then EOS (read off a `sep` channel
// that only the SEP token sets, and the `one` channel). At SEP: "1" scores 100 maj, EOS scores −1,
// "0" scores 0. At the emitted bit: EOS scores 200, above anything 100 maj can reach.
const MAJORITY_THEN_EOS = `model m {
  vocab ["0", "1", "BOS", "SEP", "EOS"]
  residual [one, vote, sep, maj]
  embed E[t] = [1, t == "1" ? 1 : t == "0" ? -1 : t == "BOS" ? -0.5 : 0, t == "SEP" ? 1 : 0, 0]
  layer {
    attention {
      heads 1, dim 1, value_dim 1
      q = [0 one]
      k = [0 one]
      v = [vote]
      causal
      write maj += out[0]
    }
  }
  head = [0, 100 maj, -inf, -inf, 200 one - 201 sep]
  task m {
    input s: ["0", "1"] length 1..9
    prompt ["BOS", s, "SEP"]
    answer tokens
    decode 3
    stop "EOS"
    expect [majority(s)]
  }
}`;

describe('answer tokens (generated, up to a stop token) and answer each', () => {
  it('reads generated tokens up to EOS; a missing EOS or an extra token is wrong', async () => {
    const m = model(MAJORITY_THEN_EOS);
    const r = await verifyModel(m);
    expect(r).toMatchObject({ cases: 2 ** 10 - 2, passed: 2 ** 10 - 2 });
    // Each case: the bit and EOS.
    expect(r.tokens).toEqual({ right: 2 * (2 ** 10 - 2), total: 2 * (2 ** 10 - 2) });
    // Asking for the bit twice: the model stops after one, so every case is wrong at step 1.
    const twice = await verifyModel(model(MAJORITY_THEN_EOS.replace('expect [majority(s)]', 'expect [majority(s), majority(s)]')));
    expect(twice.passed).toBe(0);
    expect(twice.failures[0]!.firstWrong).toBe(1);
    // Without the stop token the answer is all three generated tokens ("b EOS EOS"), not one.
    const noStop = await verifyModel(model(MAJORITY_THEN_EOS.replace('stop "EOS"', '')));
    expect(noStop.passed).toBe(0);
  });

  it('labels every input position (encoder style) and checks each label', async () => {
    const src = `model e {
  vocab ["0", "1", "BOS"]
  residual [one, bit]
  embed E[t] = [1, t == "1" ? 1 : 0]
  head = [0.5 one - bit, bit - 0.5 one, -inf]
  task e {
    input s: ["0", "1"] length 0..8
    prompt ["BOS", s]
    answer each
    expect s
  }
}`;
    const r = await verifyModel(model(src));
    expect(r).toMatchObject({ cases: 2 ** 9 - 1, passed: 2 ** 9 - 1 });
    // Labels: one per input token, over all strings of length 0..8.
    expect(r.tokens.total).toBe(bitStrings(0, 8).reduce((n, s) => n + s.length, 0));
    const flipped = await verifyModel(model(src.replace('expect s', 'expect reverse(s)')));
    // Palindromes pass (every string of length 0 or 1 among them).
    const palindromes = bitStrings(0, 8).filter((s) => s.every((b, i) => b === s[s.length - 1 - i])).length;
    expect(flipped.passed).toBe(palindromes);
  });
});

describe('datasets', () => {
  it('reads arrow, unicode-arrow and SCAN lines, skipping blanks and comments', () => {
    const m = model(MAJORITY);
    const { cases, diagnostics } = parseDataset('# header\n0 1 1 -> 1\r\n1 0 0 → 0\n\nIN: 1 1 OUT: 1\n', m);
    expect(diagnostics).toEqual([]);
    expect(cases).toEqual([
      { input: [0, 1, 1], output: [1], line: 2 },
      { input: [1, 0, 0], output: [0], line: 3 },
      { input: [1, 1], output: [1], line: 5 },
    ]);
  });

  it('verifies every line of a dataset and names the wrong line', async () => {
    const m = model(MAJORITY);
    const lines = bitStrings(1, 6).map((s) => `${s.join(' ')} -> ${majorityOf(s)}`);
    lines[10] = lines[10]!.replace(/-> (\d)$/, (_, d) => `-> ${1 - Number(d)}`);
    const { cases } = parseDataset(lines.join('\n'), m);
    const r = await verifyModel(m, { dataset: { cases, source: 'mine.txt' } });
    expect(r).toMatchObject({ mode: 'dataset', cases: lines.length, passed: lines.length - 1, domain: `the ${lines.length} lines of mine.txt` });
    expect(r.failures[0]!.input).toContain('(line 11)');
  });
});
