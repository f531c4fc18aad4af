// node scripts/gpu/sweep.mjs [--cases N] [--batches 256,1024,4096,10010] [--devices cpu,cuda]
//                            [--cpu-threads 1] [--reps 3] [--deadline-s S] [--json FILE] DESIGN.hw...
//
// Throughput sweep: additions per second of greedy decoding over the first N cases of the
// AdderBoard protocol (default all 10,010), for each design × float type × device × batch size,
// with the incremental decoder (the decode graph with cached keys/values, what `verify` uses), and
// full recompute (the main graph re-run every step) at the largest batch size. Each cell: one
// warm-up decode, then the median of --reps timed decodes; every answer is checked against the
// task's formula (the "wrong" column). Cells still to run when --deadline-s seconds have passed are
// skipped and listed as such, so the sweep fits a device lease. A "cuda" row whose session fell
// back to CPU says so in its "ran on" column.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { expected, hw, loadDesign, open, ortVersion, parseArgs, prompts } from './lib.mjs';

const opts = parseArgs(process.argv.slice(2), {
  cases: '10010', batches: '256,1024,4096,10010', devices: 'cpu,cuda', 'cpu-threads': '1', reps: '3', 'deadline-s': '1e9',
});
if (!opts._.length) {
  console.error('usage: node scripts/gpu/sweep.mjs [--cases N] [--batches LIST] [--devices cpu,cuda] [--cpu-threads 1] [--reps 3] [--deadline-s S] [--json FILE] DESIGN.hw...');
  process.exit(2);
}
const nCases = Number(opts.cases);
const batches = opts.batches.split(',').map(Number);
const devices = opts.devices.split(',');
const reps = Number(opts.reps);
const deadline = performance.now() + Number(opts['deadline-s']) * 1000;
const pairs = hw.protocolCaseSet().pairs.slice(0, nCases);

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = [];
let told = false; // the fallback notice, once per run
const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`throughput sweep: ${pairs.length} protocol cases, median of ${reps}, onnxruntime-node ${ortVersion}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), CPU sessions with ${opts['cpu-threads']} intra-op thread(s)`);
console.log('| design | dtype | device | ran on | decoder | batch | add/s | ms per decode (min) | wrong |');
console.log('|---|---|---|---|---|---:|---:|---:|---:|');

for (const file of opts._) {
  const d = loadDesign(file);
  const ps = prompts(d.task, pairs);
  const want = pairs.map((p) => expected(d.task, p));
  for (const dtype of ['float32', 'float64']) {
    const full = hw.compileSource(d.source, { dtype }).onnx;
    const dec = hw.compileDecodeGraph(d.model, { dtype });
    for (const device of devices) {
      const threads = device === 'cpu' ? Number(opts['cpu-threads']) : undefined;
      const cells = [
        ...('onnx' in dec ? batches.map((b) => ({ decoder: 'incremental', batch: b })) : []),
        { decoder: 'full', batch: Math.max(...batches) },
      ];
      const sessions = {};
      for (const cell of cells) {
        const row = { design: d.name, dtype, device, ...cell };
        if (performance.now() > deadline) {
          rows.push({ ...row, skipped: 'deadline' });
          console.log(`| ${d.name} | ${dtype} | ${device} | – | ${cell.decoder} | ${cell.batch} | skipped (deadline) | | |`);
          continue;
        }
        sessions[cell.decoder] ??= await open(cell.decoder === 'full' ? full : dec.onnx, dtype, device, threads);
        const opened = sessions[cell.decoder];
        if (opened.notice && !told) { console.error(opened.notice); told = true; }
        const decode = cell.decoder === 'full' ? hw.greedyDecode : hw.incrementalDecode;
        const run = () => decode(opened.session, ps, d.task.decode, { batchSize: cell.batch });
        await run(); // warm-up: CUDA allocates and picks kernels on the first runs of each shape
        const walls = [];
        let wrong = 0;
        for (let r = 0; r < reps; r++) {
          const t0 = performance.now();
          const res = await run();
          walls.push(performance.now() - t0);
          wrong = Math.max(wrong, res.tokens.reduce((n, toks, i) => n + (hw.readAnswer(d.task, toks) === want[i] ? 0 : 1), 0));
        }
        const ms = median(walls);
        Object.assign(row, { ran_on: opened.device, add_per_s: Math.round((ps.length / ms) * 1000), ms: +ms.toFixed(2), min_ms: +Math.min(...walls).toFixed(2), wrong });
        rows.push(row);
        console.log(`| ${d.name} | ${dtype} | ${device} | ${opened.device} | ${cell.decoder} | ${cell.batch} | ${fmt(row.add_per_s)} | ${row.ms} (${row.min_ms}) | ${wrong} |`);
      }
      for (const s of Object.values(sessions)) await s.session.release();
    }
  }
}
if (opts.json) writeFileSync(opts.json, `${JSON.stringify({ date: new Date().toISOString(), onnxruntime: ortVersion, cases: pairs.length, reps, rows }, null, 2)}\n`);
