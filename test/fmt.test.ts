// `handwire fmt` (issue #19): the canonical layout, written out by hand for a messy model; formatting
// twice changes nothing; seeded random whitespace, blank lines and comments added to every example
// leave the program the same (its AST, spans left out) and every comment in the output; and the
// command itself on real files: --check, atomic rewriting, parse errors with file:line:col.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSource } from '../src/syntax/format.ts';
import { parse } from '../src/syntax/parse.ts';
import { handwireLexer } from '../src/syntax/tokens.ts';
import { mulberry32 } from '../src/util/rng.ts';
import { shippedDesigns } from '../scripts/shipped-designs.ts';
import { BIN, runCli } from './helpers/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = shippedDesigns();
const TMP = mkdtempSync(join(tmpdir(), 'handwire-fmt-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function format(source: string): string {
  const { text, diagnostics } = formatSource(source);
  expect(diagnostics).toEqual([]);
  return text!;
}

/** The AST with every span left out: what the program means, not where it was written. */
function astOf(source: string): unknown {
  const { ast, diagnostics } = parse(source);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    const isSpan = 'offset' in v && 'endOffset' in v && 'line' in v;
    if (isSpan) return undefined;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]).filter(([, x]) => x !== undefined));
  };
  return strip(ast);
}

/** Comments in source order, read with a scan of my own: a `#` outside a string runs to the line's end. */
function commentsOf(source: string): string[] {
  const out: string[] = [];
  for (const line of source.split('\n')) {
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (inString && c === '\\') i++;
      else if (c === '"') inString = !inString;
      else if (c === '#' && !inString) {
        out.push(line.slice(i).trimEnd());
        break;
      }
    }
  }
  return out;
}

describe('the canonical layout', () => {
  it('puts a messy model in the layout docs/language.md describes', () => {
    const messy = [
      '# header comment',
      'model demo{',
      'vocab 10',
      '   residual [tok,acc]   # channels',
      ' dtype float64',
      '',
      '',
      '  let omega=2 pi/19 # turn',
      '  let phi = 10.3omega',
      '  param w = [ 1 , -2,3 ]',
      '  param M=[',
      '      [1,  -1],',
      '    [ -10, 100 ]',
      '  ]',
      '  embed E[d]=[d, d^ 2 ]',
      '  let turned = R(1) [1, 0]',
      '  let first = w[0]',
      '  layer {',
      '',
      '    attention {',
      '      heads 1,dim 1',
      '      q = [ tok ]',
      '      k = [tok]',
      '      v=[acc]',
      '      scale -1',
      '      bias(h,i,j)= i>=j ? 0 : -inf',
      '      write acc+=out[0]',
      '    }',
      '',
      '  }',
      '  head = [ 2 d acc - d ^ 2 for d in 0 .. 9 ]',
      '}',
    ].join('\n');
    const canonical = [
      '# header comment',
      'model demo {',
      '  vocab    10',
      '  residual [tok, acc]  # channels',
      '  dtype    float64',
      '',
      '  let omega = 2 pi / 19  # turn',
      '  let phi   = 10.3 omega',
      '  param w   = [1, -2, 3]',
      '  param M   = [',
      '    [  1,  -1],',
      '    [-10, 100]',
      '  ]',
      '  embed E[d] = [d, d^2]',
      '  let turned = R(1) [1, 0]',
      '  let first  = w[0]',
      '  layer {',
      '    attention {',
      '      heads 1, dim 1',
      '      q = [tok]',
      '      k = [tok]',
      '      v = [acc]',
      '      scale -1',
      '      bias(h, i, j) = i >= j ? 0 : -inf',
      '      write acc += out[0]',
      '    }',
      '  }',
      '  head = [2 d acc - d^2 for d in 0..9]',
      '}',
      '',
    ].join('\n');
    expect(format(messy)).toBe(canonical);
    expect(format(canonical)).toBe(canonical);
  });

  it('keeps line breaks inside formulas and lines a continuation up after its bracket', () => {
    const source = 'model m {\n  vocab 2\n  residual [a,\n b]\n  let x = concat([1,\n2],\n         [3])\n  head = [a, b]\n}\n';
    expect(format(source)).toBe(
      'model m {\n  vocab    2\n  residual [a,\n            b]\n  let x = concat([1,\n                  2],\n                 [3])\n  head = [a, b]\n}\n',
    );
  });

  it('keeps a comment before a closing brace inside the block, and one after the model', () => {
    const source = 'model m {\nvocab 2\nresidual [a]\n# last words\n}\n   # trailer   \n';
    expect(format(source)).toBe('model m {\n  vocab    2\n  residual [a]\n  # last words\n}\n# trailer\n');
  });

  it('writes signs, empty blocks and one-line blocks as math and as the grammar reads them', () => {
    const source = 'model m {\n  vocab 2\n  residual [a]\n  let x = - - 1 + +2 - -3 ^ - 2 * ( -4 )\n  let y = not x and not(x)\n  layer{ }\n  layer { attention { scale -1;bias(h,i,j)=-i } }\n  head = [a, a]\n}\n';
    expect(format(source)).toBe(
      'model m {\n  vocab    2\n  residual [a]\n  let x = - -1 + +2 - -3^-2 * (-4)\n  let y = not x and not (x)\n  layer {}\n  layer { attention { scale -1; bias(h, i, j) = -i } }\n  head = [a, a]\n}\n',
    );
  });

  it('refuses a file that does not parse, with the parser\'s diagnostics', () => {
    const { text, diagnostics } = formatSource('model m {\n  vocab 10 +\n}\n');
    expect(text).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.col])).toEqual([['HW002', 2, 12]]);
  });
});

describe('every example', () => {
  it.each(EXAMPLES)('%s: formatting twice is formatting once, and the program and comments stay', (path) => {
    const source = read(path);
    const once = format(source);
    expect(format(once)).toBe(once);
    expect(astOf(once)).toEqual(astOf(source));
    expect(commentsOf(once)).toEqual(commentsOf(source));
  });
});

/** `source` with its layout shuffled by a seeded generator: the spaces between tokens on a line,
 * the indentation and the spaces at line ends. With `extras`, also blank lines and new comments
 * (own-line and end-of-line) where a line break already is. Never a line break between two tokens
 * that had none, a space before a `[` or `(` that touched its token, or a token run into a word. */
function shuffleLayout(source: string, seed: number, extras: boolean): string {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const blanks = () => [' ', '  ', '\t', '   ', ' \t '][pick(5)]!;
  let fresh = 0;
  const newComment = () => `# fuzz ${seed}-${fresh++}`;
  const tokens = handwireLexer.tokenize(source).tokens;
  let out = '';
  let end = 0;
  const gapAt = (gap: string, nextImage: string | undefined): string => {
    const segments = gap.split('\n');
    if (segments.length === 1) {
      if (gap === '' && (nextImage === '[' || nextImage === '(' || out === '')) return '';
      return gap === '' ? (pick(2) === 0 ? '' : blanks()) : blanks();
    }
    const rebuilt: string[] = [];
    segments.forEach((segment, i) => {
      const hash = segment.indexOf('#');
      const comment = hash < 0 ? '' : segment.slice(hash);
      const last = i === segments.length - 1;
      if (last && nextImage !== undefined) {
        rebuilt.push(pick(3) === 0 ? '' : blanks());
        return;
      }
      const own = i > 0 || out === '';
      let text = (own ? (pick(2) === 0 ? '' : blanks()) : blanks()) + comment;
      if (extras && comment === '' && pick(4) === 0) text += newComment();
      rebuilt.push(text + (pick(3) === 0 ? blanks() : ''));
      if (extras && !last && pick(5) === 0) rebuilt.push(pick(2) === 0 ? '' : `${blanks()}${newComment()}`);
    });
    return rebuilt.join('\n');
  };
  for (const t of tokens) {
    out += gapAt(source.slice(end, t.startOffset), t.image) + t.image;
    end = t.startOffset + t.image.length;
  }
  return out + gapAt(source.slice(end), undefined);
}

describe('formatting shuffled examples', () => {
  const SEEDS = [1, 2, 3, 4, 5];
  it.each(EXAMPLES)('%s: shuffled spaces give the same text as the example formatted', (path) => {
    const source = read(path);
    const expected = format(source);
    for (const seed of SEEDS) {
      const shuffled = shuffleLayout(source, seed, false);
      expect(shuffled).not.toBe(source);
      expect(format(shuffled), `seed ${seed}`).toBe(expected);
    }
  });

  it.each(EXAMPLES)('%s: with blank lines and comments added, the AST and every comment stay', (path) => {
    const source = read(path);
    const ast = astOf(source);
    for (const seed of SEEDS) {
      const shuffled = shuffleLayout(source, 100 + seed, true);
      const formatted = format(shuffled);
      expect(astOf(shuffled), `seed ${seed}: the shuffle itself kept the program`).toEqual(ast);
      expect(astOf(formatted), `seed ${seed}`).toEqual(ast);
      expect(commentsOf(formatted), `seed ${seed}`).toEqual(commentsOf(shuffled).map((c) => c.trimEnd()));
      expect(commentsOf(formatted).filter((c) => c.startsWith('# fuzz')).length).toBeGreaterThan(0);
      expect(format(formatted), `seed ${seed}: idempotent`).toBe(formatted);
    }
  });
});

describe('handwire fmt', () => {
  const UGLY = 'model m {\nvocab 2\n   residual [a,b]\n  head = [ a, b ]   # logits\n}\n';
  const PRETTY = 'model m {\n  vocab    2\n  residual [a, b]\n  head = [a, b]  # logits\n}\n';

  it('--check lists what would change and exits 1 without writing; fmt rewrites; then --check passes', async () => {
    const dir = join(TMP, 'check');
    mkdirSync(join(dir, 'nested'), { recursive: true });
    writeFileSync(join(dir, 'nested', 'ugly.hw'), UGLY);
    writeFileSync(join(dir, 'pretty.hw'), PRETTY);
    const check = await runCli(['fmt', '--check', '.'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toBe(`would reformat ${join('nested', 'ugly.hw')}\n`);
    expect(readFileSync(join(dir, 'nested', 'ugly.hw'), 'utf8')).toBe(UGLY);

    const write = await runCli(['fmt', '.'], { cwd: dir });
    expect(write.code).toBe(0);
    expect(write.stdout).toBe(`formatted ${join('nested', 'ugly.hw')}\n`);
    expect(readFileSync(join(dir, 'nested', 'ugly.hw'), 'utf8')).toBe(PRETTY);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['ugly.hw']);

    const again = await runCli(['fmt', '--check', '.', '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as { files: Array<{ file: string; changed: boolean }>; changed: number };
    expect(report.changed).toBe(0);
    expect(report.files.map((f) => f.file).sort()).toEqual([join('nested', 'ugly.hw'), 'pretty.hw']);
  });

  it('leaves a file that does not parse as it was and exits 2 with file:line:col and a caret', async () => {
    const dir = join(TMP, 'bad');
    mkdirSync(dir, { recursive: true });
    const bad = 'model m {\n  vocab 10 +\n}\n';
    writeFileSync(join(dir, 'bad.hw'), bad);
    writeFileSync(join(dir, 'ugly.hw'), UGLY);
    const r = await runCli(['fmt', 'bad.hw', 'ugly.hw'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.hw:2:12: error HW002');
    expect(r.stderr).toMatch(/\n\s+\| {12}\^\n/);
    expect(readFileSync(join(dir, 'bad.hw'), 'utf8')).toBe(bad);
    expect(readFileSync(join(dir, 'ugly.hw'), 'utf8')).toBe(PRETTY);
  });

  it('- formats stdin to stdout; a parse error there is reported as <stdin>:line:col, exit 2', () => {
    const run = (input: string, ...args: string[]) =>
      spawnSync(process.execPath, [BIN, 'fmt', '-', ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const ok = run(UGLY);
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, PRETTY, '']);
    expect(run(UGLY, '--check').status).toBe(1);
    expect(run(PRETTY, '--check').status).toBe(0);
    const bad = run('model m {\n  vocab 10 +\n}\n');
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('<stdin>:2:12: error HW002');
  });

  it('a missing file is a usage error (exit 2, one line)', async () => {
    const r = await runCli(['fmt', 'no-such.hw'], { cwd: TMP });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('handwire: cannot read no-such.hw: no such file or directory\n');
  });
});
