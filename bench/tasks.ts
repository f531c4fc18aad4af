// npm run bench (part): verify of two token-string tasks, in process through verifyModel (the
// library entry the CLI's verify calls), in float32 and float64, one run each:
//   parity  examples/zoo/parity.hw with its length range set to 0..16: every bit string of length
//           0..16, 131,071 strings, exhaustive (issue #12);
//   scan    examples/scan/scan.hw over every line of examples/scan/data/tasks.txt.gz, 20,910
//           commands decoded greedily up to EOS (issue #13).
// Each row gives the cases, the exact matches, the seconds and cases per second. The machine is
// shared: the load average is printed before and after, and ratios mean more than absolute rates.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { checkSource } from '../src/compile.ts';
import type { CheckedModel, FloatDType } from '../src/check/model.ts';
import { parseDataset } from '../src/verify/dataset.ts';
import { verifyModel, type VerifyModelOptions } from '../src/verify/verify-model.ts';

const root = new URL('../', import.meta.url);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function checked(path: string, edit: (s: string) => string = (s) => s): CheckedModel {
  const source = edit(readFileSync(new URL(path, root), 'utf8'));
  const r = checkSource(source);
  if (!r.model) throw new Error(`${path}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.model;
}

const parity = checked('examples/zoo/parity.hw', (s) => {
  const edited = s.replace('input s: ["0", "1"] length 1..1000', 'input s: ["0", "1"] length 0..16');
  if (edited === s) throw new Error('examples/zoo/parity.hw no longer declares `input s: ["0", "1"] length 1..1000`: update bench/tasks.ts');
  return edited;
});
const scan = checked('examples/scan/scan.hw');
const scanData = parseDataset(gunzipSync(readFileSync(new URL('examples/scan/data/tasks.txt.gz', root))).toString('utf8'), scan);
if (scanData.diagnostics.length > 0) throw new Error(`tasks.txt.gz: ${scanData.diagnostics[0]!.message}`);

const rows: Array<{ label: string; model: CheckedModel; opts: VerifyModelOptions }> = [
  { label: 'parity, every string of length 0..16', model: parity, opts: {} },
  { label: 'SCAN, every command of tasks.txt', model: scan, opts: { dataset: { cases: scanData.cases, source: 'tasks.txt.gz' } } },
];

console.log(`token-string tasks, verifyModel in process, one run each; ${cpus().length} × ${cpus()[0]?.model}; node ${process.version}; ${new Date().toISOString()}; load ${load()}`);
console.log('| task | dtype | cases | exact | seconds | cases/s |');
console.log('|---|---|---:|---:|---:|---:|');
for (const { label, model, opts } of rows) {
  for (const dtype of ['float32', 'float64'] as FloatDType[]) {
    const r = await verifyModel(model, { ...opts, dtype });
    if (r.mode === 'sampled') throw new Error(`${label}: sampled, not every case (domain ${r.domainSize})`);
    console.log(`| ${label} | ${dtype} | ${r.cases.toLocaleString('en-US')} | ${r.passed.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} | ${Math.round(r.cases / r.seconds).toLocaleString('en-US')} |`);
  }
}
console.log(`load after: ${load()}\n`);
