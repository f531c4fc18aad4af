// The diagnostics catalogue (src/diagnostics-help.ts): an entry for every code, each example really
// gives its code and its fix really does not, docs/diagnostics.md is the catalogue as generated,
// and `handwire explain` prints an entry.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../src/compile.ts';
import { EVAL_LIMITS } from '../src/check/evaluate.ts';
import { DIAGNOSTICS, type DiagnosticCode } from '../src/diagnostics.ts';
import { DIAGNOSTIC_HELP, diagnosticsMarkdown, explainText } from '../src/diagnostics-help.ts';
import { runCli } from './helpers/cli.ts';

/** A small valid model holding every example's fix (`right`), each exactly once. */
const BASE = `model tiny {
  vocab 10
  dtype float32
  context 8
  residual [big, digit]
  let theta = 2 pi / sqrt(361)
  let f(p) = theta / (p + 1)
  param w = 3
  let T = [[i j for i in 0..99] for j in 0..99]
  embed E[d] = [1, ln(d + 1)]
  layer {
    attention {
      heads 1, dim 2
      q = [big, 0]
      k = [big, 0]
      v = [w digit, 0]
      rope(p) = f(p)
      causal
      write digit += out[0]
    }
    mlp {
      act relu
      in = [big, digit]
      write digit += h[1] - h[0]
    }
  }
  head tied E
  task addition {
    input a, b: 2 digits
    prompt [a lsb, 0, b lsb, 0]
    decode 3
    answer lsb
    expect a + b
  }
}
`;

const CODES = Object.keys(DIAGNOSTICS) as DiagnosticCode[];
const withExample = CODES.filter((c) => DIAGNOSTIC_HELP[c].example);

describe('the catalogue', () => {
  it('has an explanation for every code, and an example for every code source text can cause', () => {
    for (const c of CODES) expect(DIAGNOSTIC_HELP[c].explanation.length, c).toBeGreaterThan(80);
    // HW027 is about a dataset file, not the source; HW099 is a fault in handwire itself: no source
    // is meant to cause either.
    expect(CODES.filter((c) => !DIAGNOSTIC_HELP[c].example)).toEqual(['HW027', 'HW099']);
  });

  it('HW030 and HW031 state the evaluator\'s limits as they are (the checker\'s come from LIMITS itself)', () => {
    expect(DIAGNOSTIC_HELP.HW030.explanation).toContain(`more than ${EVAL_LIMITS.entries.toLocaleString('en-US')} entries`);
    expect(DIAGNOSTIC_HELP.HW030.explanation).toContain(`over ${EVAL_LIMITS.entries.toLocaleString('en-US')} steps`);
    expect(DIAGNOSTIC_HELP.HW031.explanation).toContain(`more than ${EVAL_LIMITS.depth} levels deep`);
    expect(DIAGNOSTIC_HELP.HW031.explanation).toContain(`more than ${EVAL_LIMITS.calls} deep`);
  });

  it('the base model, which holds every fix, checks cleanly', () => {
    expect(checkSource(BASE).diagnostics).toEqual([]);
  });

  it.each(withExample)('%s: the example gives the code, and its fix does not', (code) => {
    const { wrong, right } = DIAGNOSTIC_HELP[code].example!;
    expect(BASE.split(right).length - 1, `the base model holds ${JSON.stringify(right)} once`).toBe(1);
    const diagnostics = checkSource(BASE.replace(right, wrong)).diagnostics;
    expect(diagnostics.map((d) => d.code), JSON.stringify(diagnostics.map((d) => d.message))).toContain(code);
    expect(diagnostics.find((d) => d.code === code)!.severity).toBe(DIAGNOSTICS[code].severity);
  });

  it('docs/diagnostics.md is current (else run npm run docs:diagnostics)', () => {
    const doc = readFileSync(new URL('../docs/diagnostics.md', import.meta.url), 'utf8');
    expect(doc).toBe(diagnosticsMarkdown());
    for (const c of CODES) expect(doc).toContain(`## ${c}\n`);
  });
});

describe('handwire explain', () => {
  it('prints the entry for a code however it is written, and refuses an unknown one (exit 2)', async () => {
    const cwd = tmpdir();
    const [upper, lower, unknown, list] = await Promise.all([
      runCli(['explain', 'HW013'], { cwd }),
      runCli(['explain', 'hw13'], { cwd }),
      runCli(['explain', 'HW999'], { cwd }),
      runCli(['explain'], { cwd }),
    ]);
    expect(upper.code, upper.stderr).toBe(0);
    expect(upper.stdout).toBe(explainText('HW013'));
    expect(upper.stdout).toMatch(/^HW013 shape mismatch \(error\)\n/);
    expect(upper.stdout).toContain('q = [big, 0, 0]');
    expect(lower.stdout).toBe(upper.stdout);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.trim().split('\n')).toEqual(['handwire: HW999 is not a diagnostic code (run handwire explain for the list)']);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(CODES.length);
  });
});
