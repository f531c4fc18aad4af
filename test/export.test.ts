// The numpy export (src/python/ir-to-numpy.ts), checked by running the exported files under
// Debian's Python (which has numpy) and comparing with onnxruntime on the same compiled graphs:
// - every example design: logits equal to ORT's float64 logits within 1e-9 of each row's largest
//   |logit|, constants equal to the IR's float64 values bit for bit, metadata taken from the header,
//   and a score of 100 % on the AdderBoard cases (10 edge cases + 1,000 random pairs) with a runner
//   written here from the protocol, the way AdderBoard's verify.py loads a submission by path;
// - each design in its declared dtype (float32 for most): float32 logits and the edge cases right;
// - every IR op the export supports, in a hand-built graph, against ORT;
// - graphs that cannot be exported are refused with a message.

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckedModel, TaskContract } from '../src/check/model.ts';
import { compileSource, type CompileOutput } from '../src/compile.ts';
import { METADATA_KEYS } from '../src/ir/metadata.ts';
import type { FloatDType, IrConst, IrGraph, IrNode } from '../src/ir/types.ts';
import { irToOnnx } from '../src/onnx/ir-to-onnx.ts';
import { NumpyExportError, irToNumpy } from '../src/python/ir-to-numpy.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { operandsFromPair, promptFor } from '../src/runtime/task.ts';
import { mulberry32 } from '../src/util/rng.ts';

// `python3` on PATH may be a pyenv build without numpy; Debian's has it.
const PYTHON = '/usr/bin/python3';
const EXAMPLES = 'examples/adder';
const LOGIT_TOLERANCE = 1e-9; // relative to the row's max |logit|, float64 against float64
const RANDOM_PAIRS = 1_000;

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'handwire-export-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function python(script: string, ...args: string[]): Promise<unknown> {
  const { stdout } = await run(PYTHON, [join(scratch, script), ...args], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

// ---------------------------------------------------------------- Python drivers

/** Loads the exported file by path as AdderBoard's verify.py does. */
const LOAD = `
import importlib.util, json, math, random, sys, time
import numpy as np

def load(path):
    spec = importlib.util.spec_from_file_location("submission", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

def plain(x):
    """Floats for JSON, with the non-finite ones as strings (JSON has no inf)."""
    return x if math.isfinite(x) else repr(x)
`;

/** forward() on prompts (from a JSON file), batched by length; also dumps the module's arrays. */
writeFileSync(
  join(scratch, 'logits.py'),
  LOAD +
    `
module = load(sys.argv[1])
prompts = json.load(open(sys.argv[2]))
by_length = {}
for i, p in enumerate(prompts):
    by_length.setdefault(len(p), []).append(i)
rows, dtypes = [None] * len(prompts), set()
for idx in by_length.values():
    logits = module.forward(np.array([prompts[i] for i in idx], dtype=np.int64))
    dtypes.add(str(logits.dtype))
    for r, i in enumerate(idx):
        rows[i] = [[plain(x) for x in row] for row in logits[r].astype(np.float64).tolist()]
arrays = {name: {"dtype": str(v.dtype), "shape": list(v.shape),
                 "values": [plain(float(x)) if v.dtype.kind == "f" else int(x) for x in v.ravel()]}
          for name, v in vars(module).items() if isinstance(v, np.ndarray)}
json.dump({"dtypes": sorted(dtypes), "logits": rows, "arrays": arrays}, sys.stdout)
`,
);

/** The AdderBoard protocol (docs/designs/README.md): edge cases, then random.Random(seed) pairs. */
writeFileSync(
  join(scratch, 'score.py'),
  LOAD +
    `
module = load(sys.argv[1])
tests, seed = int(sys.argv[2]), 2025
model, metadata = module.build_model()
cases = [(0, 0), (0, 1), (9_999_999_999, 0), (9_999_999_999, 1), (9_999_999_999, 9_999_999_999),
         (5_000_000_000, 5_000_000_000), (1_111_111_111, 8_888_888_889), (1_234_567_890, 9_876_543_210),
         (9_999_999_999, 9_999_999_999), (1, 9_999_999_999)]
rng = random.Random(seed)
for _ in range(tests):
    a = rng.randint(0, 9_999_999_999)
    b = rng.randint(0, 9_999_999_999)
    cases.append((a, b))
passed, failures = 0, []
start = time.time()
for a, b in cases:
    try:
        got = module.add(model, a, b)
        if got == a + b:
            passed += 1
        else:
            failures.append("%d + %d gave %r" % (a, b, got))
    except Exception as e:
        failures.append("%d + %d raised %s: %s" % (a, b, type(e).__name__, e))
elapsed = time.time() - start
json.dump({"passed": passed, "total": len(cases), "failures": failures[:20], "seconds": elapsed,
           "random": [list(c) for c in cases[10:13]], "metadata": metadata}, sys.stdout)
`,
);

interface LogitsResult {
  dtypes: string[];
  logits: (number | string)[][][];
  arrays: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
}

interface ScoreResult {
  passed: number;
  total: number;
  failures: string[];
  seconds: number;
  random: number[][];
  metadata: { name: string; author: string; params: number; architecture: string; tricks: string[] };
}

function exportTo(file: string, ir: IrGraph, source?: string): string {
  const path = join(scratch, file);
  writeFileSync(path, irToNumpy(ir, { source, sourceName: basename(file) }));
  return path;
}

/** A value from the JSON the drivers print: non-finite floats arrive as Python's repr ('-inf', 'nan'). */
function num(v: number | string): number {
  return typeof v === 'number' ? v : Number(v.replace('inf', 'Infinity').replace('nan', 'NaN'));
}

/**
 * Max over rows `from`.. of max |got − want| / max |finite want in the row|. Non-finite entries
 * must match exactly (else the error is Infinity); NaN anywhere counts as the worst.
 */
function worstRowError(got: (number | string)[][], want: ArrayLike<number>, vocab: number, from = 0): number {
  let worst = 0;
  for (let r = from; r < got.length; r++) {
    const ref = Array.from({ length: vocab }, (_, v) => want[r * vocab + v]!);
    const scale = Math.max(...ref.filter(Number.isFinite).map(Math.abs));
    got[r]!.forEach((g, v) => {
      const x = num(g);
      const y = ref[v]!;
      const err = Number.isFinite(y) ? Math.abs(x - y) / scale : x === y ? 0 : Infinity;
      if (!(err <= worst)) worst = err;
    });
  }
  return worst;
}

/** Seeded prompts and continuations, so failures reproduce. */
const rng = mulberry32;

/** 20 prompts of the task, each followed by 0 … decode−1 random tokens, so every decode length occurs. */
function samplePrompts(task: TaskContract, vocab: number): number[][] {
  const r = rng(7);
  const operand = (digits: number) => Math.floor(r() * task.base ** digits);
  return Array.from({ length: 20 }, (_, i) => {
    const pair = task.operands.map((o) => operand(o.digits));
    const tail = Array.from({ length: i % task.decode }, () => Math.floor(r() * vocab));
    return [...promptFor(task, operandsFromPair(task, pair)), ...tail];
  });
}

async function ortLogits(onnx: Uint8Array, dtype: FloatDType, prompts: number[][]): Promise<Array<Float32Array | Float64Array>> {
  const { session } = await openSession(onnx, { dtype });
  const out = [];
  for (const p of prompts) out.push((await runLogits(session, BigInt64Array.from(p.map(BigInt)), 1, p.length)).data);
  return out;
}

function compiled(source: string, dtype?: FloatDType): Required<Pick<CompileOutput, 'ir' | 'onnx' | 'model'>> {
  const out = compileSource(source, dtype ? { dtype } : {});
  const errors = out.diagnostics.filter((d) => d.severity === 'error');
  if (!out.ir || !out.onnx || !out.model) throw new Error(`does not compile: ${errors.map((d) => `${d.span.line}:${d.span.col} ${d.message}`).join('; ')}`);
  return { ir: out.ir, onnx: out.onnx, model: out.model };
}

/** The header as the checker read it, and the parameter count from the checked values. */
function expectedMetadata(model: CheckedModel) {
  const about = model.about;
  const text = (k: string) => (Array.isArray(about[k]) ? (about[k] as string[]).join(', ') : (about[k] as string | undefined));
  const tricks = about['tricks'];
  const counted = model.values.filter((v) => v.kind === 'param').reduce((n, v) => n + v.values.length, 0);
  return {
    name: text('name'),
    author: text('author'),
    params: text('params') !== undefined ? Number(text('params')) : counted,
    architecture: text('arch'),
    tricks: Array.isArray(tricks) ? tricks : tricks === undefined ? [] : [tricks],
  };
}

// ---------------------------------------------------------------- the example designs

// A design whose task is over token strings (the any-length adder) has no digit contract to
// sample here; test/adder-anylen.test.ts covers it.
const digitTask = (source: string) => !/^\s*input [^\n]*\] length /m.test(source);
const designs = readdirSync(EXAMPLES).filter((f) => f.endsWith('.hw') && digitTask(readFileSync(join(EXAMPLES, f), 'utf8'))).sort();

describe.concurrent.each(designs)('export of %s', (file) => {
  const source = readFileSync(join(EXAMPLES, file), 'utf8');
  const stem = file.replace(/\.hw$/, '');

  it('float64: logits equal onnxruntime float64 within 1e-9 of the row max, constants exact', async () => {
    const { ir, onnx, model } = compiled(source, 'float64');
    const path = exportTo(`${stem}.f64.py`, ir, source);
    const prompts = samplePrompts(model.task!, model.vocab);
    const promptsPath = join(scratch, `${stem}.prompts.json`);
    writeFileSync(promptsPath, JSON.stringify(prompts));
    const [numpy, ort] = await Promise.all([python('logits.py', path, promptsPath) as Promise<LogitsResult>, ortLogits(onnx, 'float64', prompts)]);

    expect(numpy.dtypes).toEqual(['float64']);
    // The rows that choose tokens: the last prompt position and every position after it. Earlier
    // rows can be ill-conditioned by design (the 33p carries e^80-scaled prompt digits into a sum
    // that cancels to 0, where ORT's GEMM leaves ~3e-4 of the row max) and never pick a token.
    const from = model.task!.prompt.length - 1;
    const worst = Math.max(...prompts.map((_, i) => worstRowError(numpy.logits[i]!, ort[i]!, model.vocab, from)));
    expect(worst).toBeLessThanOrEqual(LOGIT_TOLERANCE);

    // Every float constant as Python holds it, bit for bit the IR's float64 value.
    for (const c of ir.consts.filter((k) => k.elem === 'float')) {
      const arr = numpy.arrays[c.name.replace(/[^A-Za-z0-9_]/g, '_')];
      expect(arr, c.name).toBeDefined();
      expect(arr!.shape).toEqual(c.shape);
      expect(arr!.values.map(num), c.name).toEqual(Array.from(c.data as Float64Array));
    }
  });

  it(`float64: AdderBoard runner scores 100 % on 10 edge cases + ${RANDOM_PAIRS} random pairs`, async () => {
    const { ir, model } = compiled(source, 'float64');
    const path = exportTo(`${stem}.score.py`, ir, source);
    const score = (await python('score.py', path, String(RANDOM_PAIRS))) as ScoreResult;
    // The runner's random stream is Python's own; the README's check values confirm it is read right.
    expect(score.random).toEqual([[2395527356, 9334186774], [4296888873, 8475224721], [2446880696, 4577514554]]);
    expect(score.failures).toEqual([]);
    expect(score).toMatchObject({ passed: RANDOM_PAIRS + 10, total: RANDOM_PAIRS + 10 });
    expect(score.metadata).toEqual(expectedMetadata(model));
  });

  it('declared dtype: logits in that dtype and the edge cases right', async () => {
    const { ir, model } = compiled(source);
    const path = exportTo(`${stem}.native.py`, ir, source);
    const promptsPath = join(scratch, `${stem}.native-prompts.json`);
    writeFileSync(promptsPath, JSON.stringify(samplePrompts(model.task!, model.vocab).slice(0, 2)));
    const [score, numpy] = await Promise.all([
      python('score.py', path, '0') as Promise<ScoreResult>,
      python('logits.py', path, promptsPath) as Promise<LogitsResult>,
    ]);
    expect(numpy.dtypes).toEqual([model.dtype]);
    const floatConsts = ir.consts.filter((c) => c.elem === 'float').map((c) => c.name.replace(/[^A-Za-z0-9_]/g, '_'));
    expect(new Set(floatConsts.map((id) => numpy.arrays[id]?.dtype))).toEqual(new Set([model.dtype]));
    expect(score.failures).toEqual([]);
    expect(score.passed).toBe(10);
  });
});

// ---------------------------------------------------------------- every supported op

const TASK: TaskContract = {
  name: 'probe',
  operands: [{ name: 'a', digits: 1 }, { name: 'b', digits: 1 }],
  prompt: [{ kind: 'digit', operand: 'a', place: 0 }, { kind: 'token', token: 4 }, { kind: 'digit', operand: 'b', place: 0 }],
  decode: 1,
  answer: 'lsb',
  expect: 'a + b',
  base: 5,
};

function fconst(name: string, shape: number[], data: number[]): IrConst {
  return { name, elem: 'float', shape, data: Float64Array.from(data), role: 'weight' };
}
function iconst(name: string, data: number[]): IrConst {
  return { name, elem: 'int64', shape: [data.length], data: BigInt64Array.from(data.map(BigInt)), role: 'structural' };
}
function node(op: IrNode['op'], out: string, inputs: string[], attrs?: IrNode['attrs']): IrNode {
  return { op, name: out, inputs, outputs: [out], ...(attrs ? { attrs } : {}) };
}

/** A graph that runs every op of the export at least once, ending in logits [batch, seq, 5]. */
function probeGraph(dtype: FloatDType, withErf: boolean): IrGraph {
  const r = rng(11);
  const table = Array.from({ length: 20 }, () => (r() * 2 - 1) * 3);
  const nodes: IrNode[] = [
    node('Gather', 'x', ['table', 'input_ids'], { axis: 0 }), // [b, s, 4]
    node('Shape', 'x_shape', ['x']),
    node('Shape', 'seq_len', ['input_ids'], { start: 1, end: 2 }),
    node('Unsqueeze', 'x_u', ['x', 'axes1']), // [b, 1, s, 4]
    node('Squeeze', 'x_sq', ['x_u', 'axes1']),
    node('Reshape', 'x_r', ['x_sq', 'shape_00m12']), // [b, s, 2, 2]
    node('Transpose', 'x_rt', ['x_r'], { perm: [0, 1, 3, 2] }),
    node('Reshape', 'x_flat', ['x_rt', 'shape_004']),
    node('Transpose', 'x_rev', ['x_flat']), // no perm: all axes reversed
    node('Transpose', 'x_back', ['x_rev'], { perm: [2, 1, 0] }),
    node('Expand', 'bias_b', ['bias', 'x_shape']),
    node('Abs', 'x_abs', ['x_back']),
    node('Add', 'x_pos', ['x_abs', 'one']),
    node('Pow', 'x_pow', ['x_pos', 'three_halves']),
    node('Log', 'x_log', ['x_pow']),
    node('Neg', 'x_neg', ['x_log']),
    node('Exp', 'x_exp', ['x_neg']),
    node('Mul', 'x_big', ['x_back', 'big']), // ±300: sigmoid saturates both ways
    node('Sigmoid', 'x_sig', ['x_big']),
    node('Tanh', 'x_tanh', ['x_back']),
    node('Relu', 'x_relu', ['x_back']),
    node('Sqrt', 'x_sqrt', ['x_pos']),
    node('Max', 'x_max', ['x_sig', 'x_tanh', 'bias_b']),
    node('Min', 'x_min', ['x_relu', 'x_exp']),
    node('ReduceSum', 'bias_seq_sum', ['bias_b', 'axes1'], { keepdims: 1 }), // seq × bias only if Expand really expanded
    node('Add', 'x_max_b', ['x_max', 'bias_seq_sum']),
    node('Sub', 'x_diff', ['x_max_b', 'x_min']),
    node('Div', 'x_ratio', ['x_diff', 'x_sqrt']),
    node('Less', 'x_less', ['x_back', 'bias_b']),
    node('Where', 'x_where', ['x_less', 'x_ratio', 'x_pow']),
    node('Cast', 'ids_f', ['input_ids'], { to: 'float' }),
    node('Unsqueeze', 'ids_f3', ['ids_f', 'axes_last']),
    node('Equal', 'is_two', ['ids_f3', 'two']),
    node('Where', 'x_eq', ['is_two', 'x_where', 'x_diff']),
    node('Sub', 'ids_shift', ['input_ids', 'three_i']), // negative ids: ONNX integer division truncates
    node('Div', 'ids_half', ['ids_shift', 'two_i']),
    node('Cast', 'ids_half_f', ['ids_half'], { to: 'float' }),
    node('Unsqueeze', 'ids_half_f3', ['ids_half_f', 'axes_last']),
    node('ReduceSum', 'row_sum', ['x_eq', 'axes_last'], { keepdims: 1 }),
    node('ReduceMax', 'row_max', ['x_eq'], { axes: [-1], keepdims: 1 }),
    node('ReduceMean', 'seq_mean', ['x_eq'], { axes: [1], keepdims: 0 }), // [b, 4]
    node('Unsqueeze', 'seq_mean3', ['seq_mean', 'axes1']),
    node('ReduceSum', 'total', ['x_eq'], { keepdims: 0 }), // no axes: everything
    node('Add', 'axes_dyn', ['axes_last', 'zero']), // axes known only at run time
    node('ReduceSum', 'row_sum_dyn', ['x_eq', 'axes_dyn'], { keepdims: 0 }),
    node('Unsqueeze', 'row_sum_dyn3', ['row_sum_dyn', 'axes_dyn']),
    node('ReduceSum', 'total_kept', ['x_eq', 'no_axes'], { keepdims: 1 }), // empty axes: everything too
    node('Softmax', 'over_seq', ['x_eq'], { axis: 1 }),
    node('Slice', 'reversed', ['over_seq', 'minus1', 'very_negative', 'axes_last', 'minus1']),
    node('Slice', 'prefix', ['x_eq', 'zero', 'seq_len', 'axes1']),
    node('Concat', 'features', ['reversed', 'prefix', 'row_sum', 'row_max', 'ids_half_f3'], { axis: -1 }), // [b, s, 11]
    node('Add', 'features_t', ['features', 'total']),
    node('Add', 'features_tk', ['features_t', 'total_kept']),
    node('Add', 'features_b', ['features_tk', 'row_sum_dyn3']),
    node('Gather', 'picked', ['features_b', 'pick'], { axis: 2 }), // [b, s, 6]
    node('Concat', 'feat_all', ['picked', 'features_b', 'seq_mean3_s'], { axis: -1 }), // [b, s, 21]
    node('MatMul', 'mixed', ['feat_all', 'w']),
    node('Identity', 'logits', [withErf ? 'mixed_erf' : 'mixed']),
  ];
  // seq_mean3 is [b, 1, 4]: broadcast it over seq by adding zeros shaped like x.
  nodes.splice(nodes.findIndex((n) => n.name === 'feat_all'), 0, node('Add', 'seq_mean3_s', ['seq_mean3', 'zeros_like_x']));
  nodes.splice(nodes.findIndex((n) => n.name === 'seq_mean3_s'), 0, node('Mul', 'zeros_like_x', ['x', 'zero_f']));
  if (withErf) nodes.splice(nodes.length - 1, 0, node('Erf', 'mixed_erf', ['mixed']));
  return {
    name: 'probe',
    dtype,
    inputs: [{ name: 'input_ids', elem: 'int64', shape: ['batch', 'seq'] }],
    outputs: [{ name: 'logits', elem: 'float', shape: ['batch', 'seq', 5] }],
    consts: [
      fconst('table', [5, 4], table),
      fconst('bias', [4], [0.25, -0.5, 0.1, 0]),
      fconst('one', [], [1]),
      fconst('three_halves', [], [1.5]),
      fconst('big', [], [100]),
      fconst('two', [], [2]),
      fconst('zero_f', [], [0]),
      fconst('w', [21, 5], Array.from({ length: 105 }, () => r() - 0.5)),
      iconst('axes1', [1]),
      iconst('axes_last', [-1]),
      iconst('shape_00m12', [0, 0, -1, 2]),
      iconst('shape_004', [0, 0, 4]),
      iconst('three_i', [3]),
      iconst('two_i', [2]),
      iconst('minus1', [-1]),
      iconst('very_negative', [-1000]),
      iconst('zero', [0]),
      iconst('pick', [0, 3, 3, -1, 5, 10]),
      iconst('no_axes', []),
    ],
    nodes,
    metadata: { [METADATA_KEYS.task]: JSON.stringify(TASK), [METADATA_KEYS.about]: JSON.stringify({ name: 'probe' }) },
  };
}

describe('every op of the export against onnxruntime', () => {
  // Distinct lengths, so Python runs each alone as ORT does (the probe's total sum mixes a batch).
  const prompts = [[0, 1, 2, 3, 4], [4, 3, 2, 2, 1, 0], [2], [1, 0, 4, 3, 2, 2, 0]];

  it.each([
    ['float64', false, 1e-12],
    ['float32', true, 2e-6],
  ] as const)('%s (Erf: %s)', async (dtype, withErf, tol) => {
    const graph = probeGraph(dtype, withErf);
    const path = exportTo(`probe-${dtype}.py`, graph);
    const promptsPath = join(scratch, 'probe-prompts.json');
    writeFileSync(promptsPath, JSON.stringify(prompts));
    const numpy = (await python('logits.py', path, promptsPath)) as LogitsResult;
    const ort = await ortLogits(irToOnnx(graph), dtype, prompts);
    expect(numpy.dtypes).toEqual([dtype]);
    for (let i = 0; i < prompts.length; i++) {
      expect(numpy.logits[i]!.length).toBe(prompts[i]!.length);
      expect(worstRowError(numpy.logits[i]!, ort[i]!, 5), `prompt ${i}`).toBeLessThanOrEqual(tol);
    }
  });
});

// ---------------------------------------------------------------- the command line

describe('handwire export --adderboard', () => {
  const cli = (...args: string[]) =>
    run(process.execPath, ['bin/handwire.js', 'export', ...args], { env: { ...process.env, NO_COLOR: '1' } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('writes the same file as the library, in the dtype asked for', async () => {
    const file = join(EXAMPLES, 'adder-130p-nanogpt-sinpe11.hw');
    const out = join(scratch, 'cli-130p.py');
    const r = await cli(file, '--format', 'numpy-graph', '-o', out, '--dtype', 'float64');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*cli-130p\.py \(\d+ bytes, 130 parameters, float64\)\n$/);
    const source = readFileSync(file, 'utf8');
    const expected = irToNumpy(compiled(source, 'float64').ir, { source, sourceName: 'adder-130p-nanogpt-sinpe11.hw' });
    expect(readFileSync(out, 'utf8')).toBe(expected);
  });

  it('refuses a model without a task in one line, exit code 2, and writes nothing', async () => {
    const file = join(scratch, 'no-task.hw');
    writeFileSync(file, 'model m {\n  vocab 2\n  residual [y]\n  embed E[t] = [t]\n  head tied E\n}\n');
    const out = join(scratch, 'no-task.py');
    const r = await cli('--adderboard', file, '-o', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`handwire: cannot export ${file}: the model has no task block, so there is no prompt format or answer to export\n`);
    expect(() => readFileSync(out)).toThrow();
  });
});

// ---------------------------------------------------------------- refusals

describe('graphs that cannot be exported', () => {
  const base = probeGraph('float64', false);

  it('a model without a task block', () => {
    const graph = { ...base, metadata: {} };
    expect(() => irToNumpy(graph)).toThrow(NumpyExportError);
    expect(() => irToNumpy(graph)).toThrow(/no task block/);
  });

  it('a task with other than two operands', () => {
    const task = { ...TASK, operands: [TASK.operands[0]] };
    const graph = { ...base, metadata: { [METADATA_KEYS.task]: JSON.stringify(task) } };
    expect(() => irToNumpy(graph)).toThrow(/two operands/);
  });

  it('a Cast to a type the export does not know', () => {
    const graph = { ...base, nodes: [...base.nodes.slice(0, -1), node('Cast', 'odd', ['x'], { to: 'complex' }), base.nodes.at(-1)!] };
    expect(() => irToNumpy(graph)).toThrow(/cannot export to = "complex"/);
  });
});
