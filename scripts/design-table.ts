// Prints the design-library table of docs/designs.md: for every example, the parameter counts
// (handwire's audit and the leaderboard's figure, read from docs/designs/README.md), the dtype
// its spec names, the AdderBoard protocol in float32 and float64 (accuracy, smallest logit margin
// and its size in ULPs), the carry-chain sweep in the spec's dtype, and the header's `how` line.
//   npx tsx scripts/design-table.ts > tmp/designs-table.md
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileDecodeGraph, compileSource } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { openSession } from '../src/runtime/session.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { incrementalDecode } from '../src/runtime/incremental.ts';
import { carryChainCaseSet, caseSetProblem, protocolCaseSet, taskRandomCaseSet, type CaseSet } from '../src/runtime/tasks/protocol.ts';
import { runCases } from '../src/verify/run.ts';
import { digitTaskOf } from '../src/runtime/tasks/digits.ts';
import { buildReport, type VerifyReport } from '../src/verify/report.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');

/** The leaderboard's parameter figure per design, from the index table of docs/designs/README.md. */
function leaderboardFigures(): Map<string, string> {
  const out = new Map<string, string>();
  const text = readFileSync(join(ROOT, 'docs', 'designs', 'README.md'), 'utf8');
  for (const m of text.matchAll(/^\| \[([\w-]+)\.md\]\([^)]*\) \| ([^|]+) \|/gm)) out.set(m[1]!, m[2]!.trim());
  return out;
}

async function verify(model: CheckedModel, onnx: Uint8Array, dtype: FloatDType, cases: CaseSet): Promise<VerifyReport> {
  const task = model.task!;
  const problem = caseSetProblem(task, cases);
  if (problem) throw new Error(problem);
  // Cached-key decoding where the model allows it (same tokens as full recompute), else full recompute.
  const decode = compileDecodeGraph(model, { dtype });
  const { session } = await openSession('onnx' in decode ? decode.onnx : onnx, { dtype, threads: 'onnx' in decode ? 1 : undefined });
  const digits = digitTaskOf(task, model.tokenNames);
  const run = await runCases(digits, cases, (prompts, steps) =>
    'onnx' in decode ? incrementalDecode(session, prompts, steps) : greedyDecode(session, prompts, steps),
  );
  return buildReport({ model: model.name, params: model.audit?.adderboard ?? 0, dtype, device: 'cpu', task: digits, cases, result: run.result, seconds: run.seconds });
}

const pct = (r: VerifyReport) => `${r.passed.toLocaleString('en-US')}/${r.total.toLocaleString('en-US')}`;
const margin = (r: VerifyReport) => {
  const m = r.min_margin_ulps ?? r.min_margin;
  if (!m) return '—';
  const ulps = m.ulps >= 1e6 ? m.ulps.toExponential(1) : m.ulps.toFixed(0);
  return `${Number(m.value.toPrecision(3))} (${ulps} ulp)`;
};

async function main(): Promise<void> {
  const figures = leaderboardFigures();
  // The AdderBoard protocol needs a digit contract; the any-length adder's task is over token
  // strings (test/adder-anylen.test.ts and bench/adder-anylen.ts measure it).
  const files = ['adder', 'tasks'].flatMap((dir) =>
    readdirSync(join(ROOT, 'examples', dir))
      .filter((f) => f.endsWith('.hw') && !/^\s*input [^\n]*\] length /m.test(readFileSync(join(ROOT, 'examples', dir, f), 'utf8')))
      .sort()
      .map((f) => join(ROOT, 'examples', dir, f)),
  );
  const rows: string[] = [];
  const notes: string[] = [];
  for (const file of files) {
    const name = basename(file, '.hw');
    const source = readFileSync(file, 'utf8');
    const builds = Object.fromEntries(
      (['float32', 'float64'] as const).map((d) => [d, compileSource(source, { dtype: d })]),
    ) as Record<FloatDType, ReturnType<typeof compileSource>>;
    const model = builds.float64.model!;
    const task = model.task!;
    const protocol = task.operands.length === 2 ? protocolCaseSet() : taskRandomCaseSet(task);
    const reports = {
      float32: await verify(model, builds.float32.onnx!, 'float32', protocol),
      float64: await verify(model, builds.float64.onnx!, 'float64', protocol),
    };
    const chains = task.operands.length === 2 ? await verify(model, builds[model.dtype].onnx!, model.dtype, carryChainCaseSet(Math.min(...task.operands.map((o) => o.digits)))) : undefined;
    const audit = model.audit!;
    rows.push(
      `| ${name} | ${audit.adderboard} (strict ${audit.strict}) | ${figures.get(name) ?? '—'} | ${model.dtype} | ` +
        `${pct(reports.float32)} | ${margin(reports.float32)} | ${pct(reports.float64)} | ${margin(reports.float64)} | ` +
        `${chains ? pct(chains) : '—'} | ${String(model.about.how ?? '')} |`,
    );
    for (const [label, r] of [['float32', reports.float32], ['float64', reports.float64], [`carry chains (${model.dtype})`, chains]] as const) {
      if (!r || r.failures.length === 0) continue;
      const shown = r.failures.slice(0, 5).map((f) => `${Object.values(f.inputs).join(' + ')} → ${f.got ?? 'non-digit'} (expected ${f.expected})`);
      notes.push(`- **${name}, ${label}:** ${r.failures.length.toLocaleString('en-US')} failures; first ${shown.length}: ${shown.join('; ')}`);
    }
    process.stderr.write(`${name} done\n`);
  }
  process.stdout.write(
    '| design | params (handwire) | leaderboard | spec dtype | float32 protocol | float32 min margin | float64 protocol | float64 min margin | carry chains (spec dtype) | how it works |\n' +
      '|---|---|---|---|---|---|---|---|---|---|\n' +
      rows.join('\n') +
      '\n\n' +
      (notes.length ? `Failures:\n\n${notes.join('\n')}\n` : 'No failures.\n'),
  );
}

await main();
