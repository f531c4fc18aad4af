// The GPU bundle and its runner (scripts/gpu/, docs/cuda.md), on this GPU-less machine: pack.sh
// makes a bundle without the CUDA provider (xz level 0, for speed), and run.sh runs from a copy of
// scripts/gpu/ outside the repository (so no node_modules of ours can be borrowed), with a PATH
// that has neither node nor xz (the GPU machine has no Node.js and perhaps no xz: the bundled node
// and python's lzma must do), on a few cases. CUDA cannot load here, so the runner must fall back
// to CPU, say so, and still produce every report.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOOLS = ['bash', 'env', 'cat', 'date', 'mkdir', 'tee', 'uname', 'nproc', 'grep', 'cut', 'sed', 'find', 'sort', 'tr', 'du', 'rm', 'cmp', 'tar', 'sha256sum', 'ldd', 'timeout', 'dirname', 'ls', 'stat', 'head', 'tail', 'awk'];

let scratch: string;
let packOut: string;
let runOut: string;
let runLog: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'handwire-gpu-bundle-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  ({ stdout: packOut } = await run('bash', [join(ROOT, 'scripts/gpu/pack.sh'), '--out', join(scratch, 'bundle'), '--xz-level', '0'], { cwd: ROOT, env, maxBuffer: 16 << 20 }));

  // A PATH of the plain tools the runner uses, without node and xz; python3 is Debian's.
  const bin = join(scratch, 'bin');
  mkdirSync(bin);
  const { stdout: paths } = await run('bash', ['-c', `for t in ${TOOLS.join(' ')}; do PATH=/usr/bin:/bin command -v $t; done`]);
  paths.trim().split('\n').forEach((p, i) => symlinkSync(p, join(bin, TOOLS[i]!)));
  symlinkSync('/usr/bin/python3', join(bin, 'python3'));
  cpSync(join(ROOT, 'scripts/gpu'), join(scratch, 'repo/scripts/gpu'), { recursive: true });
  runOut = join(scratch, 'out');
  const cleanEnv = {
    PATH: bin, HOME: scratch, HW_PARTS: join(scratch, 'bundle/parts'), HW_WORK: join(scratch, 'work'),
    HW_QUICK: '1', HW_TESTS: '20', HW_COMPARE_CASES: '40', HW_SWEEP_CASES: '40', HW_SWEEP_BATCHES: '40',
  };
  await run(join(bin, 'env'), ['-i', ...Object.entries(cleanEnv).map(([k, v]) => `${k}=${v}`), 'bash', join(scratch, 'repo/scripts/gpu/run.sh'), runOut], { maxBuffer: 16 << 20 });
  runLog = readFileSync(join(runOut, 'run.log'), 'utf8');
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('scripts/gpu/pack.sh', () => {
  it('writes parts of at most 60 MiB with checksums, and prints the sizes', () => {
    const parts = readdirSync(join(scratch, 'bundle/parts'));
    expect(parts).toContain('SHA256SUMS');
    expect(parts.filter((p) => p.startsWith('base.tar.xz.')).length).toBeGreaterThan(0);
    expect(parts.some((p) => p.startsWith('provider.'))).toBe(false);
    for (const p of parts) expect(statSync(join(scratch, 'bundle/parts', p)).size).toBeLessThanOrEqual(60 * 1024 * 1024);
    expect(packOut).toMatch(/all parts \(what must reach the GPU machine\)\s+\d+/);
    expect(readFileSync(join(scratch, 'bundle/MANIFEST.txt'), 'utf8')).toMatch(/provider none/);
  });

  it('bundles only linux/x64 native files of onnxruntime-node and no development packages', () => {
    const modules = join(scratch, 'bundle/stage/base/app/node_modules');
    expect(readdirSync(join(modules, 'onnxruntime-node/bin/napi-v6'))).toEqual(['linux']);
    expect(readdirSync(join(modules, 'onnxruntime-node/bin/napi-v6/linux'))).toEqual(['x64']);
    for (const dev of ['vitest', 'esbuild', 'chevrotain', 'typescript']) expect(readdirSync(modules)).not.toContain(dev);
  });
});

describe('scripts/gpu/run.sh without CUDA, node or xz on PATH', () => {
  it('falls back to CPU and says so', () => {
    expect(runLog).toMatch(/CUDA could not be loaded/);
    expect(runLog).toMatch(/RESULT: CUDA could NOT be loaded; every "cuda" run above ran on CPU/);
  });

  it('verifies both designs with every case right', () => {
    for (const design of ['adder-6p-rope19', 'adder-130p-nanogpt-sinpe11']) {
      const r = JSON.parse(readFileSync(join(runOut, `verify-${design}.json`), 'utf8'));
      expect(r).toMatchObject({ model: design, device: 'cpu', total: 30, passed: 30 });
    }
  });

  it('writes the logit comparison and the sweep, marking the runs as CPU', () => {
    const compare = JSON.parse(readFileSync(join(runOut, 'compare.json'), 'utf8'));
    expect(compare.rows).toHaveLength(4);
    for (const row of compare.rows) expect(row).toMatchObject({ device: 'cpu', max_abs_diff: 0, argmax_disagreements: 0 });
    const sweep = JSON.parse(readFileSync(join(runOut, 'sweep.json'), 'utf8'));
    expect(sweep.rows.length).toBe(2 * 2 * 2 * 2); // designs × dtypes × devices × (incremental, full)
    for (const row of sweep.rows) expect(row.wrong).toBe(0);
    expect(sweep.rows.filter((r: { device: string; ran_on: string }) => r.device === 'cuda').every((r: { ran_on: string }) => r.ran_on === 'cpu')).toBe(true);
    expect(readdirSync(runOut).length).toBeLessThanOrEqual(8); // what a device call brings back
  });
});
