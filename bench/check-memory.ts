// Where `check` of a large source keeps its memory (issue #21): the live heap (after a full
// garbage collection) once the source is read, once it is parsed (the AST), and while the checked
// model and the AST are both alive, for the generated 10 MB `let` source of bench/check-large.ts.
// Run: node --expose-gc --import tsx bench/check-memory.ts [bytes]
import { parse } from '../src/syntax/parse.ts';
import { checkModel } from '../src/check/check-model.ts';
import { manyLets } from './large-source.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/check-memory.ts');
const bytes = Number(process.argv[2] ?? 10_000_000);

function live(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const source = manyLets(bytes);
const lines = source.split('\n').length;
const base = live();
const parsed = parse(source);
const afterParse = live();
if (!parsed.ast) throw new Error('the generated source does not parse');
const checked = checkModel(parsed.ast, source, {});
if (checked.diagnostics.length > 0) throw new Error(`generated source has diagnostics: ${checked.diagnostics[0]!.message}`);
const afterCheck = live();
const lets = parsed.ast.decls.length;
const kb = (mb: number) => ((mb * 2 ** 20) / lets).toFixed(0);
console.log(`source ${(source.length / 1e6).toFixed(1)} MB, ${lines} lines, ${lets} declarations; node ${process.version}`);
console.log(`live heap: source read ${base.toFixed(0)} MB; + AST ${(afterParse - base).toFixed(0)} MB (${kb(afterParse - base)} bytes per declaration); + checked model ${(afterCheck - afterParse).toFixed(0)} MB (${kb(afterCheck - afterParse)} bytes per declaration); total ${afterCheck.toFixed(0)} MB`);
(globalThis as { keep?: unknown }).keep = [parsed, checked];
