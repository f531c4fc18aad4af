// The text `handwire verify` prints: the digit-task report (AdderBoard protocol or sweep), the
// float32-vs-float64 comparison, and the token-string task report. Pure string building; the
// numbers all come from the library's reports.
import { formatCount } from '../../runtime/tasks/strings.ts';
import type { ModelVerification } from '../../verify/verify-model.ts';
import { QUALIFY_PERCENT, type DtypeDisagreement, type VerifyReport } from '../../verify/report.ts';

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => `${x.toFixed(2)}%`;


export function formatReport(r: VerifyReport): string {
  const lines: string[] = [];
  lines.push(`${r.model}: ${int(r.params)} params, ${r.dtype} on ${r.device}`);
  lines.push(`Cases: ${r.cases.description}`);
  lines.push(`  sha256 of the pairs: ${r.cases_sha256}`);
  lines.push(`Results: ${int(r.passed)}/${int(r.total)} correct (${pct(r.accuracy)})`);
  lines.push(`Time: ${r.seconds.toFixed(2)}s (${int(Math.round(r.additions_per_second))} additions/sec)`);
  if (r.qualified !== null) lines.push(`Status: ${r.qualified ? 'QUALIFIED' : 'NOT QUALIFIED'} (threshold: ${QUALIFY_PERCENT}%)`);
  if (r.error_rate_upper_95 !== null) {
    lines.push(
      `Error rate: 0 failures in ${int(r.cases.random)} random ${r.cases.kind === 'random' ? 'cases' : 'pairs'}, so below ${formatRate(r.error_rate_upper_95)} ` +
        'with 95% confidence (exact one-sided Clopper-Pearson bound)',
    );
  }
  lines.push('Per-digit accuracy (decode step, place of the answer digit it writes):');
  lines.push(...columns(r.per_digit_accuracy.map((d) => `step ${d.step} (place ${d.place}): ${pct(d.accuracy)}`)));
  if (r.min_margin) {
    lines.push(`Smallest top-1 minus top-2 logit gap: ${describeMargin(r.min_margin)}`);
    if (r.min_margin_ulps && r.min_margin_ulps !== r.min_margin && r.min_margin_ulps.ulps < r.min_margin.ulps) {
      lines.push(`Smallest gap in ULPs: ${describeMargin(r.min_margin_ulps)}`);
    }
    lines.push('  per decode step:');
    for (const m of r.min_margin_per_step) lines.push(`    step ${String(m.step).padStart(2)}: ${describeMargin(m)}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.failures.length > 0) {
    lines.push(`Failures (${int(r.failures.length)}):`);
    for (const f of r.failures) {
      lines.push(`  ${describeInputs(f.inputs)}: expected ${f.expected}, got ${f.got ?? `tokens [${f.tokens.join(', ')}]`}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function describeInputs(inputs: Record<string, number>): string {
  return Object.entries(inputs).map(([k, v]) => `${k}=${v}`).join(' ');
}

function describeMargin(m: { value: number; ulps: number; logit: number; a: number; b?: number; step: number }): string {
  const at = m.b === undefined ? `${m.a}` : `(${m.a}, ${m.b})`;
  return `${m.value.toPrecision(6)} = ${formatUlpCount(m.ulps)} ULPs of the top-1 logit ${m.logit.toPrecision(6)}, at ${at} step ${m.step}`;
}

function formatUlpCount(u: number): string {
  if (!Number.isFinite(u)) return String(u);
  return u >= 1e6 ? u.toExponential(3) : u >= 100 ? int(Math.round(u)) : u.toPrecision(3);
}

function formatRate(p: number): string {
  return `${(p * 100).toPrecision(3)}% (${p.toExponential(3)})`;
}

/** Short items in rows of four, so 11 digits fit in three lines. */
function columns(items: string[]): string[] {
  const width = Math.max(...items.map((s) => s.length)) + 3;
  const rows: string[] = [];
  for (let i = 0; i < items.length; i += 4) rows.push(`  ${items.slice(i, i + 4).map((s) => s.padEnd(width)).join('').trimEnd()}`);
  return rows;
}

export function formatComparison(f32: VerifyReport, f64: VerifyReport, disagreements: DtypeDisagreement[]): string {
  const lines: string[] = [];
  lines.push(`${f32.model}: ${int(f32.params)} params, float32 vs float64 on ${f32.device}`);
  lines.push(`Cases: ${f32.cases.description}`);
  lines.push(`  sha256 of the pairs: ${f32.cases_sha256}`);
  const row = (label: string, a: string, b: string) => `  ${label.padEnd(22)}${a.padEnd(34)}${b}`;
  lines.push(row('', 'float32', 'float64'));
  lines.push(row('correct', `${int(f32.passed)}/${int(f32.total)} (${pct(f32.accuracy)})`, `${int(f64.passed)}/${int(f64.total)} (${pct(f64.accuracy)})`));
  if (f32.qualified !== null && f64.qualified !== null) {
    lines.push(row('status', f32.qualified ? 'QUALIFIED' : 'NOT QUALIFIED', f64.qualified ? 'QUALIFIED' : 'NOT QUALIFIED'));
  }
  const gap = (r: VerifyReport) => (r.min_margin ? `${r.min_margin.value.toPrecision(4)} (${formatUlpCount(r.min_margin.ulps)} ULPs)` : '-');
  const gapUlps = (r: VerifyReport) => (r.min_margin_ulps ? `${formatUlpCount(r.min_margin_ulps.ulps)} ULPs` : '-');
  lines.push(row('smallest gap', gap(f32), gap(f64)));
  lines.push(row('smallest gap in ULPs', gapUlps(f32), gapUlps(f64)));
  lines.push(row('time', `${f32.seconds.toFixed(2)}s`, `${f64.seconds.toFixed(2)}s`));
  for (const w of f32.warnings) lines.push(`warning (float32): ${w}`);
  for (const w of f64.warnings) lines.push(`warning (float64): ${w}`);
  if (disagreements.length === 0) {
    lines.push('The two builds generate the same tokens on every case.');
  } else {
    lines.push(`Disagreements (${int(disagreements.length)}):`);
    for (const d of disagreements) {
      const show = (v: number | null, tokens: number[]) => (v === null ? `tokens [${tokens.join(', ')}]` : String(v));
      lines.push(`  ${d.a} + ${d.b} = ${d.expected}: float32 ${show(d.float32, d.float32_tokens)}, float64 ${show(d.float64, d.float64_tokens)}`);
    }
  }
  for (const [label, r] of [['float32', f32], ['float64', f64]] as const) {
    if (r.failures.length === 0) continue;
    lines.push(`Failures of the ${label} build (${int(r.failures.length)}):`);
    for (const f of r.failures) lines.push(`  ${describeInputs(f.inputs)}: expected ${f.expected}, got ${f.got ?? `tokens [${f.tokens.join(', ')}]`}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- token-string tasks

/** a/b as a percentage: whole when exact, else three decimals. */
const share = (a: number, b: number) => `${b === 0 ? '100' : ((100 * a) / b).toFixed(a === b ? 0 : 3)}%`;

export function formatVerification(name: string, params: number, r: ModelVerification): string {
  const lines: string[] = [];
  lines.push(`${name} (task ${r.task}): ${int(params)} params, ${r.dtype} on ${r.device}`);
  const how = r.mode === 'exhaustive' ? `all ${int(r.cases)} checked (exhaustive)` : r.mode === 'dataset' ? `every line checked` : r.mode === 'given' ? `${int(r.cases)} given cases checked` : `${int(r.cases)} sampled of ${formatCount(r.domainSize)}, stratified by length`;
  lines.push(`Domain: ${r.domain}: ${how}`);
  lines.push(`Exact match: ${int(r.passed)}/${int(r.cases)} (${share(r.passed, r.cases)}); per token: ${int(r.tokens.right)}/${int(r.tokens.total)} (${share(r.tokens.right, r.tokens.total)})`);
  if (Number.isFinite(r.minMargin)) lines.push(`Smallest logit margin: ${r.minMargin.toPrecision(6)}`);
  if (r.failures.length > 0) {
    lines.push(`First failures (${r.failures.length} of ${int(r.cases - r.passed)}):`);
    for (const f of r.failures) lines.push(`  ${f.input}: expected ${f.expected || '(empty)'}, got ${f.got || '(empty)'} (first wrong at ${f.firstWrong})`);
  }
  lines.push(`Time: ${r.seconds.toFixed(2)} s (${int(Math.round(r.cases / Math.max(r.seconds, 1e-9)))} cases/s)`);
  return `${lines.join('\n')}\n`;
}
