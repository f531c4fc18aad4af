// `handwire prove` end to end: the real bin in child processes, on files written to a temporary
// directory. Full proofs of the examples take tens of seconds, so the command is exercised on a
// broken variant (refuted quickly), on a file without a task and on a task that is not addition.
import { runCli, type CliResult } from './helpers/cli.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { openSession } from '../src/runtime/session.ts';
import { promptFor, readAnswer } from '../src/runtime/task.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TMP = mkdtempSync(join(tmpdir(), 'handwire-prove-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: TMP });
}

const example = readFileSync(join(ROOT, 'examples', 'adder', 'adder-130p-nanogpt-sinpe11.hw'), 'utf8');

function writeVariant(name: string, from: string, to: string): string {
  if (!example.includes(from)) throw new Error(`the example no longer contains ${from}`);
  const path = join(TMP, name);
  writeFileSync(path, example.replace(from, to));
  return path;
}

describe.concurrent('handwire prove', () => {
  const broken = writeVariant('broken.hw', 'let theta = 2 pi / 11', 'let theta = 2 pi / 12');

  it('--json: a refuted variant gives status, a counterexample the runtime reproduces, and exit 1', async () => {
    const r = await cli(['prove', broken, '--dtype', 'float64', '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.status).toBe('refuted');
    expect(json.dtype).toBe('float64');
    for (const key of ['leaves', 'min_certified_margin', 'seconds', 'per_step', 'unknown']) expect(json).toHaveProperty(key);
    const { a, b, expected, got } = json.counterexample;
    expect(expected).toBe(a + b);
    // Reproduce it here, with our own session.
    const out = compileSource(readFileSync(broken, 'utf8'), { dtype: 'float64' });
    const { session } = await openSession(out.onnx!, { dtype: 'float64' });
    const decoded = await greedyDecode(session, [promptFor(out.model!.task!, { a, b })], out.model!.task!.decode);
    await session.release();
    expect(readAnswer(out.model!.task!, decoded.tokens[0]!)).toBe(got);
    expect(got).not.toBe(a + b);
    // The step named is the first whose token differs from the digit of a + b that it writes,
    // computed here from the sum's decimal digits and the task's answer order.
    const task = out.model!.task!;
    const tokens = decoded.tokens[0]!;
    const sumDigits = String(a + b).padStart(task.decode, '0').split('').map(Number); // most significant first
    const right = task.answer === 'lsb' ? [...sumDigits].reverse() : sumDigits;
    const firstWrong = tokens.findIndex((t, k) => t !== right[k]);
    expect(firstWrong).toBeGreaterThanOrEqual(0);
    const c = json.counterexample;
    expect(c.tokens).toEqual(tokens);
    expect(c.expected_tokens).toEqual(right);
    expect(c.step).toBe(firstWrong);
    expect(c.position).toBe(promptFor(task, { a, b }).length + firstWrong);
    expect(c.digit_place).toBe(task.answer === 'lsb' ? firstWrong : task.decode - 1 - firstWrong);
    expect(Number.isInteger(c.region_step)).toBe(true);
    // Every field printed is documented in docs/prove.md's JSON table.
    const doc = readFileSync(join(ROOT, 'docs', 'prove.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## JSON output'), doc.indexOf('## Extending'));
    for (const key of Object.keys(json)) expect(table, key).toMatch(new RegExp(`\`${key}\``));
    for (const key of Object.keys(c)) expect(table, key).toMatch(new RegExp(`\`(counterexample)?\\.${key}\``));
  });

  it('text: says REFUTED and prints the counterexample', async () => {
    const r = await cli(['prove', broken, '--dtype', 'float64']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/REFUTED/);
    expect(r.stdout).toMatch(/counterexample: a = \d+, b = \d+: expected \d+, got/);
    expect(r.stdout).toMatch(/first wrong token: decode step \d+ \(sequence position \d+, answer digit \d+\) gave \d+, expected \d+/);
  });

  it('refuses a model without a task (exit 2, one line); a task that is not addition is left to enumeration', async () => {
    const noTask = join(TMP, 'no-task.hw');
    // Without a task the model needs its context length spelled out.
    const withoutTask = example.slice(0, example.indexOf('  task addition')).replace(/^(\s*vocab\s+10)/m, '$1\n  context 32') + '}\n';
    writeFileSync(noTask, withoutTask);
    const r1 = await cli(['prove', noTask]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/no task/);
    const times = writeVariant('times.hw', 'expect a + b', 'expect a * b');
    const r2 = await cli(['prove', times]);
    // 10^20 operand pairs: over any enumeration budget, so UNKNOWN (exit 1) with the reason, and a
    // note naming why the affine prover does not apply.
    expect(r2.code).toBe(1);
    expect(r2.stdout).toMatch(/UNKNOWN: the domain has about 1.00e\+20 inputs, over the enumeration budget/);
    expect(r2.stdout).toMatch(/note: the affine prover does not apply \(.*a \* b/);
    expect(r2.stderr).not.toMatch(/at .*\.ts/); // no stack trace
  });

  it('the reverse task (`expect x`) is proved by the same prover: PROVED, exit 0, with --json', async () => {
    const r = await cli(['prove', join(ROOT, 'examples', 'tasks', 'reverse-13p-sinpe32.hw'), '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.status).toBe('proved');
    expect(json.dtype).toBe('float32');
    expect(json.per_step).toHaveLength(8);
    expect(json).not.toHaveProperty('method'); // not the enumeration path
  });

  it('--time-limit 5 on the 36p (whose proof takes far longer) ends UNKNOWN at the limit, exit 1', async () => {
    const started = performance.now();
    const r = await cli(['prove', join(ROOT, 'examples', 'adder', 'adder-36p-alibi-2layer.hw'), '--dtype', 'float64', '--time-limit', '5', '--json']);
    const wall = (performance.now() - started) / 1000;
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.status).toBe('unknown');
    expect(json.stopped.limit).toBe('time');
    // Seconds since the process started, at the moment it stopped: the limit plus at most the
    // time one graph node takes to bound (generous, for a loaded machine).
    expect(json.stopped.seconds).toBeGreaterThan(4);
    expect(json.stopped.seconds).toBeLessThan(9);
    expect(json.unknown.reason).toMatch(/time limit of 5 s/);
    // The steps it did not reach are undecided in full: at least all but the step it stopped in.
    expect(json.undecided_fraction).toBeGreaterThanOrEqual((json.per_step.length === 0 ? 11 : 10) / 11 - 1e-9);
    expect(json.notes.join('\n')).toMatch(/not examined/);
    expect(wall).toBeLessThan(30); // a very generous bound: the run used to overshoot by minutes
  });

  it('--max-memory below what the process needs ends UNKNOWN with the memory budget named, exit 1', async () => {
    const r = await cli(['prove', join(ROOT, 'examples', 'adder', 'adder-10p-rope19.hw'), '--dtype', 'float64', '--max-memory', '40M', '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.status).toBe('unknown');
    expect(json.stopped.limit).toBe('memory');
    expect(json.stopped.memory_bytes).toBeGreaterThan(40 * 2 ** 20);
    expect(json.peak_memory_bytes).toBeGreaterThanOrEqual(json.stopped.memory_bytes);
    expect(json.unknown.reason).toMatch(/memory budget of 40 MiB/);
  });

  it('--max-memory must be a size', async () => {
    for (const bad of ['lots', '0', '12X']) {
      const r = await cli(['prove', broken, '--max-memory', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--max-memory/);
    }
  });

  it('--time-limit must be a positive number', async () => {
    const r = await cli(['prove', broken, '--time-limit', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--time-limit/);
  });
});
