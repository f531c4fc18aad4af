// The TextMate grammar, run by the engine VS Code uses (vscode-textmate + vscode-oniguruma): every
// example and every docs block is tokenized line by line, and no visible character may be left
// with only the file's root scope (untokenized text).
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

const require = createRequire(import.meta.url);
const root = new URL('../', import.meta.url);

async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => {
      if (scopeName !== 'source.handwire') return null;
      const text = readFileSync(new URL('grammar/handwire.tmLanguage.json', root), 'utf8');
      return vsctm.parseRawGrammar(text, 'handwire.tmLanguage.json');
    },
  });
  const grammar = await registry.loadGrammar('source.handwire');
  if (!grammar) throw new Error('grammar did not load');
  return grammar;
}

function sources(): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of ['examples/adder', 'examples/tasks']) {
    for (const f of readdirSync(new URL(dir + '/', root))) {
      if (f.endsWith('.hw')) out.push([`${dir}/${f}`, readFileSync(new URL(`${dir}/${f}`, root), 'utf8')]);
    }
  }
  for (const doc of ['docs/language.md', 'docs/tutorial.md']) {
    const text = readFileSync(new URL(doc, root), 'utf8');
    let i = 0;
    for (const m of text.matchAll(/```hw\n([\s\S]*?)```/g)) out.push([`${doc} block ${++i}`, m[1]!]);
  }
  return out;
}

describe('TextMate grammar under vscode-textmate', () => {
  it.each(sources())('tokenizes all of %s', async (_name, text) => {
    const grammar = await loadGrammar();
    let state = vsctm.INITIAL;
    const untokenized: string[] = [];
    text.split('\n').forEach((line, n) => {
      const r = grammar.tokenizeLine(line, state);
      for (const t of r.tokens) {
        const piece = line.slice(t.startIndex, t.endIndex);
        if (t.scopes.length === 1 && piece.trim() !== '') untokenized.push(`${n + 1}:${t.startIndex + 1} ${JSON.stringify(piece)}`);
      }
      state = r.ruleStack;
    });
    expect(untokenized).toEqual([]);
  });

  it('gives keywords, numbers, comments and parameter names their scopes', async () => {
    const grammar = await loadGrammar();
    const scopesOf = (line: string, piece: string) => {
      const r = grammar.tokenizeLine(line, vsctm.INITIAL);
      const start = line.indexOf(piece);
      return r.tokens.find((t) => t.startIndex <= start && start < t.endIndex)!.scopes.join(' ');
    };
    const line = 'param wq = [cos(phi), 1e-6]   # query';
    expect(scopesOf(line, 'param')).toMatch(/storage\.type|keyword/);
    expect(scopesOf(line, 'wq')).toMatch(/entity|variable/);
    expect(scopesOf(line, '1e-6')).toMatch(/constant\.numeric/);
    expect(scopesOf(line, '# query')).toMatch(/comment/);
  });
});
