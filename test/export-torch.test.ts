// The PyTorch export (src/python/model-to-torch.ts), run with real torch under Debian's Python
// (/usr/bin/python3 with python3-torch) and compared with onnxruntime on the same compiled designs:
// every shipped design (scripts/shipped-designs.ts), so an example the export cannot write fails here.
// One Python process per design does everything for that design (torch's import is the slow part):
// - float64 logits within 1e-9 of ORT's float64 logits, absolute or, where a row's logits exceed 1,
//   relative to the row's largest |logit|: 20 prompts (batched by length) of a digit task, or 6
//   cases of a token-string task's domain (one generated maze for the maze); float32 designs also in
//   float32 against ORT's float32 build, within a loose 1e-4;
// - the state_dict: names and values bit for bit the checked model's matrices, read here from the
//   checked model itself;
// - a forward hook on the attention pattern sees [batch, heads, query, key] rows that sum to 1;
// - for the adders, add(model, a, b) against a + b computed by the Python driver, on the
//   AdderBoard edge cases and random pairs, in float64, and the edge cases in the design's declared
//   dtype when that is float32.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckedModel, TaskContract } from '../src/check/model.ts';
import { compileSource } from '../src/compile.ts';
import { modelToTorch } from '../src/python/model-to-torch.ts';
import { openSession, runLogits } from '../src/runtime/session.ts';
import { operandsFromPair, promptFor } from '../src/runtime/task.ts';
import { ADDERBOARD_EDGE_CASES, randomPairs } from '../src/runtime/tasks/adderboard-cases.ts';
import { taskOf } from '../src/runtime/tasks/model-task.ts';
import { mulberry32 } from '../src/util/rng.ts';
import { generateMazes } from '../scripts/maze.ts';
import { shippedDesigns } from '../scripts/shipped-designs.ts';
import { runCli } from './helpers/cli.ts';

const PYTHON = '/usr/bin/python3';
const TOLERANCE = 1e-9; // |torch − ORT| / max(1, row max |ORT logit|), float64 against float64
const TOLERANCE32 = 1e-4; // the same in float32: loose, torch and ORT order float32 sums differently
const RANDOM_PAIRS = 100;

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'handwire-torch-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DRIVER = `
import importlib.util, json, math, sys
import torch

def plain(x):
    return x if math.isfinite(x) else repr(x)

spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
job = json.load(open(sys.argv[2]))
out = {"torch": torch.__version__}

model, metadata = module.build_model(torch.float64)
prompts = job["prompts"]

def all_logits(m):
    by_length = {}
    for i, p in enumerate(prompts):
        by_length.setdefault(len(p), []).append(i)
    rows, dtypes = [None] * len(prompts), set()
    with torch.no_grad():
        for idx in by_length.values():
            logits = m(torch.tensor([prompts[i] for i in idx], dtype=torch.int64))
            dtypes.add(str(logits.dtype))
            for r, i in enumerate(idx):
                rows[i] = [[plain(x) for x in row] for row in logits[r].tolist()]
    return sorted(dtypes), rows

out["dtypes"], out["logits"] = all_logits(model)
if job["float32"]:
    out["dtypes32"], out["logits32"] = all_logits(module.build_model(torch.float32)[0])
out["state"] = {k: {"shape": list(v.shape), "values": [plain(x) for x in v.reshape(-1).tolist()]}
                for k, v in model.state_dict().items()}

seen = []
attn = [m for n, m in model.named_modules() if n.endswith(".pattern")]
if attn:
    handle = attn[0].register_forward_hook(lambda mod, inp, o: seen.append(o))
    with torch.no_grad():
        model(torch.tensor([prompts[0]], dtype=torch.int64))
    handle.remove()
    out["pattern"] = {"shape": list(seen[0].shape), "row_sums": seen[0].sum(-1).reshape(-1).tolist()}

def expected(values):
    """The task's answer, worked out here: the sum for the adders, the operand itself for reversal
    (its digits come out units first and are read back least significant first)."""
    if job["task"] == "reverse":
        return values[0]
    if job["task"] == "addition":
        a, b = values
        return a + b
    raise ValueError("no expected answer written for task %r" % job["task"])

def score(m, cases):
    fails = []
    for values in cases:
        got = module.add(m, *values) if hasattr(module, "add") else module.solve(m, *values)
        if got != expected(values):
            fails.append("%r gave %r" % (values, got))
    return fails

out["failures64"] = score(model, job["pairs"]) if job["task"] else []
if hasattr(module, "add"):
    if job["declared"] != "float64":
        out["failures_declared"] = score(module.build_model(getattr(torch, job["declared"]))[0], job["edge"])
    out["metadata"] = metadata
json.dump(out, sys.stdout)
`;
writeFileSync(join(scratch, 'driver.py'), DRIVER);

interface DriverResult {
  torch: string;
  dtypes: string[];
  logits: (number | string)[][][];
  dtypes32?: string[];
  logits32?: (number | string)[][][];
  state: Record<string, { shape: number[]; values: (number | string)[] }>;
  pattern?: { shape: number[]; row_sums: number[] };
  failures64?: string[];
  failures_declared?: string[];
  metadata?: { name: string; params: number };
}

function num(v: number | string): number {
  return typeof v === 'number' ? v : Number(v.replace('inf', 'Infinity').replace('nan', 'NaN'));
}

/** Prompt tails drawn from the shared seeded generator. */
const rng = mulberry32;

/** 20 prompts of the task, each followed by 0 … decode−1 random tokens, so every decode length occurs. */
function samplePrompts(task: TaskContract, vocab: number): number[][] {
  const r = rng(5);
  return Array.from({ length: 20 }, (_, i) => {
    const pair = task.operands.map((o) => Math.floor(r() * task.base ** o.digits));
    const tail = Array.from({ length: i % task.decode }, () => Math.floor(r() * vocab));
    return [...promptFor(task, operandsFromPair(task, pair)), ...tail];
  });
}

/** The state_dict the export should carry, from the checked model's own fields. */
function expectedState(model: CheckedModel): Map<string, ArrayLike<number>> {
  const want = new Map<string, ArrayLike<number>>([['embed.weight', model.embedding.data], ['head.weight', model.head.weight.data]]);
  if (model.position) want.set('position', model.position.data);
  model.layers.forEach((layer, li) => {
    layer.components.forEach((c, ci) => {
      const many = layer.components.filter((d) => d.kind === c.kind).length > 1;
      const path = `blocks.${li}.${c.kind === 'attention' ? 'attn' : 'mlp'}${many ? ci : ''}`;
      if (c.kind === 'attention') {
        want.set(`${path}.q_proj.weight`, c.q.weight.data).set(`${path}.k_proj.weight`, c.k.weight.data);
        want.set(`${path}.v_proj.weight`, c.v.weight.data).set(`${path}.o_proj.weight`, c.out.weight.data);
        if (c.scoreBias) want.set(`${path}.score_bias`, c.scoreBias);
      } else {
        want.set(`${path}.down_proj.weight`, c.out.weight.data);
        if (c.in) want.set(`${path}.in_proj.weight`, c.in.weight.data);
      }
    });
  });
  (model.loops ?? []).filter((l) => l.halt).forEach((l, i) => want.set(`halts.${i}.weight`, l.halt!.weight));
  return want;
}

/** The worst error of torch's rows against ORT's over rows `from` … end of each prompt: absolute
 * where the row's logits are at most 1, relative to the row's largest |logit| above that (the 36p's
 * logits reach 1.1e19, where one float64 step is 2048); an infinity must be matched exactly. */
function worstError(prompts: number[][], got: (number | string)[][][], ort: Float64Array[] | Float32Array[], vocab: number, from: (p: number[]) => number): number {
  let worst = 0;
  prompts.forEach((p, i) => {
    expect(got[i]!.length).toBe(p.length);
    for (let r = from(p); r < p.length; r++) {
      const want = ort[i]!.subarray(r * vocab, (r + 1) * vocab);
      const scale = Math.max(1, ...Array.from(want).filter(Number.isFinite).map(Math.abs));
      got[i]![r]!.forEach((g, v) => {
        const x = num(g);
        const y = want[v]!;
        const err = Number.isFinite(y) ? Math.abs(x - y) / scale : x === y ? 0 : Infinity;
        if (!(err <= worst)) worst = err;
      });
    }
  });
  return worst;
}

/** A few inputs of a design's token-string task: one generated maze for the maze (a random grid of
 * its four tokens rarely has S and G, so no cell would halt and all 900 applications would run),
 * else cases drawn from the task's own domain. */
function stringPrompts(model: CheckedModel): number[][] {
  const task = taskOf(model)!;
  if (model.stringTask!.name === 'maze') {
    const names = model.tokenNames!;
    return generateMazes(3, 1).map((m) => m.cells.map((c) => names.indexOf(c)));
  }
  return task.domain.sample(6, 11).map((c) => task.prompt(c));
}

// Every shipped design, so an example that cannot be exported fails here.
const designs = shippedDesigns();

describe.concurrent.each(designs)('torch export of %s', (file) => {
  it('matches onnxruntime (float64, and float32 where declared), carries the design\'s weights, and answers the task', async () => {
    const source = readFileSync(file, 'utf8');
    const out = compileSource(source, { dtype: 'float64' });
    const errors = out.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toEqual([]);
    const { model, onnx } = out as Required<typeof out>;
    const task = model.task;
    expect(task ?? model.stringTask, 'every shipped design declares a task').toBeDefined();
    const stem = file.replace(/^.*\//, '').replace(/\.hw$/, '');
    const path = join(scratch, `${stem}.py`);
    writeFileSync(path, modelToTorch(model, { dtype: 'float64', source, sourceName: `${stem}.hw` }));

    const prompts = task ? samplePrompts(task, model.vocab) : stringPrompts(model);
    const isAdder = task?.operands.length === 2;
    // Operand values: the AdderBoard cases for the adders; edge and random values for other tasks.
    const r = rng(9);
    const pairs = !task
      ? []
      : isAdder
        ? [...ADDERBOARD_EDGE_CASES, ...randomPairs(2027, RANDOM_PAIRS)]
        : [[0], [task.base ** task.operands[0]!.digits - 1], ...Array.from({ length: 20 }, () => [Math.floor(r() * task.base ** task.operands[0]!.digits)])];
    const float32 = model.dtype === 'float32';
    const jobPath = join(scratch, `${stem}.job.json`);
    writeFileSync(jobPath, JSON.stringify({ prompts, pairs, edge: ADDERBOARD_EDGE_CASES, declared: model.dtype, task: task?.name ?? null, float32 }));

    const driver = run(PYTHON, [join(scratch, 'driver.py'), path, jobPath], { maxBuffer: 256 << 20 });
    const ortLogits = async (bytes: Uint8Array, dtype: 'float32' | 'float64') => {
      const { session } = await openSession(bytes, { dtype });
      const rows = [];
      for (const p of prompts) rows.push((await runLogits(session, BigInt64Array.from(p.map(BigInt)), 1, p.length)).data as Float64Array);
      return rows;
    };
    const ort = await ortLogits(onnx, 'float64');
    const ort32 = float32 ? await ortLogits(compileSource(source, { dtype: 'float32' }).onnx!, 'float32') : undefined;
    const got = JSON.parse((await driver).stdout) as DriverResult;

    expect(got.dtypes).toEqual(['torch.float64']);
    // The rows compared: for a digit task, the last prompt position and every one after it (the
    // rows that choose tokens; earlier rows of the 33p are ill-conditioned by design, see
    // test/export.test.ts); for a token-string task, every position (each may be read).
    const from = () => (task ? task.prompt.length - 1 : 0);
    expect(worstError(prompts, got.logits, ort, model.vocab, from)).toBeLessThanOrEqual(TOLERANCE);
    if (ort32) {
      expect(got.dtypes32).toEqual(['torch.float32']);
      expect(worstError(prompts, got.logits32!, ort32, model.vocab, from)).toBeLessThanOrEqual(TOLERANCE32);
    }

    for (const [key, data] of expectedState(model)) {
      expect(got.state[key], key).toBeDefined();
      expect(got.state[key]!.values.map(num), key).toEqual(Array.from(data));
    }

    if (model.layers.some((l) => l.components.some((c) => c.kind === 'attention'))) {
      const a = model.layers.flatMap((l) => l.components).find((c) => c.kind === 'attention')!;
      expect(got.pattern!.shape).toEqual([1, a.heads, prompts[0]!.length, prompts[0]!.length]);
      // softmax rows sum to 1; softmax1's extra zero logit takes a share, so its rows sum to at most 1.
      for (const s of got.pattern!.row_sums) {
        if (a.softmax1) {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1 + 1e-12);
        } else {
          expect(Math.abs(s - 1)).toBeLessThan(1e-12);
        }
      }
    }

    expect(got.failures64).toEqual([]);
    if (isAdder) {
      if (model.dtype !== 'float64') expect(got.failures_declared).toEqual([]);
      expect(got.metadata!.params).toBe(model.values.filter((v) => v.kind === 'param').reduce((n, v) => n + v.values.length, 0));
    }
  });
});

describe('handwire export --format torch', () => {
  it('writes the same file as the library, in the dtype asked for', async () => {
    const file = 'examples/adder/adder-130p-nanogpt-sinpe11.hw';
    const out = join(scratch, 'cli-130p.py');
    const r = await runCli(['export', file, '--format', 'torch', '-o', out, '--dtype', 'float64'], { cwd: process.cwd() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*cli-130p\.py \(\d+ bytes, 130 parameters, float64\)\n$/);
    const source = readFileSync(file, 'utf8');
    const model = compileSource(source, { dtype: 'float64' }).model!;
    expect(readFileSync(out, 'utf8')).toBe(modelToTorch(model, { dtype: 'float64', source, sourceName: 'adder-130p-nanogpt-sinpe11.hw' }));
  });

  it('writes a post-norm block (`post …`): the residual is normalised after the add, as in the compiled graph', async () => {
    // The design of test/norms.test.ts, which checks the compiled graph against the formula.
    const source = [
      'model postnorm {', '  vocab 3', '  dtype float64', '  residual [a, b]',
      '  let ln = layernorm(weight: [2, 1], bias: [0.5, -1], eps: 1e-5)', '  embed E[d] = [d, 1]',
      '  layer {', '    mlp {', '      act relu', '      in = [a + b]', '      write a += h[0]', '      post ln', '    }',
      '    mlp {', '      pre ln', '      act identity', '      in = [a]', '      write b += h[0]', '    }', '  }',
      '  final ln', '  head = [a, b, a + b]', '  context 4', '}',
    ].join('\n');
    const out = compileSource(source);
    expect(out.diagnostics).toEqual([]);
    const path = join(scratch, 'postnorm.py');
    const text = modelToTorch(out.model!, { source });
    expect(text).toContain('post_norm=Norm("layernorm"');
    writeFileSync(path, text);
    const script = [
      'import importlib.util, json, sys, torch',
      'spec = importlib.util.spec_from_file_location("m", sys.argv[1])',
      'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'model, meta = m.build_model()',
      'with torch.no_grad(): y = model(torch.tensor([[0, 1, 2, 1]]))',
      'print(json.dumps(y.reshape(-1).tolist()))',
    ].join('\n');
    const { stdout } = await run(PYTHON, ['-c', script, path]);
    const got = JSON.parse(stdout) as number[];
    const { session } = await openSession(out.onnx!, { dtype: 'float64' });
    const { data } = await runLogits(session, BigInt64Array.from([0n, 1n, 2n, 1n]), 1, 4);
    expect(got.length).toBe(12);
    got.forEach((g, i) => expect(Math.abs(g - data[i]!)).toBeLessThanOrEqual(TOLERANCE));
  });

  it('exports a model without a task: the module runs, and there is no add() or solve()', async () => {
    const file = join(scratch, 'no-task.hw');
    writeFileSync(file, 'model m {\n  vocab 2\n  residual [y]\n  embed E[t] = [t]\n  head tied E\n}\n');
    const out = join(scratch, 'no_task.py');
    const r = await runCli(['export', file, '--format', 'torch', '-o', out], { cwd: scratch });
    expect(r.code).toBe(0);
    const script = [
      'import importlib.util, json, sys, torch',
      'spec = importlib.util.spec_from_file_location("m", sys.argv[1])',
      'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'model, meta = m.build_model()',
      'y = model(torch.tensor([[0, 1, 1]]))',
      'print(json.dumps({"dtype": str(y.dtype), "logits": y.tolist(), "entries": [hasattr(m, "add"), hasattr(m, "solve")]}))',
    ].join('\n');
    const { stdout } = await run(PYTHON, ['-c', script, out]);
    // Embedding t -> [t], tied head: logit of token u at a position holding t is u * t.
    expect(JSON.parse(stdout)).toEqual({ dtype: 'torch.float32', logits: [[[0, 0], [0, 1], [0, 1]]], entries: [false, false] });
  });
});
