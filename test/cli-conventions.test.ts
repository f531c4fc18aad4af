// The CLI conventions every command follows (issue #15): --json on every command, positional inputs
// (export takes several files), --version, the exit codes in --help, and an index of commands that
// lets each start load only the command it runs. The real bin in child processes, on real files.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_INDEX, commandNamed } from '../src/cli/command-index.ts';
import { runCli, type CliResult } from './helpers/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ADDERS = join(ROOT, 'examples', 'adder');
const TEN = join(ADDERS, 'adder-10p-rope19.hw');
const SIX = join(ADDERS, 'adder-6p-rope19.hw');
const TMP = mkdtempSync(join(tmpdir(), 'handwire-conventions-'));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const cli = (args: string[], cwd = TMP): Promise<CliResult> => runCli(args, { cwd });
const json = (r: CliResult) => JSON.parse(r.stdout) as Record<string, unknown>;

describe('the command index', () => {
  it('lists each command with the summary and arguments its module registers', async () => {
    for (const [name, entry] of Object.entries(COMMAND_INDEX)) {
      const program = new Command();
      (await entry.load())(program);
      const command = program.commands.find((c) => c.name() === name);
      expect(command, name).toBeDefined();
      expect(command!.description(), name).toBe(entry.summary);
      const args = command!.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`)).join(' ');
      expect(args.replace(/^\[(.*)\]$/, '<$1>'), name).toBe(entry.args);
    }
  });

  it('finds the command after global options and after `help`', () => {
    expect(commandNamed(['check', 'x.hw'])).toBe('check');
    expect(commandNamed(['--no-color', 'verify'])).toBe('verify');
    expect(commandNamed(['help', 'prove'])).toBe('prove');
    expect(commandNamed(['--help'])).toBeUndefined();
    expect(commandNamed(['nonsense'])).toBeUndefined();
  });
});

describe.concurrent('conventions of every command', () => {
  it('--version prints the package version', async () => {
    const r = await cli(['--version']);
    expect([r.code, r.stdout.trim()]).toEqual([0, PKG.version]);
  });

  it('--help lists every command and the exit codes; each command help has them too', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const name of Object.keys(COMMAND_INDEX)) expect(top.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(top.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*\n\s+2 /);
    const verify = await cli(['verify', '--help']);
    expect(verify.stdout).toContain('--compare-dtypes');
    expect(verify.stdout).toContain('Exit codes:');
  });

  it('an unknown command is a usage error (exit 2) that suggests the right one', async () => {
    const r = await cli(['verfy', TEN]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('verify');
  });

  it('compile --json describes the file it wrote', async () => {
    const dir = mkdtempSync(join(TMP, 'compile-'));
    const r = await cli(['compile', TEN, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out).toEqual({ file: TEN, output: 'adder-10p-rope19.onnx', bytes: statSync(join(dir, 'adder-10p-rope19.onnx')).size, parameters: 10, dtype: 'float32' });
  });

  it('compile --json of a file with errors gives the diagnostics as data, exit 1', async () => {
    const bad = join(TMP, 'bad.hw');
    writeFileSync(bad, readFileSync(TEN, 'utf8').replace('let omega = 2 pi / 19', 'let omega = 2 pi / nineteen'));
    const r = await cli(['compile', bad, '--json']);
    expect(r.code).toBe(1);
    const out = json(r) as { diagnostics: Array<{ code: string; line: number }> };
    expect(out.diagnostics.map((d) => d.code)).toContain('HW010');
  });

  it('export takes several files, writes importable module names into -o DIR, and --json lists them', async () => {
    const dir = mkdtempSync(join(TMP, 'export-'));
    const r = await cli(['export', TEN, SIX, '-o', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['adder_10p_rope19.py', 'adder_6p_rope19.py']);
    const out = json(r) as { exports: Array<{ file: string; output: string; parameters: number }> };
    expect(out.exports.map((e) => [e.file, e.output, e.parameters])).toEqual([
      [TEN, join(dir, 'adder_10p_rope19.py'), 10],
      [SIX, join(dir, 'adder_6p_rope19.py'), 6],
    ]);
  });

  it('export of several files to one .py file is refused before anything is written', async () => {
    const dir = mkdtempSync(join(TMP, 'export-one-'));
    const r = await cli(['export', TEN, SIX, '-o', join(dir, 'both.py')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/names one file, but 2 designs/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('export with no file is a usage error', async () => {
    const r = await cli(['export']);
    expect(r.code).toBe(2);
  });

  it('inspect --json names the page and the answer it shows', async () => {
    const dir = mkdtempSync(join(TMP, 'inspect-'));
    const r = await cli(['inspect', TEN, '--a', '123', '--b', '456', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r) as { output: string; answer: number; expected: number; bytes: number };
    expect([out.output, out.answer, out.expected]).toEqual(['adder-10p-rope19.html', 579, 579]);
    expect(out.bytes).toBe(statSync(join(dir, 'adder-10p-rope19.html')).size);
  });

  it('inspect --json with --compare and --ablate reports both runs and each ablation', async () => {
    const dir = mkdtempSync(join(TMP, 'inspect-'));
    const r = await cli(['inspect', TEN, '--a', '123', '--b', '456', '--compare', 'a=1000,b=2345', '--ablate', 'layer0.0', '--ablate', 'digit', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r) as { answer: number; compare: { answer: number; expected: number }; ablations: { target: string; generated: number[] }[] };
    expect(out.answer).toBe(579);
    expect([out.compare.answer, out.compare.expected]).toEqual([3345, 3345]);
    expect(out.ablations.map((a) => [a.target, a.generated.length])).toEqual([['layer0.attn head 0', 11], ['channel digit', 11]]);
  });

  it.each([
    [['--ablate', 'layer0.3'], /--ablate layer0.3: layer0.attn has 1 head/],
    [['--ablate', 'sum'], /--ablate sum: not a head .* nor a residual channel/],
    [['--compare', 'a=1,b=99999999999'], /--compare: input `b` = 99999999999 has more than 10 base-10 digits/],
  ])('inspect %j is one line on stderr, no page', async (args, message) => {
    const dir = mkdtempSync(join(TMP, 'inspect-'));
    const r = await cli(['inspect', TEN, '--a', '1', '--b', '2', ...args], dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('build-examples --check --json reports every compiled file', async () => {
    const r = await cli(['build-examples', '--check', '--json'], ROOT);
    expect(r.code, r.stdout).toBe(0);
    const out = json(r) as { ok: boolean; files: Array<{ path: string; status: string }> };
    expect(out.ok).toBe(true);
    const onnx = readdirSync(join(ROOT, 'compiled')).filter((f) => f.endsWith('.onnx'));
    expect(out.files.map((f) => f.path).sort()).toEqual(onnx.map((f) => join('compiled', f)).sort());
    expect(new Set(out.files.map((f) => f.status))).toEqual(new Set(['ok']));
  });

  it('every command accepts --json', async () => {
    for (const [name, entry] of Object.entries(COMMAND_INDEX)) {
      const program = new Command();
      (await entry.load())(program);
      const options = program.commands[0]!.options.map((o) => o.long);
      expect(options, name).toContain('--json');
    }
  });
});
