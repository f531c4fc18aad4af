// `handwire run` at and past a model's context, end to end with the real bin: the length-aware
// parity model (examples/zoo/parity.hw, context 1001) answers any shorter input, and an input longer
// than its context is one line on stderr and exit 2, before onnxruntime sees it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PARITY = join(ROOT, 'examples', 'zoo', 'parity.hw');
const TMP = mkdtempSync(join(tmpdir(), 'handwire-context-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** BOS then the bits, as the --tokens text. */
const prompt = (bits: number[]) => ['BOS', ...bits.map(String)].join(',');

describe.concurrent('handwire run and the context', () => {
  it('answers strings of several lengths with the one compiled model', async () => {
    const cases = [[1], [1, 1], [0, 1, 1, 1, 0], Array.from({ length: 999 }, (_, i) => (i % 3 === 0 ? 1 : 0))];
    for (const bits of cases) {
      const r = await runCli(['run', PARITY, '--tokens', prompt(bits), '--steps', '1', '--json'], { cwd: TMP });
      expect(r.code, r.stderr).toBe(0);
      const ones = bits.filter((b) => b === 1).length;
      expect(JSON.parse(r.stdout).generated, `${ones} ones`).toEqual([ones % 2]);
    }
  });

  it('the longest input that fits runs; one more token is one line and exit 2', async () => {
    const fits = await runCli(['run', PARITY, '--tokens', prompt(Array(1000).fill(1)), '--steps', '1', '--json'], { cwd: TMP });
    expect(fits.code, fits.stderr).toBe(0);
    expect(JSON.parse(fits.stdout).generated).toEqual([0]);

    const long = await runCli(['run', PARITY, '--tokens', prompt(Array(1001).fill(1)), '--steps', '1'], { cwd: TMP });
    expect(long.code).toBe(2);
    expect(long.stdout).toBe('');
    expect(long.stderr).toBe("handwire: 1002 prompt tokens and 1 steps would take 1002 positions, but the model's context is 1001\n");
  });

  it('counts the steps too: a prompt that fits but cannot be extended is refused the same way', async () => {
    const r = await runCli(['run', PARITY, '--tokens', prompt(Array(1000).fill(0)), '--steps', '2'], { cwd: TMP });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/would take 1002 positions, but the model's context is 1001/);
    expect(r.stderr).not.toMatch(/onnxruntime|Slice|Add node|internal error/i);
  });
});
