// Every ```hw block in the docs is a complete model that must compile without errors, so the
// language reference and the tutorial cannot drift from the compiler.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile.ts';
import { verifyModel } from '../src/verify/verify-model.ts';

const DOCS = ['docs/language.md', 'docs/tutorial.md'];

function hwBlocks(path: string): { line: number; code: string }[] {
  let text: string;
  try {
    text = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
  } catch {
    return [];
  }
  const out: { line: number; code: string }[] = [];
  const re = /```hw\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ line: text.slice(0, m.index).split('\n').length, code: m[1] });
  }
  return out;
}

describe.each(DOCS)('%s', (path) => {
  const blocks = hwBlocks(path);
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });
  it.each(blocks.map((b) => [b.line, b.code] as const))('block at line %i compiles', async (_line, code) => {
    const out = compileSource(code);
    const errors = out.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
    expect(out.onnx).toBeDefined();
    // A token-string task in the docs is a circuit that must really do its task: every input of its
    // domain, in both dtypes.
    if (out.model?.stringTask) {
      for (const dtype of ['float32', 'float64'] as const) {
        const r = await verifyModel(out.model, { dtype, budget: 100_000 });
        expect(r.mode).toBe('exhaustive');
        expect(r.failures, `${dtype}`).toEqual([]);
      }
    }
  });
});
