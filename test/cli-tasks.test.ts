// The CLI on token-string tasks, end to end: the real bin in child processes on real files, the
// majority circuit (examples/zoo/majority.hw) and a broken copy. Expected counts are computed here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAJORITY = join(ROOT, 'examples/zoo/majority.hw');
const TMP = mkdtempSync(join(tmpdir(), 'handwire-tasks-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const cli = (args: string[]) => runCli(args, { cwd: TMP });

const source = readFileSync(MAJORITY, 'utf8');
const BROKEN = join(TMP, 'broken.hw');
writeFileSync(BROKEN, source.replace('param bias = -0.5', 'param bias = 0.5'));
// Ties (answered wrongly by the broken copy): even lengths 2..12 with as many ones as zeros.
const binom = (n: number, k: number): number => (k === 0 ? 1 : (binom(n, k - 1) * (n - k + 1)) / k);
const TIES = [2, 4, 6, 8, 10, 12].reduce((s, n) => s + binom(n, n / 2), 0);
const STACK_FRAME = /^\s+at .+[:(]/m;

describe.concurrent('token-string tasks on the command line', () => {
  it('verify: exhaustive over all 8,190 strings, exit 0; the broken copy exits 1 and shows failures', async () => {
    const ok = await cli(['verify', MAJORITY]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Domain: strings of length 1..12 over 0 1: all 8,190 checked (exhaustive)');
    expect(ok.stdout).toContain('Exact match: 8,190/8,190 (100%)');
    const bad = await cli(['verify', BROKEN, '--json']);
    expect(bad.code).toBe(1);
    const r = JSON.parse(bad.stdout);
    expect(r).toMatchObject({ mode: 'exhaustive', cases: 8190, passed: 8190 - TIES });
    expect(r.failures[0]).toEqual({ input: '"0 1"', expected: '0', got: '1', firstWrong: 0 });
    const text = await cli(['verify', BROKEN]);
    expect(text.stdout).toContain(`First failures (10 of ${TIES.toLocaleString('en-US')}):`);
  });

  it('verify --compare-dtypes runs both builds; digit-only options are refused (exit 2, one line)', async () => {
    const both = await cli(['verify', MAJORITY, '--compare-dtypes', '--json']);
    expect(both.code).toBe(0);
    expect(JSON.parse(both.stdout).reports.map((r: { dtype: string; passed: number }) => [r.dtype, r.passed])).toEqual([['float32', 8190], ['float64', 8190]]);
    for (const args of [['--tests', '5'], ['--carry-chains'], ['--exhaustive-digits', '2']]) {
      const r = await cli(['verify', MAJORITY, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('is for digit tasks');
    }
  });

  it('verify --dataset reads plain and gzipped files; a malformed line stops it with file:line:col (exit 1)', async () => {
    const lines = ['0 -> 0', '1 1 0 -> 1', 'IN: 0 1 0 OUT: 0', '1 0 -> 0'];
    writeFileSync(join(TMP, 'maj.txt'), lines.join('\n'));
    writeFileSync(join(TMP, 'maj.txt.gz'), gzipSync(lines.join('\n')));
    for (const f of ['maj.txt', 'maj.txt.gz']) {
      const r = await cli(['verify', MAJORITY, '--dataset', f, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'dataset', cases: 4, passed: 4, domain: `the 4 lines of ${f}` });
    }
    writeFileSync(join(TMP, 'bad.txt'), '0 -> 0\n1 1 1 1 1 1 1 1 1 1 1 1 1 -> 1\n0 x -> 0\n');
    const bad = await cli(['verify', MAJORITY, '--dataset', 'bad.txt']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('bad.txt:2:1: error HW027: the input has 13 tokens; the task takes 1..12');
    expect(bad.stderr).toContain("bad.txt:3:3: error HW027: unknown input token 'x'");
    expect(bad.stderr).not.toMatch(STACK_FRAME);
    const missing = await cli(['verify', MAJORITY, '--dataset', 'nope.txt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read dataset nope.txt');
  });

  it('prove: PROVED by enumeration (exit 0); REFUTED with the first failing string (exit 1)', async () => {
    const ok = await cli(['prove', MAJORITY, '--dtype', 'float64']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('majority (float64): PROVED by enumeration: the right answer on all 8,190 inputs');
    const bad = await cli(['prove', BROKEN, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ status: 'refuted', method: 'enumeration', counterexample: { input: '"0 1"', expected: '0', got: '1' } });
    const small = await cli(['prove', MAJORITY, '--budget', '10']);
    expect(small.code).toBe(1);
    expect(small.stdout).toContain('UNKNOWN: the domain has 8,190 inputs, over the enumeration budget of 10');
  });

  it('run FILE "bits" prints the answer and the right one; a bad input is one line, exit 2', async () => {
    const r = await cli(['run', MAJORITY, '1 0 1 1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^prompt\s+BOS 1 0 1 1 {3}\(5 tokens\)$/m);
    expect(r.stdout).toMatch(/^answer\s+1$/m);
    expect(r.stdout).toMatch(/^match\s+yes$/m);
    const tie = await cli(['run', BROKEN, '01', '--json']);
    expect(tie.code).toBe(1);
    expect(JSON.parse(tie.stdout)).toMatchObject({ prompt: 'BOS 0 1', answer: '1', expected: '0', match: false });
    for (const [input, words] of [['0 2', "'2' is not in the alphabet"], ['1111111111111', 'has 13 tokens; the task takes 1..12']]) {
      const e = await cli(['run', MAJORITY, input!]);
      expect(e.code).toBe(2);
      expect(e.stderr.trim().split('\n')).toEqual([expect.stringContaining(words!)]);
    }
    const digits = await cli(['run', MAJORITY, '--a', '5']);
    expect(digits.code).toBe(2);
  });

  it('SCAN: a split verified against its data file, one command run, bad commands refused', async () => {
    const scan = join(ROOT, 'examples/scan/scan.hw');
    const split = join(ROOT, 'examples/scan/data/tasks_test_addprim_turn_left.txt.gz');
    const r = await cli(['verify', scan, '--dataset', split, '--json']);
    expect(r.code).toBe(0);
    // The split's size, from the data file itself.
    const lines = gunzipSync(readFileSync(split)).toString('utf8').split('\n').filter((l) => l.trim() !== '');
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'dataset', cases: lines.length, passed: lines.length });
    const one = await cli(['run', scan, 'jump twice after walk left']);
    expect(one.code).toBe(0);
    // "X after Y" runs Y first: walk left = turn left, walk; then jump twice.
    expect(one.stdout).toMatch(/^answer\s+I_TURN_LEFT I_WALK I_JUMP I_JUMP$/m);
    expect(one.stdout).toMatch(/^match\s+yes$/m);
    const bad = await cli(['run', scan, 'jump quickly']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'quickly' is not in the alphabet of input `cmd`");
    writeFileSync(join(TMP, 'scan-bad.txt'), 'IN: jump OUT: I_JUMP\nIN: walk walk walk walk walk walk walk walk walk walk OUT: I_WALK\nIN: jump OUT: I_HOP\n');
    const data = await cli(['verify', scan, '--dataset', 'scan-bad.txt']);
    expect(data.code).toBe(1);
    expect(data.stderr).toContain('scan-bad.txt:2:1: error HW027: the input has 10 tokens; the task takes 1..9');
    expect(data.stderr).toContain("scan-bad.txt:3:15: error HW027: unknown output token 'I_HOP'");
  });
});
