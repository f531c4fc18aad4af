// node scripts/gpu/compare-logits.mjs [--cases N] [--json FILE] DESIGN.hw...
//
// CPU against CUDA on the same logits: for each design and float type, the first N cases of the
// AdderBoard protocol (default 1,000) are decoded greedily on CPU (full recompute), and the
// sequences the decoder reads (prompt + generated tokens but the last) are run once through the
// main graph on CPU and once on CUDA. Printed per design and dtype: the maximum absolute logit
// difference, the same relative to the largest |logit|, and the number of positions whose argmax
// differs. When CUDA could not be loaded the "CUDA" session is a CPU one, and the table says so
// (device column) instead of reporting a comparison that was not made.
import { writeFileSync } from 'node:fs';
import { hw, loadDesign, open, ortVersion, parseArgs, prompts } from './lib.mjs';

const opts = parseArgs(process.argv.slice(2), { cases: '1000' });
const nCases = Number(opts.cases);
if (!opts._.length || !(nCases >= 1)) {
  console.error('usage: node scripts/gpu/compare-logits.mjs [--cases N] [--json FILE] DESIGN.hw...');
  process.exit(2);
}

const rows = [];
const pairs = hw.protocolCaseSet().pairs.slice(0, nCases);
for (const file of opts._) {
  const d = loadDesign(file);
  const ps = prompts(d.task, pairs);
  for (const dtype of ['float32', 'float64']) {
    const onnx = hw.compileSource(d.source, { dtype }).onnx;
    const cpu = await open(onnx, dtype, 'cpu');
    const cuda = await open(onnx, dtype, 'cuda');
    if (cuda.notice) console.error(`${d.name} ${dtype}: ${cuda.notice}`);
    // The sequences greedy decoding feeds the model: prompt, then each generated token but the last.
    const gen = await hw.greedyDecode(cpu.session, ps, d.task.decode);
    const seq = ps[0].length + d.task.decode - 1;
    const ids = new BigInt64Array(ps.length * seq);
    ps.forEach((p, i) => [...p, ...gen.tokens[i].slice(0, -1)].forEach((t, j) => (ids[i * seq + j] = BigInt(t))));

    const t0 = performance.now();
    const a = await hw.runLogits(cpu.session, ids, ps.length, seq);
    const t1 = performance.now();
    await hw.runLogits(cuda.session, ids, ps.length, seq); // warm-up (CUDA allocates, tunes)
    const t2 = performance.now();
    const b = await hw.runLogits(cuda.session, ids, ps.length, seq);
    const t3 = performance.now();

    let maxAbs = 0, maxLogit = 0, argmaxDiff = 0;
    const V = a.vocab;
    for (let r = 0; r < a.data.length / V; r++) {
      let ia = 0, ib = 0;
      for (let v = 0; v < V; v++) {
        const k = r * V + v;
        const x = a.data[k], y = b.data[k];
        const diff = Math.abs(x - y);
        if (diff > maxAbs || Number.isNaN(diff)) maxAbs = Number.isNaN(diff) ? NaN : Math.max(maxAbs, diff);
        if (Math.abs(x) > maxLogit) maxLogit = Math.abs(x);
        if (x > a.data[r * V + ia]) ia = v;
        if (y > b.data[r * V + ib]) ib = v;
      }
      if (ia !== ib) argmaxDiff++;
    }
    const row = {
      design: d.name, dtype, device: cuda.device, cases: ps.length, positions: ps.length * seq, vocab: V,
      max_abs_diff: maxAbs, max_rel_diff: maxLogit ? maxAbs / maxLogit : 0, max_abs_logit: maxLogit,
      argmax_disagreements: argmaxDiff,
      cpu_ms: +(t1 - t0).toFixed(2), cuda_first_ms: +(t2 - t1).toFixed(2), cuda_ms: +(t3 - t2).toFixed(2),
    };
    rows.push(row);
    await cpu.session.release();
    await cuda.session.release();
  }
}

console.log(`CPU vs ${rows.some((r) => r.device === 'cuda') ? 'CUDA' : 'CUDA (fell back to CPU: no comparison made)'} logits, onnxruntime-node ${ortVersion}, first ${nCases} protocol cases`);
console.log('| design | dtype | "cuda" session ran on | positions | max abs diff | max rel diff | max abs logit | argmax differs | CPU ms | CUDA ms (first, then warm) |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.design} | ${r.dtype} | ${r.device} | ${r.positions} | ${r.max_abs_diff.toExponential(3)} | ${r.max_rel_diff.toExponential(3)} | ${r.max_abs_logit.toExponential(3)} | ${r.argmax_disagreements} | ${r.cpu_ms} | ${r.cuda_first_ms}, ${r.cuda_ms} |`);
}
if (opts.json) writeFileSync(opts.json, `${JSON.stringify({ date: new Date().toISOString(), onnxruntime: ortVersion, rows }, null, 2)}\n`);
