// The published package, as a user gets it: `npm pack`, then `npm install` of the tarball into an
// empty folder outside the repository (so nothing of the repo's node_modules can be borrowed), then
// the installed `handwire` verifying a shipped example. Also: the tarball holds only what users
// need, the install brings no development packages, and no npm command warns about our config.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

let scratch: string;
let tarball: string;
let packOutput: string;
let installOutput: string;

/** npm with the environment a user has: none of the npm_* variables of the npm running the tests. */
function npm(args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_'))), ...extraEnv };
  return run('npm', args, { cwd, env, maxBuffer: 64 << 20 });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'handwire-pack-'));
  // Pack from a copy of the tracked files: `npm pack` rebuilds dist/ (prepack), and the dist/ of the
  // checkout is in use by the other test files running at the same time. The copy borrows the
  // repo's node_modules only to build (esbuild, tsc); the install below never sees it.
  const copy = join(scratch, 'repo');
  const { stdout: tracked } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 << 20 });
  for (const file of tracked.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted but not yet committed
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(copy, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const packed = await npm(['pack', '--json', '--pack-destination', scratch], copy);
  packOutput = packed.stderr;
  const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(scratch, info[0]!.filename);
  writeFileSync(join(scratch, 'files.json'), JSON.stringify(info[0]!.files.map((f) => f.path)));
  const app = join(scratch, 'app');
  mkdirSync(app);
  // An empty folder, no package.json. onnxruntime-node's install script downloads CUDA libraries
  // (from outside the npm registry) unless told to skip them: README's install line tells it.
  const installed = await npm(['install', '--no-audit', '--no-fund', tarball], app, { ONNXRUNTIME_NODE_INSTALL: 'skip' });
  installOutput = installed.stdout + installed.stderr;
}, 600_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the built CLI, the grammar, the examples and the licences, and no sources, tests or scripts', () => {
    const files = JSON.parse(readFileSync(join(scratch, 'files.json'), 'utf8')) as string[];
    expect(files).toContain('bin/handwire.js');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/THIRD-PARTY-LICENSES.txt');
    expect(files).toContain('LICENSE');
    expect(files).toContain('examples/adder/adder-6p-rope19.hw');
    expect(files.some((f) => f.startsWith('grammar/'))).toBe(true);
    const stray = files.filter((f) => /^(src|test|bench|scripts|compiled|docs|node_modules)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(stray).toEqual([]);
  });

  it('installs into an empty folder with no warning about an unknown npm config', () => {
    expect(packOutput + installOutput).not.toMatch(/Unknown (project|user|global) config/);
  });

  it('brings no development packages', async () => {
    const { stdout } = await npm(['ls', '--all', '--json'], join(scratch, 'app'));
    const names = new Set<string>();
    const walk = (deps: Record<string, { dependencies?: Record<string, unknown> }> | undefined) => {
      for (const [name, d] of Object.entries(deps ?? {})) {
        names.add(name);
        walk(d.dependencies as never);
      }
    };
    walk((JSON.parse(stdout) as { dependencies: never }).dependencies);
    expect(names.has('handwire')).toBe(true);
    expect(names.has('onnxruntime-node')).toBe(true);
    expect(Object.keys(pkg.devDependencies).filter((d) => names.has(d))).toEqual([]);
  });

  it('runs: the installed handwire verifies a shipped example on the AdderBoard protocol', async () => {
    const app = join(scratch, 'app');
    const { stdout } = await run(join(app, 'node_modules', '.bin', 'handwire'), ['verify', 'node_modules/handwire/examples/adder/adder-6p-rope19.hw', '--json'], { cwd: app });
    const report = JSON.parse(stdout) as { total: number; passed: number };
    expect([report.passed, report.total]).toEqual([10_010, 10_010]);
    const version = await run(join(app, 'node_modules', '.bin', 'handwire'), ['--version'], { cwd: app });
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});
