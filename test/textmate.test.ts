// The TextMate grammar (grammar/handwire.tmLanguage.json) and the VS Code extension manifest around
// it (grammar/vscode/).
//
// Editors run TextMate grammars with Oniguruma regexes through vscode-textmate. Those two packages
// (vscode-textmate, vscode-oniguruma) are not dependencies of this project yet, so this file checks
// what plain JavaScript can: the JSON loads, every include resolves, every regex written in the
// syntax JavaScript shares with Oniguruma compiles, and a small line tokenizer written here (first
// match wins by position, then by order, as in TextMate; begin/end regions on one line) gives the
// scopes we expect on real example lines. It approximates vscode-textmate; a test with the real
// engine needs those two devDependencies.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { handwireLexer, KEYWORDS } from '../src/syntax/tokens.ts';
import { parse } from '../src/syntax/parse.ts';
import type { LayerAst, RepeatAst } from '../src/syntax/ast.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GRAMMAR_PATH = join(ROOT, 'grammar', 'handwire.tmLanguage.json');
const VSCODE = join(ROOT, 'grammar', 'vscode');

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  while?: string;
  include?: string;
  captures?: Record<string, { name: string }>;
  beginCaptures?: Record<string, { name: string }>;
  endCaptures?: Record<string, { name: string }>;
  patterns?: Rule[];
}

interface Grammar {
  name: string;
  scopeName: string;
  patterns: Rule[];
  repository: Record<string, Rule>;
}

const grammar = JSON.parse(readFileSync(GRAMMAR_PATH, 'utf8')) as Grammar;

/** Every rule in the grammar, nested ones included. */
function allRules(): Rule[] {
  const out: Rule[] = [];
  const visit = (r: Rule) => {
    out.push(r);
    r.patterns?.forEach(visit);
  };
  grammar.patterns.forEach(visit);
  Object.values(grammar.repository).forEach(visit);
  return out;
}

/** Oniguruma constructs JavaScript lacks (or reads differently): such a regex is not compiled here. */
const ONIGURUMA_ONLY = /\\[AGzZhH]|\(\?>|\(\?[imx]+[):]|[*+?}][+]|\\p\{|\\k<|\(\?~/;

function regexesOf(r: Rule): string[] {
  return [r.match, r.begin, r.end, r.while].filter((x): x is string => x !== undefined);
}

// ---- a small one-line tokenizer, enough to check scopes ----

interface Token {
  text: string;
  scope: string;
}

/** Top-level rules in order, with includes and pattern groups expanded. */
function expand(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => {
    if (r.include) return expand([grammar.repository[r.include.slice(1)]]);
    if (!r.match && !r.begin) return expand(r.patterns ?? []);
    return [r];
  });
}

const TOP = expand(grammar.patterns);

function firstMatch(rules: Rule[], line: string, pos: number, pick: (r: Rule) => string | undefined) {
  let best: { rule: Rule; m: RegExpExecArray } | undefined;
  for (const rule of rules) {
    const source = pick(rule);
    if (source === undefined) continue;
    const re = new RegExp(source, 'gd');
    re.lastIndex = pos;
    const m = re.exec(line);
    if (m && (!best || m.index < best.m.index)) best = { rule, m };
  }
  return best;
}

function tokenizeLine(line: string): Token[] {
  const out: Token[] = [];
  const push = (from: number, to: number, scope: string) => {
    if (to > from) out.push({ text: line.slice(from, to), scope });
  };
  let pos = 0;
  while (pos < line.length) {
    const found = firstMatch(TOP, line, pos, (r) => r.match ?? r.begin);
    if (!found || found.m[0].length === 0) {
      push(pos, line.length, '');
      break;
    }
    const { rule, m } = found;
    push(pos, m.index, '');
    const start = m.index;
    let stop = start + m[0].length;
    if (rule.begin) {
      // Skip over inner matches (escapes) until the end pattern matches, or the line ends.
      const inner = expand(rule.patterns ?? []);
      for (;;) {
        const end = firstMatch([rule], line, stop, (r) => r.end);
        const nested = firstMatch(inner, line, stop, (r) => r.match);
        if (nested && nested.m[0].length > 0 && (!end || nested.m.index < end.m.index)) {
          stop = nested.m.index + nested.m[0].length;
          continue;
        }
        stop = end ? end.m.index + end.m[0].length : line.length;
        break;
      }
      push(start, stop, rule.name ?? '');
    } else if (rule.captures) {
      let at = start;
      const groups = Object.keys(rule.captures).map(Number).sort((a, b) => a - b);
      for (const g of groups) {
        const span = m.indices?.[g];
        if (!span) continue;
        push(at, span[0], rule.name ?? '');
        push(span[0], span[1], rule.captures[String(g)].name);
        at = span[1];
      }
      push(at, stop, rule.name ?? '');
    } else {
      push(start, stop, rule.name ?? '');
    }
    pos = stop;
  }
  return out;
}

/** The scope of the nth token whose text is exactly `text`. */
function scopeOf(line: string, text: string, nth = 0): string {
  const tokens = tokenizeLine(line);
  expect(tokens.map((t) => t.text).join('')).toBe(line);
  const matching = tokens.filter((t) => t.text === text);
  if (!matching[nth]) throw new Error(`no token ${JSON.stringify(text)} in ${JSON.stringify(tokens)}`);
  return matching[nth].scope;
}

const EXAMPLES = join(ROOT, 'examples');
const exampleFiles = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.hw'));
const readExample = (f: string) => readFileSync(join(EXAMPLES, f), 'utf8');
const lineOf = (src: string, needle: string) => {
  const line = src.split('\n').find((l) => l.includes(needle));
  if (!line) throw new Error(`no line with ${needle}`);
  return line;
};

describe('the TextMate grammar file', () => {
  it('loads as JSON with a name, a scope and top-level patterns', () => {
    expect(grammar.name).toBe('handwire');
    expect(grammar.scopeName).toBe('source.handwire');
    expect(grammar.patterns.length).toBeGreaterThan(0);
  });

  it('every include names a repository entry, and every entry is used', () => {
    const used = new Set<string>();
    for (const r of allRules()) {
      if (r.include === undefined) continue;
      expect(r.include.startsWith('#'), r.include).toBe(true);
      expect(grammar.repository, r.include).toHaveProperty(r.include.slice(1));
      used.add(r.include.slice(1));
    }
    expect([...used].sort()).toEqual(Object.keys(grammar.repository).sort());
  });

  it('every regex in JavaScript-compatible syntax compiles', () => {
    let compiled = 0;
    for (const r of allRules()) {
      for (const source of regexesOf(r)) {
        if (ONIGURUMA_ONLY.test(source)) continue;
        expect(() => new RegExp(source), source).not.toThrow();
        compiled++;
      }
    }
    expect(compiled).toBeGreaterThan(20);
  });

  it('every scope name ends in .handwire', () => {
    const names = allRules().flatMap((r) => [r.name, ...Object.values({ ...r.captures, ...r.beginCaptures, ...r.endCaptures }).map((c) => c.name)]);
    for (const n of names) if (n !== undefined) expect(n).toMatch(/^[a-z0-9-]+(\.[a-z0-9_-]+)*\.handwire$/);
  });
});

describe('scopes on example lines (approximate tokenizer, see the header)', () => {
  const src10 = readExample(join('adder', 'adder-10p-rope19.hw'));
  const src130 = readExample(join('adder', 'adder-130p-nanogpt-sinpe11.hw'));

  it('comments, strings and the model name', () => {
    const header = src10.split('\n')[0];
    expect(scopeOf(header, header)).toBe('comment.line.number-sign.handwire');
    const name = lineOf(src10, 'name   "adder-10p-rope19"');
    expect(scopeOf(name, '"adder-10p-rope19"')).toBe('string.quoted.double.handwire');
    expect(scopeOf('tricks ["a \\" b", "c"]', '"a \\" b"')).toBe('string.quoted.double.handwire');
    const model = lineOf(src10, 'model adder_10p_rope19');
    expect(scopeOf(model, 'model')).toBe('keyword.other.item.handwire');
    expect(scopeOf(model, 'adder_10p_rope19')).toBe('entity.name.type.model.handwire');
  });

  it('`param NAME` and `let NAME` declare entity names; a `let f(p)` declares a function', () => {
    const g = lineOf(src10, 'param G ');
    expect(scopeOf(g, 'param')).toBe('storage.type.param.handwire');
    expect(scopeOf(g, 'G')).toBe('entity.name.variable.param.handwire');
    expect(scopeOf(g, 'sqrt')).toBe('support.function.builtin.handwire');
    expect(scopeOf(g, '256')).toBe('constant.numeric.handwire');
    const omega = lineOf(src10, 'let omega');
    expect(scopeOf(omega, 'omega')).toBe('entity.name.variable.let.handwire');
    expect(scopeOf(omega, 'pi')).toBe('constant.language.handwire');
    expect(scopeOf(omega, '/')).toBe('keyword.operator.arithmetic.handwire');
    expect(scopeOf(omega, '# one RoPE turn per 19 positions')).toBe('comment.line.number-sign.handwire');
    const r = lineOf(src130, 'let R(p)');
    expect(scopeOf(r, 'R')).toBe('entity.name.function.handwire');
    expect(scopeOf(r, '<=')).toBe('keyword.operator.comparison.handwire');
    expect(scopeOf(r, '?')).toBe('keyword.operator.ternary.handwire');
  });

  it('block settings, norms, numbers with exponents', () => {
    const heads = lineOf(src10, 'heads 1, dim 2');
    expect(scopeOf(heads, 'heads')).toBe('support.type.property-name.setting.handwire');
    expect(scopeOf(heads, 'dim')).toBe('support.type.property-name.setting.handwire');
    const pre = lineOf(src10, 'pre rms(eps: 1e-6)');
    expect(scopeOf(pre, 'pre')).toBe('support.type.property-name.setting.handwire');
    expect(scopeOf(pre, 'rms')).toBe('support.function.builtin.handwire');
    expect(scopeOf(pre, '1e-6')).toBe('constant.numeric.handwire');
    const act = lineOf(src10, 'act silu');
    expect(scopeOf(act, 'silu')).toBe('support.constant.handwire');
    // A setting name elsewhere than at the start of a setting is an ordinary name (a variable).
    expect(scopeOf('  param p = [q, k]', 'q')).toBe('variable.other.handwire');
  });

  it('writes, comprehensions, ranges and keywords', () => {
    const write = lineOf(src10, 'write digit += C (h[1] - h[0])');
    expect(scopeOf(write, 'write')).toBe('keyword.other.write.handwire');
    expect(scopeOf(write, '+=')).toBe('keyword.operator.assignment.compound.handwire');
    expect(scopeOf(write, 'h')).toBe('variable.language.handwire');
    const wte = lineOf(src130, 'param wte_A');
    expect(scopeOf(wte, 'for')).toBe('keyword.control.for.handwire');
    expect(scopeOf(wte, 'in')).toBe('keyword.control.for.handwire');
    expect(scopeOf(wte, '0')).toBe('constant.numeric.handwire');
    expect(scopeOf(wte, '..')).toBe('keyword.operator.range.handwire');
    expect(scopeOf(wte, '9')).toBe('constant.numeric.handwire');
    const head = lineOf(src10, 'head tied E');
    expect(scopeOf(head, 'head')).toBe('keyword.other.item.handwire');
    expect(scopeOf(head, 'tied')).toBe('support.constant.handwire');
  });

  it('every keyword of tokens.ts is a keyword (or a declaration word)', () => {
    for (const k of KEYWORDS) {
      const word = String(k.PATTERN).replace(/^\/|\\b\/$/g, '');
      expect(scopeOf(`(${word})`, word), word).toMatch(/^(keyword|storage\.type)\./);
    }
  });

  it('every setting name the examples use is a setting at the start of a line', () => {
    const names = new Set<string>();
    for (const f of exampleFiles) {
      const ast = parse(readExample(f)).ast!;
      const layers = ast.body.flatMap((b) => ('count' in b ? (b as RepeatAst).layers : [b as LayerAst]));
      for (const l of layers) for (const c of l.components) for (const s of c.settings) names.add(s.name.name);
      for (const s of ast.task?.settings ?? []) names.add(s.name.name);
    }
    expect(names.size).toBeGreaterThan(10);
    for (const n of names) expect(scopeOf(`      ${n} x`, n), n).toBe('support.type.property-name.setting.handwire');
  });

  it('every number the lexer reads in the examples is one numeric token; malformed numbers are marked', () => {
    const numbers = new Set<string>();
    for (const f of exampleFiles) {
      for (const t of handwireLexer.tokenize(readExample(f)).tokens) if (t.tokenType.name === 'NumberLit') numbers.add(t.image);
    }
    expect(numbers.size).toBeGreaterThan(20);
    for (const n of numbers) expect(scopeOf(`x = [${n}]`, n), n).toBe('constant.numeric.handwire');
    for (const bad of ['1e', '1.2.3', '2exp']) expect(scopeOf(`x = ${bad}`, bad), bad).toBe('invalid.illegal.number.handwire');
  });
});

describe('the VS Code extension', () => {
  const manifest = JSON.parse(readFileSync(join(VSCODE, 'package.json'), 'utf8'));

  it('contributes the language handwire for .hw files, with its configuration', () => {
    const lang = manifest.contributes.languages.find((l: { id: string }) => l.id === 'handwire');
    expect(lang.extensions).toEqual(['.hw']);
    const configPath = resolve(VSCODE, lang.configuration);
    expect(existsSync(configPath)).toBe(true);
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    expect(config.comments.lineComment).toBe('#');
    expect(config.brackets).toEqual([['{', '}'], ['[', ']'], ['(', ')']]);
    expect(() => new RegExp(config.wordPattern)).not.toThrow();
    expect(manifest.engines.vscode).toMatch(/^\^\d+\.\d+\.\d+$/);
  });

  it('contributes the grammar file, under its scope name', () => {
    const g = manifest.contributes.grammars.find((x: { language: string }) => x.language === 'handwire');
    expect(g.scopeName).toBe(grammar.scopeName);
    expect(resolve(VSCODE, g.path)).toBe(GRAMMAR_PATH);
  });
});
