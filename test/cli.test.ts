// The `handwire` command line, end to end: the real bin (node bin/handwire.js) in child processes,
// on real files in a temporary directory, with models loaded by the real onnxruntime-node.
// Expected values come from the source text and the design specs (docs/designs/), never
// from the code under test. Every test spawns processes, so the tests run concurrently.

import { runCli, type CliResult } from './helpers/cli.ts';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE_10P = join(ROOT, 'examples', 'adder', 'adder-10p-rope19.hw');
const EXAMPLE_130P = join(ROOT, 'examples', 'adder', 'adder-130p-nanogpt-sinpe11.hw');
const TMP = mkdtempSync(join(tmpdir(), 'handwire-cli-'));

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Runs the real CLI (test/helpers/cli.ts), by default in this file's temp folder. */
function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return runCli(args, { cwd: opts.cwd ?? TMP, env: opts.env });
}

/** Digits of n, least significant first, exactly `count` of them. */
function digitsLsb(n: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor(n / 10 ** i) % 10);
}

// At ORT's default optimisation level SiLU is fused into QuickGelu, which has only a float32 kernel,
// so float64 models are loaded the way the runtime loads them (stack-notes: float64 traps).
const FLOAT64_SESSION: InferenceSession.SessionOptions = { graphOptimizationLevel: 'basic' };

const STACK_FRAME = /^\s+at .+[:(]/m;

describe.concurrent('handwire CLI', () => {
  it('checks both examples clean (exit 0)', async () => {
    for (const file of [EXAMPLE_10P, EXAMPLE_130P]) {
      const r = await cli(['check', file]);
      expect(r.stderr).toBe('');
      expect(r.stdout).not.toMatch(/\berror\b/);
      expect(r.code, r.stdout).toBe(0);
    }
  });

  // A copy of the 10p example with two misspelled names in two different lines.
  const badSource = readFileSync(EXAMPLE_10P, 'utf8')
    .replace('param wv  = -22 K /', 'param wv  = -22 Kx /')
    .replace('-(K / sqrt(2)) / 50', '-(Kzz / sqrt(2)) / 50');
  const badFile = join(TMP, 'two-errors.hw');
  writeFileSync(badFile, badSource);
  /** 1-based line and column of the first occurrence of `needle`, from the source text alone. */
  const positionOf = (needle: string) => {
    const offset = badSource.indexOf(needle);
    const before = badSource.slice(0, offset);
    const line = before.split('\n').length;
    return { line, col: offset - before.lastIndexOf('\n'), text: badSource.split('\n')[line - 1]! };
  };
  const misspelled = [
    { name: 'Kx', ...positionOf('Kx /') },
    { name: 'Kzz', ...positionOf('Kzz /') },
  ];

  it('reports two errors in one run, each with line:col and a caret under the name', async () => {
    expect(misspelled[0]!.line).not.toBe(misspelled[1]!.line);
    const r = await cli(['check', 'two-errors.hw']);
    expect(r.code).toBe(1);
    const out = r.stdout.split('\n');
    for (const m of misspelled) {
      const header = out.findIndex((l) => l.startsWith(`two-errors.hw:${m.line}:${m.col}: error HW`));
      expect(header, `no error at ${m.line}:${m.col} in\n${r.stdout}`).toBeGreaterThanOrEqual(0);
      expect(out[header]).toContain(m.name);
      // The quoted source line, then the caret line under it: '^' at the name's first column and
      // '~' for the rest of its width, at the same offset into the line as in the quote.
      const quoted = out[header + 1]!;
      expect(quoted.endsWith(m.text)).toBe(true);
      const indent = quoted.length - m.text.length;
      const caret = out[header + 2]!;
      const marks = '^' + '~'.repeat(m.name.length - 1);
      expect(caret.indexOf('^')).toBe(indent + m.col - 1);
      expect(caret.slice(indent + m.col - 1).trimEnd()).toBe(marks);
    }
    expect(r.stdout).not.toMatch(STACK_FRAME);
  });

  it('check --json gives the same errors as data', async () => {
    const r = await cli(['check', badFile, '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { file: string; diagnostics: Array<Record<string, unknown>> };
    expect(json.file).toBe(badFile);
    const errors = json.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.line, d.col, d.endLine, d.endCol])).toEqual(
      misspelled.map((m) => [m.line, m.col, m.line, m.col + m.name.length - 1]),
    );
    for (const d of json.diagnostics) {
      expect(Object.keys(d).sort()).toEqual(['code', 'col', 'endCol', 'endLine', 'hint', 'line', 'message', 'related', 'severity']);
      expect(d.code).toMatch(/^HW\d{3}$/);
    }
  });

  it('compile writes <basename>.onnx here by default, and onnxruntime runs it', async () => {
    const dir = mkdtempSync(join(TMP, 'compile-'));
    const r = await cli(['compile', EXAMPLE_10P], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = join(dir, 'adder-10p-rope19.onnx');
    const size = statSync(out).size;
    expect(r.stdout).toBe(`wrote adder-10p-rope19.onnx (${size} bytes, 10 parameters, float32)\n`);
    expect(readdirSync(dir)).toEqual(['adder-10p-rope19.onnx']); // no temporary file left behind
    const session = await InferenceSession.create(out);
    const prompt = [0, ...digitsLsb(123, 10), ...Array(9).fill(0), ...digitsLsb(456, 10), 0];
    const result = await session.run({ input_ids: new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]) });
    expect(result['logits']!.dims).toEqual([1, prompt.length, 10]);
    expect(result['logits']!.type).toBe('float32');
  });

  it('compile -o --dtype float64 writes a float64 model where asked', async () => {
    const out = join(TMP, 'out', 'ten.onnx');
    mkdirSync(dirname(out), { recursive: true });
    const r = await cli(['compile', EXAMPLE_10P, '-o', out, '--dtype', 'float64']);
    expect(r.code, r.stderr).toBe(0);
    const session = await InferenceSession.create(out, FLOAT64_SESSION);
    const result = await session.run({ input_ids: new Tensor('int64', BigInt64Array.from([0n, 1n, 2n]), [1, 3]) });
    expect(result['logits']!.type).toBe('float64');
  });

  it('run --a 123 --b 456 adds on the 10p example', async () => {
    const r = await cli(['run', EXAMPLE_10P, '--a', '123', '--b', '456']);
    expect(r.code, r.stderr).toBe(0);
    const field = (name: string) => new RegExp(`^${name}\\s+(.*)$`, 'm').exec(r.stdout)?.[1];
    expect(field('answer')).toBe(String(123 + 456));
    expect(field('expected')).toMatch(new RegExp(`^${123 + 456}\\b`));
    expect(field('match')).toBe('yes');
    // The prompt the spec describes: 0, a (lsb first, 10 digits), nine 0s, b likewise, 0.
    const prompt = [0, ...digitsLsb(123, 10), ...Array(9).fill(0), ...digitsLsb(456, 10), 0];
    expect(field('prompt')).toMatch(new RegExp(`^${prompt.join(' ')}\\s`));
    expect(field('generated')).toMatch(new RegExp(`^${digitsLsb(579, 11).join(' ')}\\s`));
  });

  it('run --tokens decodes a raw prompt and still knows the expected answer', async () => {
    const [a, b] = [9_876_543_210, 1_234_567_899];
    // The 130p prompt (its spec): a msb first, 0, b msb first, 0; the sum comes out lsb first.
    const prompt = [...digitsLsb(a, 10).reverse(), 0, ...digitsLsb(b, 10).reverse(), 0];
    const r = await cli(['run', EXAMPLE_130P, '--tokens', prompt.join(','), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.prompt).toEqual(prompt);
    expect(json.generated).toEqual(digitsLsb(a + b, 11));
    expect(json.answer).toBe(a + b);
    expect(json.expected).toBe(a + b);
    expect(json.operands).toEqual({ a, b });
    expect(json.match).toBe(true);
    expect(json.margins).toHaveLength(11);
  });

  it('run --steps N generates N tokens; an answer cut short is a mismatch (exit 1)', async () => {
    const r = await cli(['run', EXAMPLE_10P, '--a', '123', '--b', '456', '--steps', '2', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.generated).toEqual(digitsLsb(579, 2));
    expect(json.answer).toBe(579 % 100);
    expect(json.expected).toBe(579);
    expect(json.match).toBe(false);
  });

  it('params counts 10 for the 10p and 130 for the 130p (the specs’ totals)', async () => {
    const [ten, big] = await Promise.all([cli(['params', EXAMPLE_10P]), cli(['params', EXAMPLE_130P, '--json'])]);
    expect(ten.code, ten.stderr).toBe(0);
    expect(ten.stdout).toMatch(/^AdderBoard count: 10 /m);
    // Spec table: emb 2, wq 2, wv 1, G 2, C 1, n 2 (name, shape, count, line, …).
    for (const [name, count] of [['emb', 2], ['wq', 2], ['wv', 1], ['G', 2], ['C', 1], ['n', 2]] as const) {
      expect(ten.stdout).toMatch(new RegExp(`^${name}\\s+\\S+\\s+${count}\\s+\\d+\\s`, 'm'));
    }
    expect(big.code, big.stderr).toBe(0);
    const json = JSON.parse(big.stdout);
    expect(json.total).toBe(130);
    const cAttn = json.params.find((p: { name: string }) => p.name === 'c_attn');
    expect(cAttn).toMatchObject({ shape: [12, 4], count: 48 });
  });

  it('build-examples writes compiled/, --check passes, then flags missing and changed files', async () => {
    const repo = mkdtempSync(join(TMP, 'repo-'));
    // Two folders, to see that examples/ is searched recursively.
    mkdirSync(join(repo, 'examples', 'adder'), { recursive: true });
    mkdirSync(join(repo, 'examples', 'more'));
    cpSync(EXAMPLE_10P, join(repo, 'examples', 'adder', 'adder-10p-rope19.hw'));
    cpSync(EXAMPLE_130P, join(repo, 'examples', 'more', 'adder-130p-nanogpt-sinpe11.hw'));
    const built = await cli(['build-examples'], { cwd: repo });
    expect(built.code, built.stdout + built.stderr).toBe(0);
    // Both examples name float32, so each also gets a float64 build.
    const expected = ['adder-10p-rope19.f64.onnx', 'adder-10p-rope19.onnx', 'adder-130p-nanogpt-sinpe11.f64.onnx', 'adder-130p-nanogpt-sinpe11.onnx'];
    expect(readdirSync(join(repo, 'compiled')).sort()).toEqual(expected);
    expect(built.stdout.split('\n').filter((l) => l.startsWith('wrote '))).toHaveLength(4);
    const f64 = await InferenceSession.create(join(repo, 'compiled', 'adder-130p-nanogpt-sinpe11.f64.onnx'), FLOAT64_SESSION);
    const logits = (await f64.run({ input_ids: new Tensor('int64', BigInt64Array.from([1n, 2n]), [1, 2]) }))['logits']!;
    expect(logits.type).toBe('float64');

    const clean = await cli(['build-examples', '--check'], { cwd: repo });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);

    rmSync(join(repo, 'compiled', 'adder-10p-rope19.onnx'));
    const changed = join(repo, 'compiled', 'adder-130p-nanogpt-sinpe11.f64.onnx');
    const bytes = readFileSync(changed);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(changed, bytes);
    const stale = await cli(['build-examples', '--check'], { cwd: repo });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/^missing\s+compiled\/adder-10p-rope19\.onnx/m);
    expect(stale.stdout).toMatch(/^differs\s+compiled\/adder-130p-nanogpt-sinpe11\.f64\.onnx/m);
    expect(stale.stdout).toMatch(/^ok\s+compiled\/adder-130p-nanogpt-sinpe11\.onnx/m);
    expect(existsSync(join(repo, 'compiled', 'adder-10p-rope19.onnx'))).toBe(false); // --check writes nothing
  });

  it('a missing file is one line on stderr and exit 2, without a stack trace', async () => {
    const r = await cli(['check', 'no-such-file.hw']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no-such-file.hw');
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('a bad option value is a usage error (exit 2), not a model error', async () => {
    const r = await cli(['compile', EXAMPLE_10P, '--dtype', 'float16']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('float16');
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });
});
