// The import rules of src/, checked from the source: no import cycles, and no stage importing a
// later one. Run by test/architecture.test.ts (so CI fails on a new cycle or back-edge), or by hand:
//   npx tsx scripts/check-architecture.ts [root]
//
// Imports are read with the TypeScript compiler's parser (a dependency already), not with a regex:
// multi-line imports, `import type`, `export … from`, `import('…')` in types and dynamic `import()`
// are all edges. A type-only import is an edge too: it still couples the two modules, and a cycle of
// types is as hard to untangle as one of values. A dedicated tool (dependency-cruiser, madge) would
// add a dependency tree and a config file to express the same two rules as the table below.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One stage of the pipeline: the files it owns (a folder ending in `/`, or one file) and its rank.
 * A file may import its own stage and stages of a lower rank only; two stages of one rank are
 * independent of each other. */
export interface Stage {
  name: string;
  rank: number;
  paths: string[];
}

/** The pipeline's order: syntax → check → ir → onnx → runtime → verify → prove, the exports and
 * the inspector beside verify (both read a run model), the CLI and the library entry on top. The
 * shared leaves (diagnostics, limits, util) import no stage, so every stage may import them. */
export const HANDWIRE_STAGES: Stage[] = [
  { name: 'shared', rank: 0, paths: ['diagnostics.ts', 'diagnostics-help.ts', 'limits.ts', 'build-flags.ts', 'util/'] },
  { name: 'syntax', rank: 1, paths: ['syntax/'] },
  { name: 'check', rank: 2, paths: ['check/'] },
  { name: 'ir', rank: 3, paths: ['ir/'] },
  { name: 'onnx', rank: 4, paths: ['onnx/'] },
  // The pipeline function (source → ONNX bytes) ends at the ONNX stage.
  { name: 'pipeline', rank: 5, paths: ['compile.ts'] },
  { name: 'runtime', rank: 6, paths: ['runtime/'] },
  { name: 'verify', rank: 7, paths: ['verify/'] },
  { name: 'export', rank: 7, paths: ['python/'] },
  { name: 'inspect', rank: 7, paths: ['inspect/'] },
  // The prover in layers (src/prove/README.md): abstract values, the operations on them, the graph
  // evaluated on them, then the task specifications and the search over regions, the driver on top.
  // A file's stage is the first whose path matches, so the catch-all `prove/` comes after its layers.
  { name: 'prove-domains', rank: 8, paths: ['prove/domains/'] },
  { name: 'prove-ops', rank: 8.1, paths: ['prove/ops/'] },
  { name: 'prove-graph', rank: 8.2, paths: ['prove/graph/'] },
  { name: 'prove-specs', rank: 8.2, paths: ['prove/specs/'] },
  { name: 'prove-search', rank: 8.3, paths: ['prove/search/'] },
  { name: 'prove', rank: 8.4, paths: ['prove/'] },
  { name: 'cli', rank: 9, paths: ['cli/'] },
  { name: 'api', rank: 9, paths: ['index.ts'] },
];

export interface Violation {
  kind: 'cycle' | 'back-edge' | 'unplaced' | 'unresolved' | 'outside';
  message: string;
}

/** Every .ts file under `root` (relative, with `/`); a .d.ts too, since types couple modules. */
function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts')) out.push(relative(root, full).split(sep).join('/'));
    }
  };
  walk(root);
  return out;
}

/** The module specifiers a file imports, in source order. */
export function importSpecifiers(text: string, fileName = 'file.ts'): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      out.push(node.arguments[0].text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The file a relative specifier names (the project writes `.ts` extensions; `.js` and none are
 * accepted too), or undefined. */
function resolveSpecifier(fromFile: string, spec: string): string | undefined {
  const base = resolve(dirname(fromFile), spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c) && statSync(c).isFile());
}

/** File → the files under `root` it imports, plus imports that leave `root` or resolve to nothing. */
export function importGraph(root: string): { graph: Map<string, string[]>; problems: Violation[] } {
  const absRoot = resolve(root);
  const graph = new Map<string, string[]>();
  const problems: Violation[] = [];
  for (const file of sourceFiles(absRoot)) {
    const full = join(absRoot, file);
    const targets: string[] = [];
    for (const spec of importSpecifiers(readFileSync(full, 'utf8'), full)) {
      if (!spec.startsWith('.')) continue; // a package (or node:) import
      const target = resolveSpecifier(full, spec);
      if (!target) {
        problems.push({ kind: 'unresolved', message: `${file} imports ${spec}, which is no file` });
        continue;
      }
      const rel = relative(absRoot, target).split(sep).join('/');
      if (rel.startsWith('..')) {
        problems.push({ kind: 'outside', message: `${file} imports ${spec}, outside ${root}` });
        continue;
      }
      if (!targets.includes(rel)) targets.push(rel);
    }
    graph.set(file, targets);
  }
  return { graph, problems };
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return out;
}

/** One cycle through the files of a component, as a readable path `a → b → a`. */
function cyclePath(graph: Map<string, string[]>, component: string[]): string {
  const inside = new Set(component);
  const start = component[0];
  // Breadth-first from start back to start, inside the component: the shortest such loop.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = previous.get(u)!) path.unshift(u);
        path.unshift(start);
        return path.join(' → ');
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return component.join(', ');
}

export function stageOf(file: string, stages: Stage[]): Stage | undefined {
  return stages.find((s) => s.paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)));
}

/** Every violation of the rules under `root` (empty when the layout is clean). */
export function checkArchitecture(root: string, stages: Stage[] = HANDWIRE_STAGES): Violation[] {
  const { graph, problems } = importGraph(root);
  const out = [...problems];
  for (const file of graph.keys()) {
    if (!stageOf(file, stages)) out.push({ kind: 'unplaced', message: `${file} belongs to no stage: add it to the stage table in scripts/check-architecture.ts` });
  }
  for (const [file, targets] of graph) {
    const from = stageOf(file, stages);
    for (const target of targets) {
      const to = stageOf(target, stages);
      if (!from || !to || from === to || to.rank < from.rank) continue;
      const why = to.rank === from.rank ? 'a stage beside it' : 'a later stage';
      out.push({ kind: 'back-edge', message: `${file} (${from.name}) imports ${target} (${to.name}), ${why}` });
    }
  }
  for (const component of cycles(graph)) {
    // One loop is shown; the component can hold several, so all its files are named too.
    const files = component.length > 2 ? ` (${component.length} files in one cycle: ${component.join(', ')})` : '';
    out.push({ kind: 'cycle', message: `import cycle: ${cyclePath(graph, component)}${files}` });
  }
  return out;
}

const here = fileURLToPath(import.meta.url);
if (process.argv[1] && resolve(process.argv[1]) === here) {
  const root = process.argv[2] ?? join(dirname(here), '..', 'src');
  const violations = checkArchitecture(root);
  for (const v of violations) process.stderr.write(`${v.kind}: ${v.message}\n`);
  if (violations.length === 0) process.stdout.write(`${root}: no import cycles or back-edges\n`);
  process.exitCode = violations.length === 0 ? 0 : 1;
}
