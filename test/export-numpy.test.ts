// The readable numpy export (src/python/model-to-numpy.ts), run under Debian's Python (numpy) and
// compared with onnxruntime on the same compiled designs:
// - float64 logits of 20 prompts within 1e-9 of ORT's float64 logits on the rows that choose
//   tokens (absolute, or relative to the row's largest |logit| where that exceeds 1, as in
//   test/export-torch.test.ts);
// - add(model, a, b), loaded by path as AdderBoard's verify.py loads a submission, against a + b
//   on the AdderBoard edge cases and random pairs in float64, and the edge cases in the declared dtype;
// - the file is structured as the design: named weights and one function per block.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskContract } from '../src/check/model.ts';
import { compileSource } from '../src/compile.ts';
import { modelToNumpy } from '../src/python/model-to-numpy.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { operandsFromPair, promptFor } from '../src/runtime/task.ts';
import { ADDERBOARD_EDGE_CASES, randomPairs } from '../src/runtime/tasks/adderboard-cases.ts';
import { mulberry32 } from '../src/util/rng.ts';

const PYTHON = '/usr/bin/python3';
const TOLERANCE = 1e-9;
const RANDOM_PAIRS = 100;
const EXAMPLES = 'examples/adder';
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'handwire-export-numpy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

writeFileSync(
  join(scratch, 'driver.py'),
  `
import importlib.util, json, math, sys
import numpy as np

def load(path):
    spec = importlib.util.spec_from_file_location("submission", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

plain = lambda x: x if math.isfinite(x) else repr(x)
job = json.load(open(sys.argv[3]))
m64, declared = load(sys.argv[1]), load(sys.argv[2])
logits = [[[plain(v) for v in row] for row in m64.forward(np.array([p], dtype=np.int64))[0].tolist()] for p in job["prompts"]]
model, metadata = m64.build_model()
failures = ["%d + %d gave %r" % (a, b, m64.add(model, a, b)) for a, b in job["pairs"] if m64.add(model, a, b) != a + b]
model, _ = declared.build_model()
failures_declared = ["%d + %d gave %r" % (a, b, declared.add(model, a, b)) for a, b in job["edge"] if declared.add(model, a, b) != a + b]
json.dump({"logits": logits, "failures": failures, "failures_declared": failures_declared, "metadata": metadata,
           "declared_dtype": str(declared.forward(np.array([job["prompts"][0]]))[0].dtype)}, sys.stdout)
`,
);

function num(v: number | string): number {
  return typeof v === 'number' ? v : Number(v.replace('inf', 'Infinity').replace('nan', 'NaN'));
}

function samplePrompts(task: TaskContract, vocab: number): number[][] {
  const r = mulberry32(7);
  return Array.from({ length: 20 }, (_, i) => {
    const pair = task.operands.map((o) => Math.floor(r() * task.base ** o.digits));
    const tail = Array.from({ length: i % task.decode }, () => Math.floor(r() * vocab));
    return [...promptFor(task, operandsFromPair(task, pair)), ...tail];
  });
}

// A design whose task is over token strings (the any-length adder) has no digit contract to
// sample here; test/adder-anylen.test.ts covers it.
const digitTask = (source: string) => !/^\s*input [^\n]*\] length /m.test(source);
const designs = readdirSync(EXAMPLES).filter((f) => f.endsWith('.hw') && digitTask(readFileSync(join(EXAMPLES, f), 'utf8'))).sort();

describe.concurrent.each(designs)('readable numpy export of %s', (file) => {
  it('matches onnxruntime in float64 and answers the AdderBoard cases', async () => {
    const source = readFileSync(join(EXAMPLES, file), 'utf8');
    const out = compileSource(source, { dtype: 'float64' });
    const native = compileSource(source);
    const { model, onnx } = out as Required<typeof out>;
    const stem = file.replace(/\.hw$/, '').replace(/-/g, '_');
    const p64 = join(scratch, `${stem}_f64.py`);
    const pNative = join(scratch, `${stem}.py`);
    const text = modelToNumpy(model, { dtype: 'float64', source, sourceName: file });
    writeFileSync(p64, text);
    writeFileSync(pNative, modelToNumpy(native.model!, { source, sourceName: file }));
    const task = model.task!;
    const prompts = samplePrompts(task, model.vocab);
    const jobPath = join(scratch, `${stem}.job.json`);
    writeFileSync(jobPath, JSON.stringify({ prompts, pairs: [...ADDERBOARD_EDGE_CASES, ...randomPairs(2027, RANDOM_PAIRS)], edge: ADDERBOARD_EDGE_CASES }));
    const driver = run(PYTHON, [join(scratch, 'driver.py'), p64, pNative, jobPath], { maxBuffer: 64 << 20 });
    const { session } = await openSession(onnx, { dtype: 'float64' });
    const ort: Float64Array[] = [];
    for (const p of prompts) ort.push((await runLogits(session, BigInt64Array.from(p.map(BigInt)), 1, p.length)).data as Float64Array);
    const got = JSON.parse((await driver).stdout) as { logits: (number | string)[][][]; failures: string[]; failures_declared: string[]; declared_dtype: string; metadata: { params: number } };

    let worst = 0;
    prompts.forEach((p, i) => {
      for (let r = task.prompt.length - 1; r < p.length; r++) {
        const want = ort[i]!.subarray(r * model.vocab, (r + 1) * model.vocab);
        const scale = Math.max(1, ...Array.from(want).filter(Number.isFinite).map(Math.abs));
        got.logits[i]![r]!.forEach((g, v) => {
          const x = num(g);
          const y = want[v]!;
          const err = Number.isFinite(y) ? Math.abs(x - y) / scale : x === y ? 0 : Infinity;
          if (!(err <= worst)) worst = err;
        });
      }
    });
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
    expect(got.failures).toEqual([]);
    expect(got.failures_declared).toEqual([]);
    expect(got.declared_dtype).toBe(native.model!.dtype);
    expect(got.metadata.params).toBe(model.values.filter((v) => v.kind === 'param').reduce((n, v) => n + v.values.length, 0));

    // Structured as the design: a function per block, named weights, quoted source lines.
    expect(text).toMatch(/^def forward\(input_ids\):$/m);
    for (const layer of model.layers) {
      for (const c of layer.components) expect(text).toContain(c.kind === 'attention' ? `def attention_${layer.name}` : `def mlp_${layer.name}`);
    }
    if (source) expect(text).toMatch(/# \.hw line \d+: /);
  }, 120_000);
});

describe('the 10p export', () => {
  it('names its weights after the design', () => {
    const source = readFileSync(join(EXAMPLES, 'adder-10p-rope19.hw'), 'utf8');
    const text = modelToNumpy(compileSource(source).model!, { source });
    for (const name of ['W_q_layer0 = ', 'W_k_layer0 = ', 'W_v_layer0 = ', 'W_o_layer0 = ', 'W_gate_layer0 = ', 'W_up_layer0 = ', 'W_down_layer0 = ', 'norm_w_final = ']) {
      expect(text).toContain(name);
    }
    expect(text).toContain('x = x + attention_layer0(x)');
    expect(text).toContain('x = x + mlp_layer0(x)');
    expect(text).toContain('return x @ E.T  # .hw line 61: head tied E');
    // Issue #17: short enough to read in one go.
    expect(text.trimEnd().split('\n').length).toBeLessThan(150);
  });
});
