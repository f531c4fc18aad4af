// The import rules of src/ (scripts/check-architecture.ts): no cycles, no stage importing a later
// one. The first test is the CI gate; the others build small trees of .ts files and show that the
// checker fails on each kind of violation, so a clean result on src/ means something.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkArchitecture, HANDWIRE_STAGES, importSpecifiers, type Stage } from '../scripts/check-architecture.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('src/', () => {
  it('has no import cycles, no back-edges and no file outside the stage table', () => {
    expect(checkArchitecture(join(ROOT, 'src'))).toEqual([]);
  });
});

describe('the checker', () => {
  // A pipeline of three stages, as in src/: a leaf, then syntax, then check.
  const stages: Stage[] = [
    { name: 'shared', rank: 0, paths: ['diagnostics.ts'] },
    { name: 'syntax', rank: 1, paths: ['syntax/'] },
    { name: 'check', rank: 2, paths: ['check/'] },
  ];
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** A fresh tree of the given files (path → source). */
  function tree(files: Record<string, string>): string {
    dir = mkdtempSync(join(tmpdir(), 'hw-arch-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  const clean = {
    'diagnostics.ts': 'export interface Span { line: number }\n',
    'syntax/ast.ts': "import type { Span } from '../diagnostics.ts';\nexport interface Node { span: Span }\n",
    'syntax/parse.ts': "import type { Node } from './ast.ts';\nexport const parse = (): Node | undefined => undefined;\n",
    'check/check.ts': "import { parse } from '../syntax/parse.ts';\nimport { z } from 'node:zlib';\nexport const check = () => parse();\n",
  };

  it('passes a tree that follows the rules', () => {
    expect(checkArchitecture(tree(clean), stages)).toEqual([]);
  });

  it('fails on a deliberately added cycle inside one stage', () => {
    const root = tree({
      ...clean,
      'syntax/ast.ts': `${clean['syntax/ast.ts']}import { parse } from './parse.ts';\n`,
    });
    const v = checkArchitecture(root, stages);
    expect(v.map((x) => x.kind)).toEqual(['cycle']);
    expect(v[0].message).toMatch(/syntax\/ast\.ts → syntax\/parse\.ts → syntax\/ast\.ts/);
  });

  it('fails on a back-edge (an earlier stage importing a later one), and on the cycle it closes', () => {
    const root = tree({
      ...clean,
      'syntax/parse.ts': `${clean['syntax/parse.ts']}import { check } from '../check/check.ts';\n`,
    });
    const v = checkArchitecture(root, stages);
    expect(v.map((x) => x.kind).sort()).toEqual(['back-edge', 'cycle']);
    expect(v.find((x) => x.kind === 'back-edge')!.message).toBe('syntax/parse.ts (syntax) imports check/check.ts (check), a later stage');
  });

  it('fails on a back-edge that closes no cycle, and on a leaf importing a stage', () => {
    const root = tree({
      ...clean,
      'syntax/extra.ts': "export * from '../check/check.ts';\n",
      'diagnostics.ts': `import type { Node } from './syntax/ast.ts';\n${clean['diagnostics.ts']}`,
    });
    const v = checkArchitecture(root, stages);
    expect(v.map((x) => x.message).sort()).toEqual([
      'diagnostics.ts (shared) imports syntax/ast.ts (syntax), a later stage',
      'import cycle: diagnostics.ts → syntax/ast.ts → diagnostics.ts',
      'syntax/extra.ts (syntax) imports check/check.ts (check), a later stage',
    ]);
  });

  it('counts type-only imports, import() types and dynamic imports as edges', () => {
    for (const importing of [
      "import type { check } from '../check/check.ts';\n",
      "export type C = import('../check/check.ts').Check;\n",
      "export const load = () => import('../check/check.ts');\n",
    ]) {
      const root = tree({ ...clean, 'syntax/late.ts': importing });
      expect(checkArchitecture(root, stages).map((x) => x.kind), importing).toEqual(['back-edge']);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('fails on a file that belongs to no stage, and on an import of no file', () => {
    const root = tree({ ...clean, 'newstage/thing.ts': "import { gone } from './gone.ts';\n" });
    const v = checkArchitecture(root, stages);
    expect(v.map((x) => x.kind).sort()).toEqual(['unplaced', 'unresolved']);
  });

  it('reads multi-line imports and ignores package imports', () => {
    const text = "import {\n  a,\n  b,\n} from './x.ts';\nimport ts from 'typescript';\nexport { c } from \"../y.ts\";\n";
    expect(importSpecifiers(text)).toEqual(['./x.ts', 'typescript', '../y.ts']);
  });

  it('places every stage of the brief in pipeline order', () => {
    const rank = (name: string) => HANDWIRE_STAGES.find((s) => s.name === name)!.rank;
    const order = ['shared', 'syntax', 'check', 'ir', 'onnx', 'runtime', 'verify', 'prove', 'cli'];
    for (let i = 1; i < order.length; i++) expect(rank(order[i]), order[i]).toBeGreaterThan(rank(order[i - 1]));
    expect(rank('export')).toBeGreaterThan(rank('runtime'));
    expect(rank('inspect')).toBeGreaterThan(rank('runtime'));
  });
});
