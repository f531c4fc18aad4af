// npm run bench:throughput [-- --reps 5 --baseline-cases 200 --threads 1,2 --batch N --no-batched-full --profile --pool-cases N --pool-only
//                            --models a,b --no-fast --fast-only --nodes-only --teacher-only]
//
// --teacher-only: verify's old path (incrementalDecode, every step run) against the teacher-forced
// check (src/runtime/teacher-forced.ts: one run per batch, wrong cases decoded), 1 thread in
// process and 2 workers, both dtypes, alternating rep by rep; every answer checked against a + b.
//
// A table compares verify --threads' worker pool (2 workers) with one thread in process, and a last
// one (--fast-only: that table alone) the decode graph with and without FastPlan's shortcuts
// (src/ir/model-to-ir.ts), in the same run; --no-fast makes the other tables use the plain graph.
// --models picks examples (default: the three below).
//
// Additions per second on the full AdderBoard protocol (10 edge cases + 10,000 pairs from
// random.Random(2025)), compiled from the examples in float32 and float64 and decoded greedily
// through onnxruntime-node:
//   incremental    the decode graph (prefill + one run per generated token, KV cache), all cases
//                  in batches of 4096 (incrementalDecode's default; --batch): median of --reps runs;
//   batched full   full recompute of the main graph, all cases batched (src/runtime/greedy.ts);
//   one at a time  full recompute, one case per call, the way AdderBoard's verify.py calls add(),
//                  timed on the first --baseline-cases cases.
// Each is run with every ORT intra-op thread count in --threads (default 1 and 2: this machine's
// cores). Every incremental run's answers are checked against a + b. Wall time is what counts; the
// process CPU time is printed next to it because on a shared machine the wall time also measures
// the neighbours (see the load average printed before and after).
//
// --profile instead prints, per model and dtype (1 thread; the plain decode graph, then the fast one
// unless --no-fast), where the incremental decode spends its
// time according to ORT's profiler: for each run of a decode (prefill, steps) the fastest of --reps
// repetitions, and the operators summed over the steps, fastest repetition each. Minima are what
// the machine does undisturbed, which a busy shared machine otherwise hides.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { InferenceSession } from 'onnxruntime-node';
import { checkSource } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import { modelToDecodeIr } from '../src/ir/decode-ir.ts';
import { modelToIr } from '../src/ir/model-to-ir.ts';
import { modelToTeacherForcedIr } from '../src/ir/teacher-forced-ir.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { irToOnnx } from '../src/onnx/ir-to-onnx.ts';
import { greedyDecode, type GreedyResult } from '../src/runtime/greedy.ts';
import { incrementalDecode } from '../src/runtime/incremental.ts';
import { openSession } from '../src/runtime/session.ts';
import { openDecoderPool } from '../src/runtime/decoder-pool.ts';
import { completeDecode, teacherForcedCheck } from '../src/runtime/teacher-forced.ts';
import { digitTaskOf } from '../src/runtime/tasks/digits.ts';
import { expectedAnswer, operandsFromPair, promptFor, readAnswer } from '../src/runtime/task.ts';
import { protocolCases } from '../src/runtime/tasks/adderboard-cases.ts';

const EXAMPLES = ['adder-10p-rope19', 'adder-6p-rope19', 'adder-130p-nanogpt-sinpe11'];
const DTYPES: FloatDType[] = ['float32', 'float64'];

interface Options {
  reps: number;
  baselineCases: number;
  threads: number[];
  batch?: number;
  batchedFull: boolean;
  profile: boolean;
  poolCases: number;
  poolOnly: boolean;
  /** Examples to run (default EXAMPLES; the pool table takes the first two of them). */
  models: string[];
  /** Decode graphs with FastPlan's shortcuts (default); --no-fast: as the shared lowering builds them. */
  fast: boolean;
  fastOnly: boolean;
  nodesOnly: boolean;
  teacherOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { reps: 5, baselineCases: 200, threads: [1, 2], batchedFull: true, profile: false, poolCases: 100_000, poolOnly: false, models: EXAMPLES, fast: true, fastOnly: false, nodesOnly: false, teacherOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive integer`);
      return v;
    };
    if (flag === '--reps') opts.reps = value();
    else if (flag === '--baseline-cases') opts.baselineCases = value();
    else if (flag === '--pool-cases') opts.poolCases = value();
    else if (flag === '--pool-only') opts.poolOnly = true;
    else if (flag === '--threads') {
      opts.threads = (argv[++i] ?? '').split(',').map(Number);
      if (!opts.threads.every((t) => Number.isInteger(t) && t >= 1)) throw new Error('--threads needs a list like 1,2');
    }
    else if (flag === '--batch') opts.batch = value();
    else if (flag === '--models') opts.models = (argv[++i] ?? '').split(',').filter((m) => m !== '');
    else if (flag === '--no-batched-full') opts.batchedFull = false;
    else if (flag === '--profile') opts.profile = true;
    else if (flag === '--fast-only') opts.fastOnly = true;
    else if (flag === '--nodes-only') opts.nodesOnly = true;
    else if (flag === '--teacher-only') opts.teacherOnly = true;
    else if (flag === '--no-fast') opts.fast = false;
    else throw new Error(`unknown option ${flag}`);
  }
  return opts;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Wall and process CPU milliseconds of one call. */
async function timed<T>(f: () => Promise<T>): Promise<{ result: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { result, wall, cpu: (c.user + c.system) / 1000 };
}

function wrongAnswers(model: CheckedModel, pairs: [number, number][], result: GreedyResult): number {
  const task = model.task!;
  let wrong = 0;
  pairs.forEach((pair, i) => {
    if (readAnswer(task, result.tokens[i]!) !== expectedAnswer(task, operandsFromPair(task, pair))) wrong++;
  });
  return wrong;
}

function machine(): string[] {
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const ort = JSON.parse(readFileSync(new URL('../node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8')).version;
  return [
    `date: ${new Date().toISOString()}`,
    `machine: nproc ${nproc}, ${model}`,
    `node ${process.version}, onnxruntime-node ${ort}`,
  ];
}

const fmtRate = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtLoad = () => loadavg().map((x) => x.toFixed(1)).join(' ');

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  for (const line of machine()) console.log(line);
  console.log(`command: npm run bench:throughput -- ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`load average at start: ${fmtLoad()}`);
  const pairs = protocolCases();
  if (opts.profile) return profileAll(opts, pairs);
  if (opts.poolOnly) return poolTable(opts);
  if (opts.fastOnly) return fastTable(opts);
  if (opts.nodesOnly) return nodesTable(opts);
  if (opts.teacherOnly) return teacherTable(opts);
  console.log(`cases: ${pairs.length} (AdderBoard protocol, seed 2025); incremental: median of ${opts.reps}; one at a time: first ${opts.baselineCases} cases`);
  console.log('');
  console.log('| model | dtype | threads | incremental add/s, median (best) | wall ms, median (min–max) | CPU ms | batched full add/s | one at a time add/s | incremental ÷ one at a time | wrong |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');

  for (const name of opts.models) {
    const file = new URL(`../examples/adder/${name}.hw`, import.meta.url);
    if (!existsSync(file)) continue;
    const checked = checkSource(readFileSync(file, 'utf8'));
    if (!checked.model?.task) throw new Error(`${name} does not check or has no task`);
    const model = checked.model;
    const task = model.task!;
    const prompts = pairs.map((pair) => promptFor(task, operandsFromPair(task, pair)));

    for (const dtype of DTYPES) for (const threads of opts.threads) {
      const open = async (bytes: Uint8Array): Promise<InferenceSession> => (await openSession(bytes, { dtype, threads })).session;
      const full = await open(irToOnnx(modelToIr(model, { dtype })));
      const decode = await open(irToOnnx(modelToDecodeIr(model, { dtype, fast: opts.fast })));
      const batch = opts.batch ? { batchSize: opts.batch } : {};

      await incrementalDecode(decode, prompts.slice(0, 500), task.decode, batch); // warm-up
      const runs: { wall: number; cpu: number }[] = [];
      let wrong = 0;
      for (let r = 0; r < opts.reps; r++) {
        const t = await timed(() => incrementalDecode(decode, prompts, task.decode, batch));
        wrong = Math.max(wrong, wrongAnswers(model, pairs, t.result));
        runs.push(t);
      }
      const wall = median(runs.map((r) => r.wall));
      const cpu = median(runs.map((r) => r.cpu));
      const incremental = (pairs.length / wall) * 1000;

      let batchedFull = NaN;
      if (opts.batchedFull) {
        const t = await timed(() => greedyDecode(full, prompts, task.decode, { batchSize: pairs.length }));
        batchedFull = (pairs.length / t.wall) * 1000;
      }

      const few = prompts.slice(0, opts.baselineCases);
      for (const p of few.slice(0, 5)) await greedyDecode(full, [p], task.decode); // warm-up
      const one = await timed(async () => {
        for (const p of few) await greedyDecode(full, [p], task.decode);
      });
      const oneAtATime = (few.length / one.wall) * 1000;

      const walls = runs.map((r) => r.wall);
      console.log(
        `| ${name} | ${dtype} | ${threads} | ${fmtRate(incremental)} (${fmtRate((pairs.length / Math.min(...runs.map((r) => r.wall))) * 1000)}) | ${wall.toFixed(0)} (${Math.min(...walls).toFixed(0)}–${Math.max(...walls).toFixed(0)}) | ${cpu.toFixed(0)} | ` +
          `${Number.isNaN(batchedFull) ? '–' : fmtRate(batchedFull)} | ${fmtRate(oneAtATime)} | ${(incremental / oneAtATime).toFixed(1)}× | ${wrong} |`,
      );
      await full.release();
      await decode.release();
    }
  }
  console.log('');
  await poolTable(opts);
  await fastTable(opts);
  console.log(`load average at end: ${fmtLoad()}`);
}

/** Operators of the graph ORT runs after its own optimisations (the level openSession picks):
 * the decode graph's initializer chains are folded away there, so this is the count per run. */
async function ortNodeCount(bytes: Uint8Array, dtype: FloatDType, level: OrtLevel = dtype === 'float64' ? 'basic' : 'all'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'handwire-optimized-'));
  try {
    const file = join(dir, 'optimized.onnx');
    const s = await InferenceSession.create(Buffer.from(bytes), {
      graphOptimizationLevel: level, // default: as openSession chooses
      executionMode: 'sequential',
      intraOpNumThreads: 1,
      optimizedModelFilePath: file,
      logSeverityLevel: 3, // not the warning that an 'all'-level file is machine-specific
    });
    await s.release();
    return fromBinary(ModelProtoSchema, readFileSync(file)).graph?.node.length ?? 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type OrtLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** --nodes-only: nodes per run of the plain and the fast decode graph (IR; what ORT runs at
 * openSession's level), for every model of --models (e.g. all eight adders), no timing. */
async function nodesTable(opts: Options): Promise<void> {
  console.log('| model | dtype | nodes IR plain → fast | nodes ORT runs plain → fast |');
  console.log('|---|---|---:|---:|');
  for (const name of opts.models) {
    const model = checkSource(readFileSync(new URL(`../examples/adder/${name}.hw`, import.meta.url), 'utf8')).model!;
    for (const dtype of DTYPES) {
      const graphs = [false, true].map((fast) => modelToDecodeIr(model, { dtype, fast }));
      const ort = await Promise.all(graphs.map((g) => ortNodeCount(irToOnnx(g), dtype)));
      console.log(`| ${name} | ${dtype} | ${graphs[0]!.nodes.length} → ${graphs[1]!.nodes.length} | ${ort[0]} → ${ort[1]} |`);
    }
  }
  console.log('');
}

/**
 * The decode graph as the shared lowering builds it (--no-fast) against FastPlan's (model-to-ir.ts),
 * in the same run: nodes per run (in the IR, and what ORT runs after folding), then add/s in process
 * on one thread (alternating the two graphs rep by rep, so a change of load hits both) and with a
 * pool of 2 workers, on the full protocol; every answer checked against a + b.
 */
async function fastTable(opts: Options): Promise<void> {
  const pairs = protocolCases();
  console.log(`decode graph, plain (--no-fast) and fast: ${pairs.length} cases, median (best) of ${opts.reps}, one thread in process and 2 workers`);
  console.log('');
  console.log('| model | dtype | nodes IR plain → fast | nodes ORT runs plain → fast | 1 thread plain add/s | 1 thread fast add/s | ×  | 2 workers plain add/s | 2 workers fast add/s | × | wrong |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const levels: string[] = [];
  for (const name of opts.models) {
    const model = checkSource(readFileSync(new URL(`../examples/adder/${name}.hw`, import.meta.url), 'utf8')).model!;
    const task = model.task!;
    const prompts = pairs.map((pair) => promptFor(task, operandsFromPair(task, pair)));
    for (const dtype of DTYPES) {
      const graphs = [false, true].map((fast) => modelToDecodeIr(model, { dtype, fast }));
      const bytes = graphs.map((g) => irToOnnx(g));
      const ortNodes = [await ortNodeCount(bytes[0]!, dtype), await ortNodeCount(bytes[1]!, dtype)];
      let wrong = 0;
      const run = async (decode: (p: number[][], steps: number) => Promise<GreedyResult>) => {
        const t = await timed(() => decode(prompts, task.decode));
        wrong = Math.max(wrong, wrongAnswers(model, pairs, t.result));
        return t.wall;
      };
      const rates = async (decoders: ((p: number[][], steps: number) => Promise<GreedyResult>)[]) => {
        for (const d of decoders) await d(prompts.slice(0, 1000), task.decode); // warm-up
        const walls = decoders.map(() => [] as number[]);
        for (let r = 0; r < opts.reps; r++) for (let i = 0; i < decoders.length; i++) walls[i]!.push(await run(decoders[i]!));
        return walls.map((w) => `${fmtRate((pairs.length / median(w)) * 1000)} (${fmtRate((pairs.length / Math.min(...w)) * 1000)})`);
      };
      const ratio = (a: string, b: string) => `${(Number(b.split(' ')[0]!.replace(/,/g, '')) / Number(a.split(' ')[0]!.replace(/,/g, ''))).toFixed(2)}×`;
      const singles = await Promise.all(bytes.map(async (b) => (await openSession(b, { dtype, threads: 1 })).session));
      const one = await rates(singles.map((s) => (p: number[][], steps: number) => incrementalDecode(s, p, steps)));
      for (const s of singles) await s.release();
      const pools = await Promise.all(bytes.map((b) => openDecoderPool(b, { threads: 2, dtype, incremental: true })));
      const two = await rates(pools.map((pool) => (p: number[][], steps: number) => pool.decode(p, steps)));
      for (const pool of pools) await pool.close();
      levels.push(`| ${name} | ${dtype} | ${(await Promise.all((['disabled', 'basic', 'extended', 'all'] as const).map(async (l) => `${await ortNodeCount(bytes[0]!, dtype, l)} → ${await ortNodeCount(bytes[1]!, dtype, l)}`))).join(' | ')} |`);
      console.log(
        `| ${name} | ${dtype} | ${graphs[0]!.nodes.length} → ${graphs[1]!.nodes.length} | ${ortNodes[0]} → ${ortNodes[1]} | ${one[0]} | ${one[1]} | ${ratio(one[0]!, one[1]!)} | ${two[0]} | ${two[1]} | ${ratio(two[0]!, two[1]!)} | ${wrong} |`,
      );
    }
  }
  console.log('');
  console.log("nodes ORT runs per graphOptimizationLevel, plain → fast (openSession uses 'basic' for float64, 'all' for float32):");
  console.log('');
  console.log('| model | dtype | disabled | basic | extended | all |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const line of levels) console.log(line);
  console.log('');
}

/** --teacher-only: stepwise (incremental) against teacher-forced, in one run, interleaved. */
async function teacherTable(opts: Options): Promise<void> {
  const pairs = protocolCases();
  console.log(`teacher-forced check against stepwise decoding: ${pairs.length} cases, median (best) of ${opts.reps}, alternating rep by rep`);
  console.log('');
  console.log('| model | dtype | 1 thread stepwise add/s | 1 thread teacher-forced add/s | × | 2 workers stepwise add/s | 2 workers teacher-forced add/s | × | wrong |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const name of opts.models) {
    const model = checkSource(readFileSync(new URL(`../examples/adder/${name}.hw`, import.meta.url), 'utf8')).model!;
    const task = model.task!;
    const steps = task.decode;
    const cases = pairs.map((pair) => operandsFromPair(task, pair));
    const prompts = cases.map((c) => promptFor(task, c));
    const digitTask = digitTaskOf(task);
    for (const dtype of DTYPES) {
      const decodeBytes = irToOnnx(modelToDecodeIr(model, { dtype }));
      const checkBytes = irToOnnx(modelToTeacherForcedIr(model, { dtype, answer: steps }));
      let wrong = 0;
      const rates = async (decoders: ((p: number[][], steps: number) => Promise<GreedyResult>)[]) => {
        for (const d of decoders) await d(prompts.slice(0, 1000), steps); // warm-up
        const walls = decoders.map(() => [] as number[]);
        for (let r = 0; r < opts.reps; r++) {
          for (let i = 0; i < decoders.length; i++) {
            // As verify does: the expected answers are made inside the timed loop.
            const t = await timed(() => decoders[i]!(prompts, steps));
            wrong = Math.max(wrong, wrongAnswers(model, pairs, t.result));
            walls[i]!.push(t.wall);
          }
        }
        return walls.map((w) => [(pairs.length / median(w)) * 1000, (pairs.length / Math.min(...w)) * 1000] as const);
      };
      const fmt = ([m, b]: readonly [number, number]) => `${fmtRate(m)} (${fmtRate(b)})`;
      const single = (await openSession(decodeBytes, { dtype, threads: 1 })).session;
      const checker = (await openSession(checkBytes, { dtype, threads: 1 })).session;
      const expectedOf = (p: number[][]) => cases.slice(0, p.length).map((c) => digitTask.expected(c));
      const one = await rates([
        (p, n) => incrementalDecode(single, p, n),
        async (p, n) => completeDecode(await teacherForcedCheck(checker, p, expectedOf(p), n), p, n, (q, m) => incrementalDecode(single, q, m)),
      ]);
      const stepPool = await openDecoderPool(decodeBytes, { threads: 2, dtype, incremental: true });
      const checkPool = await openDecoderPool(checkBytes, { threads: 2, dtype, incremental: false, teacherForced: true });
      const two = await rates([
        (p, n) => stepPool.decode(p, n),
        async (p, n) => completeDecode(await checkPool.check(p, n, expectedOf(p)), p, n, (q, m) => incrementalDecode(single, q, m)),
      ]);
      await stepPool.close();
      await checkPool.close();
      await single.release();
      await checker.release();
      console.log(`| ${name} | ${dtype} | ${fmt(one[0]!)} | ${fmt(one[1]!)} | ${(one[1]![0] / one[0]![0]).toFixed(2)}× | ${fmt(two[0]!)} | ${fmt(two[1]!)} | ${(two[1]![0] / two[0]![0]).toFixed(2)}× | ${wrong} |`);
    }
  }
  console.log('');
  console.log(`load average at end: ${fmtLoad()}`);
}

/**
 * Worker threads (verify --threads): the incremental decoder in process (1 thread) against a
 * DecoderPool of 2 workers with one intra-op thread each, on --pool-cases cases of the protocol's
 * generator, in the same run, median of --reps. Answers are checked against a + b.
 */
async function poolTable(opts: Options): Promise<void> {
  const pairs = protocolCases({ tests: opts.poolCases });
  console.log(`worker threads: ${pairs.length} cases, median of ${opts.reps}; speed-up = pool ÷ in process, measured in the same run`);
  console.log('');
  console.log('| model | dtype | in process add/s | 2 workers add/s | speed-up | wrong |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const name of opts.models.slice(0, 2)) {
    const model = checkSource(readFileSync(new URL(`../examples/adder/${name}.hw`, import.meta.url), 'utf8')).model!;
    const task = model.task!;
    const prompts = pairs.map((pair) => promptFor(task, operandsFromPair(task, pair)));
    for (const dtype of DTYPES) {
      const bytes = irToOnnx(modelToDecodeIr(model, { dtype, fast: opts.fast }));
      const single = (await openSession(bytes, { dtype, threads: 1 })).session;
      const pool = await openDecoderPool(bytes, { threads: 2, dtype, incremental: true });
      let wrong = 0;
      const rate = async (decode: (p: number[][], steps: number) => Promise<GreedyResult>) => {
        const walls: number[] = [];
        for (let r = 0; r < opts.reps; r++) {
          const t = await timed(() => decode(prompts, task.decode));
          wrong = Math.max(wrong, wrongAnswers(model, pairs, t.result));
          walls.push(t.wall);
        }
        return (pairs.length / median(walls)) * 1000;
      };
      await pool.decode(prompts.slice(0, 1000), task.decode); // warm-up
      const one = await rate((p, steps) => incrementalDecode(single, p, steps));
      const two = await rate((p, steps) => pool.decode(p, steps));
      console.log(`| ${name} | ${dtype} | ${fmtRate(one)} | ${fmtRate(two)} | ${(two / one).toFixed(2)}× | ${wrong} |`);
      await single.release();
      await pool.close();
    }
  }
  console.log('');
}

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

async function profileAll(opts: Options, pairs: [number, number][]): Promise<void> {
  console.log(`profile: ORT profiler, 1 thread, fastest of ${opts.reps} decodes of all ${pairs.length} cases`);
  for (const name of opts.models) {
    const file = new URL(`../examples/adder/${name}.hw`, import.meta.url);
    if (!existsSync(file)) continue;
    const model = checkSource(readFileSync(file, 'utf8')).model!;
    const task = model.task!;
    const prompts = pairs.map((pair) => promptFor(task, operandsFromPair(task, pair)));
    for (const dtype of DTYPES) for (const fast of opts.fast ? [false, true] : [false]) {
      const dir = mkdtempSync(join(tmpdir(), 'handwire-profile-'));
      try {
        const session = await InferenceSession.create(Buffer.from(irToOnnx(modelToDecodeIr(model, { dtype, fast }))), {
          graphOptimizationLevel: dtype === 'float64' ? 'basic' : 'all', // as openSession chooses
          executionMode: 'sequential',
          intraOpNumThreads: 1,
          enableProfiling: true,
          profileFilePrefix: join(dir, 'ort'),
        });
        const batch = opts.batch ? { batchSize: opts.batch } : {};
        for (let r = 0; r < opts.reps; r++) await incrementalDecode(session, prompts, task.decode, batch);
        session.endProfiling(); // onnxruntime-node writes the file but does not return its name
        const written = readdirSync(dir).filter((f) => f.endsWith('.json'));
        if (written.length !== 1) throw new Error(`expected one ORT profile in ${dir}, found ${written.length}`);
        const events: ProfileEvent[] = JSON.parse(readFileSync(join(dir, written[0]!), 'utf8'));
        await session.release();
        printProfile(`${name} ${dtype} ${fast ? 'fast' : 'plain'} decode graph`, events, opts.reps, task.decode);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
}

/** Fastest-of-reps per run index and per operator (steps only), from one profile of `reps` decodes
 * of `steps` runs per batch (the first of each batch is its prefill). */
function printProfile(title: string, events: ProfileEvent[], reps: number, steps: number): void {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const perDecode = runs.length / reps;
  const runMin = Array.from({ length: perDecode }, (_, i) => Math.min(...runs.filter((_, j) => j % perDecode === i).map((r) => r.dur)) / 1000);
  // Operator time per (repetition, operator) over the step runs, then the fastest repetition.
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time')).sort((a, b) => a.ts - b.ts);
  const byOp = new Map<string, number[]>();
  const prefill = new Array<number>(reps).fill(0);
  let run = 0;
  for (const k of kernels) {
    while (run < runs.length - 1 && k.ts > runs[run]!.ts + runs[run]!.dur) run++;
    const rep = Math.floor(run / perDecode);
    if ((run % perDecode) % steps === 0) {
      prefill[rep]! += k.dur;
      continue;
    }
    const op = `${k.args?.op_name ?? '?'} ${k.name.replace(/_kernel_time$/, '')}`;
    const perRep = byOp.get(op) ?? new Array<number>(reps).fill(0);
    perRep[rep]! += k.dur;
    byOp.set(op, perRep);
  }
  const ops = [...byOp].map(([op, t]) => [op, Math.min(...t) / 1000] as const).sort((a, b) => b[1] - a[1]);
  const stepTotal = ops.reduce((s, [, t]) => s + t, 0);
  console.log('');
  console.log(`${title}: ${runMin.reduce((s, t) => s + t, 0).toFixed(1)} ms per decode in ${perDecode} runs (fastest of each run: ${runMin.map((t) => t.toFixed(2)).join(' ')})`);
  console.log(`  prefill kernels ${(Math.min(...prefill) / 1000).toFixed(1)} ms; step kernels ${stepTotal.toFixed(1)} ms, by operator:`);
  for (const [op, t] of ops.slice(0, 12)) console.log(`    ${t.toFixed(2).padStart(7)} ms  ${(100 * t / stepTotal).toFixed(0).padStart(3)}%  ${op}`);
}

await main();
