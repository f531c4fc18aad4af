// End to end over the design library: every example compiles cleanly, counts the parameters its spec
// states, passes Debian's onnx checker, matches an independent float64 evaluation of its spec's math
// (test/reference/, written from the designs' math as docs/designs/ states it, not from the
// compiler), and adds correctly on the AdderBoard edge cases and 1,000 random pairs in the dtype its
// spec names.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { parameterManifest } from '../src/ir/metadata.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { promptFor, readAnswer } from '../src/runtime/task.ts';
import { ADDERBOARD_EDGE_CASES } from '../src/runtime/tasks/adderboard-cases.ts';
import { PythonRandom } from '../src/runtime/tasks/python-random.ts';
import { taskRandomCaseSet } from '../src/runtime/tasks/protocol.ts';
import { runCases } from '../src/verify/run.ts';
import { digitTaskOf } from '../src/runtime/tasks/digits.ts';
import { buildReport } from '../src/verify/report.ts';
import type { ReferenceDesign } from './reference/common.ts';

interface DesignCase {
  file: string;
  reference: string;
  /** The parameter count the spec states (the index of docs/designs/README.md). */
  specParams: number;
  specDtype: 'float32' | 'float64';
  /** Random full sequences compared against the reference. */
  prompts: number;
  /** How logit differences are normalised: by the row's largest |logit|, or by the whole
   * sequence's (for designs whose every position sums terms of the first step's magnitude). */
  scale: 'row' | 'sequence';
  /** First position compared: 0, or the prompt's last position where prompt logits are not
   * meaningful (see the comment on the 33p). */
  fromPromptEnd?: boolean;
}

const DESIGNS: DesignCase[] = [
  { file: 'adder-6p-rope19', reference: 'adder-6p-rope19', specParams: 6, specDtype: 'float64', prompts: 100, scale: 'row' },
  { file: 'adder-10p-rope19', reference: 'adder-10p-rope19', specParams: 10, specDtype: 'float32', prompts: 200, scale: 'row' },
  { file: 'adder-20p-rope19-relu', reference: 'adder-20p-rope19-relu', specParams: 20, specDtype: 'float32', prompts: 100, scale: 'row' },
  // The 33p's prompt positions attend to themselves through the e^80 output gain, so their logits
  // are ~1e35 and their hinge arithmetic is pure rounding in any float64 implementation; the spec
  // only defines the answer positions (from the last prompt position on).
  { file: 'adder-33p-alibi-fixedmask', reference: 'adder-33p-alibi-fixedmask', specParams: 33, specDtype: 'float64', prompts: 100, scale: 'row', fromPromptEnd: true },
  // The 36p sums digit × place terms of up to ~1e18 at every position and cancels them down to
  // distances of ~1e8 by the last step: float64 rounding of those sums (|error| ~ 1e2) is the same
  // in any implementation, so differences are measured against the sequence's largest logit.
  { file: 'adder-36p-alibi-2layer', reference: 'adder-36p-alibi-2layer', specParams: 36, specDtype: 'float64', prompts: 100, scale: 'sequence' },
  // At the 50p's prompt positions the wrap hinge can sit in its linear region, where its slope (1000
  // on the accumulator, times 2d in the head) amplifies float64 rounding of the attention average
  // ~2e4-fold (measured up to ~5e-9 there); the answer positions are compared.
  { file: 'adder-50p-sinpe11', reference: 'adder-50p-sinpe11', specParams: 50, specDtype: 'float32', prompts: 100, scale: 'row', fromPromptEnd: true },
  { file: 'adder-121p-qwen3-gqa', reference: 'adder-121p-qwen3-gqa', specParams: 121, specDtype: 'float32', prompts: 100, scale: 'row' },
  { file: 'adder-130p-nanogpt-sinpe11', reference: 'adder-130p-nanogpt-sinpe11', specParams: 130, specDtype: 'float32', prompts: 200, scale: 'row' },
];

const sourceOf = (name: string) => readFileSync(new URL(`../examples/adder/${name}.hw`, import.meta.url), 'utf8');

function randomPairs(seed: number, n: number): [number, number][] {
  const rng = new PythonRandom(seed);
  return Array.from({ length: n }, () => [rng.randint(0, 9_999_999_999), rng.randint(0, 9_999_999_999)] as [number, number]);
}

/** The true sum's digits in generation order, from the reference's read-back convention. */
function answerTokens(ref: ReferenceDesign, a: number, b: number): number[] {
  const s = a + b;
  const lsbFirst = Array.from({ length: 11 }, (_, k) => Math.floor(s / 10 ** k) % 10);
  // Each reference reads its generated tokens back; pick the order that reads back to the sum.
  return ref.readAnswer(lsbFirst) === s ? lsbFirst : [...lsbFirst].reverse();
}

describe.each(DESIGNS)('$file', (d) => {
  const source = sourceOf(d.file);

  it('compiles with no diagnostics and counts the spec\'s parameters', () => {
    const out = compileSource(source);
    expect(out.diagnostics).toEqual([]);
    expect(out.model!.dtype).toBe(d.specDtype);
    expect(parameterManifest(out.model!).count).toBe(d.specParams);
  });

  it('lays out the prompt as the spec does', async () => {
    const ref: ReferenceDesign = (await import(`./reference/${d.reference}.ts`)).design;
    const task = compileSource(source).model!.task!;
    for (const [a, b] of [...ADDERBOARD_EDGE_CASES, ...randomPairs(3, 20)]) {
      expect(promptFor(task, { a, b })).toEqual(ref.prompt(a, b));
    }
    expect(task.decode).toBe(ref.decodeSteps);
  });

  it(`float64 logits match the independent reference to 1e-9 on ${d.prompts} random prompts`, async () => {
    const ref: ReferenceDesign = (await import(`./reference/${d.reference}.ts`)).design;
    const out = compileSource(source, { dtype: 'float64' });
    const { session } = await openSession(out.onnx!, { dtype: 'float64' });
    const task = out.model!.task!;
    let worst = 0;
    for (const [a, b] of randomPairs(11, d.prompts)) {
      // Every position of a full-length sequence: the prompt followed by the true answer digits.
      const seq = [...ref.prompt(a, b), ...answerTokens(ref, a, b).slice(0, ref.decodeSteps - 1)];
      const { data, vocab } = await runLogits(session, BigInt64Array.from(seq.map(BigInt)), 1, seq.length);
      const expected = ref.logits(seq);
      const from = d.fromPromptEnd ? task.prompt.length - 1 : 0;
      const seqScale = Math.max(...expected.slice(from).flat().map(Math.abs));
      for (let t = from; t < seq.length; t++) {
        const rowScale = d.scale === 'row' ? Math.max(...expected[t].map(Math.abs)) : seqScale;
        for (let v = 0; v < ref.vocab; v++) {
          worst = Math.max(worst, Math.abs(data[t * vocab + v] - expected[t][v]) / rowScale);
        }
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it(`adds correctly in ${d.specDtype} on the edge cases and 1,000 random pairs`, async () => {
    const out = compileSource(source);
    const { session } = await openSession(out.onnx!, { dtype: d.specDtype });
    const task = out.model!.task!;
    const pairs = [...ADDERBOARD_EDGE_CASES, ...randomPairs(2026, 1000)];
    const result = await greedyDecode(session, pairs.map(([a, b]) => promptFor(task, { a, b })), task.decode);
    const wrong = pairs.filter(([a, b], i) => readAnswer(task, result.tokens[i]) !== a + b);
    expect(wrong).toEqual([]);
  });
});

describe('the reversal design (a non-addition task)', () => {
  const source = readFileSync(new URL('../examples/tasks/reverse-13p-sinpe32.hw', import.meta.url), 'utf8');

  it.each(['float32', 'float64'] as const)('writes 2,000 random 8-digit prompts back reversed in %s', async (dtype) => {
    const out = compileSource(source, { dtype });
    expect(out.diagnostics).toEqual([]);
    const { session } = await openSession(out.onnx!, { dtype });
    const task = out.model!.task!;
    const rng = new PythonRandom(5);
    const xs = [0, 1, 12345678, 99999999, 10000000, ...Array.from({ length: 2000 }, () => rng.randint(0, 99_999_999))];
    const result = await greedyDecode(session, xs.map((x) => promptFor(task, { x })), task.decode);
    xs.forEach((x, i) => {
      // Independently of the task contract: the generated digits are the prompt's digits reversed.
      const promptDigits = String(x).padStart(8, '0').split('').map(Number);
      expect(result.tokens[i]).toEqual([...promptDigits].reverse());
    });
  });
});

describe('verifying the reversal design', () => {
  it('passes 1,000 seeded random inputs plus the edge inputs, and a broken variant is caught', async () => {
    const good = readFileSync(new URL('../examples/tasks/reverse-13p-sinpe32.hw', import.meta.url), 'utf8');
    // Point the query at i + j = 14 instead of 15: every output copies the wrong position.
    const broken = good.replace(/let alpha( *)= 15 theta/, 'let alpha$1= 14 theta');
    expect(broken).not.toBe(good);
    for (const [source, shouldPass] of [[good, true], [broken, false]] as const) {
      const out = compileSource(source);
      const task = out.model!.task!;
      const cases = taskRandomCaseSet(task, { seed: 9, tests: 1000 });
      // The case list is reproducible in Python: random.Random(9), randint(0, 10**8 - 1) per case.
      const py = execFileSync('python3', ['-c', 'import random\nr = random.Random(9)\nprint(",".join(str(r.randint(0, 10**8 - 1)) for _ in range(1000)))'], { encoding: 'utf8' });
      expect(cases.pairs.slice(2).map((c) => c[0]).join(',')).toBe(py.trim());
      const { session } = await openSession(out.onnx!, { dtype: out.model!.dtype });
      const digits = digitTaskOf(task);
      const run = await runCases(digits, cases, (prompts, steps) => greedyDecode(session, prompts, steps));
      const report = buildReport({ model: 'reverse', params: 13, dtype: out.model!.dtype, device: 'cpu', task: digits, cases, result: run.result, seconds: run.seconds });
      expect(report.total).toBe(1002);
      if (shouldPass) expect(report.passed).toBe(1002);
      else {
        expect(report.passed).toBeLessThan(1002);
        // Each listed failure really is wrong: the expected answer is the input itself.
        for (const f of report.failures.slice(0, 20)) expect(f.got).not.toBe(f.inputs.x);
      }
    }
  });
});

describe('onnxruntime at its default optimisation level', () => {
  // Users load models with ORT's defaults, which fuse patterns handwire's own sessions avoid (the
  // runtime uses 'basic' for float64): t·sigmoid(t) became QuickGelu, which has no float64 kernel,
  // and a MatMul followed by a constant Mul gets a float32 multiplier. Every float64 build must load
  // at the default level and agree with the 'basic' level.
  it.each(DESIGNS.map((d) => d.file))('%s float64 loads and matches the basic level to 1e-12', async (file) => {
    const { InferenceSession, Tensor } = await import('onnxruntime-node');
    const onnx = compileSource(sourceOf(file), { dtype: 'float64' }).onnx!;
    const [a, b] = randomPairs(4, 1)[0]!;
    const ref: ReferenceDesign = (await import(`./reference/${DESIGNS.find((d) => d.file === file)!.reference}.ts`)).design;
    const seq = [...ref.prompt(a, b), ...answerTokens(ref, a, b).slice(0, ref.decodeSteps - 1)];
    const ids = new Tensor('int64', BigInt64Array.from(seq.map(BigInt)), [1, seq.length]);
    const run = async (level?: 'basic') => {
      const session = await InferenceSession.create(Buffer.from(onnx), level ? { graphOptimizationLevel: level } : {});
      return (await session.run({ input_ids: ids })).logits!.data as Float64Array;
    };
    const [byDefault, basic] = [await run(), await run('basic')];
    // -inf logits (tokens a head never predicts) must match exactly; the rest to 1e-12.
    const finite = Array.from(basic).filter(Number.isFinite);
    const scale = Math.max(...finite.map(Math.abs));
    basic.forEach((v, i) => {
      if (!Number.isFinite(v)) expect(byDefault[i]).toBe(v);
    });
    const worst = Math.max(...Array.from(basic, (v, i) => (Number.isFinite(v) ? Math.abs(v - byDefault[i]!) / scale : 0)));
    expect(worst).toBeLessThan(1e-12);
  });
});

describe('Debian onnx checker', () => {
  it('accepts every compiled example in both dtypes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-onnx-'));
    const files: string[] = [];
    const sources = [...DESIGNS.map((d) => sourceOf(d.file)), readFileSync(new URL('../examples/tasks/reverse-13p-sinpe32.hw', import.meta.url), 'utf8')];
    sources.forEach((src, i) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const path = join(dir, `m${i}-${dtype}.onnx`);
        writeFileSync(path, compileSource(src, { dtype }).onnx!);
        files.push(path);
      }
    });
    const script = 'import onnx, sys\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok", len(sys.argv) - 1)';
    const out = execFileSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8' });
    expect(out.trim()).toBe(`ok ${files.length}`);
  });
});
