// The typed CST (src/syntax/cst.generated.ts): the committed file is what scripts/gen-cst.ts makes
// from the current grammar, and the AST builder really is checked against it: the TypeScript
// compiler, run on cst-to-ast.ts with a changed copy of the types, reports the mismatch.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CST_FILE, cstDeclarations } from '../scripts/gen-cst.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILDER = join(ROOT, 'src/syntax/cst-to-ast.ts');

/** tsc's errors in cst-to-ast.ts when the generated types read `types` (the project's options). */
function builderErrors(types: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => (resolve(f) === CST_FILE ? types : readFile(f));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError) => (resolve(f) === CST_FILE ? ts.createSourceFile(f, types, lang) : getSourceFile(f, lang, onError));
  const program = ts.createProgram([BUILDER], config.options, host);
  return ts.getPreEmitDiagnostics(program)
    .filter((d) => d.file && resolve(d.file.fileName) === BUILDER)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** The committed types with one piece replaced; the piece must be there exactly once. */
function changed(from: string, to: string): string {
  const text = readFileSync(CST_FILE, 'utf8');
  expect(text.split(from).length - 1, from).toBe(1);
  return text.replace(from, to);
}

describe('src/syntax/cst.generated.ts', () => {
  it('is current: regenerating it from the grammar changes nothing (else run npm run gen:cst)', () => {
    expect(readFileSync(CST_FILE, 'utf8')).toBe(cstDeclarations());
  });

  it('the AST builder compiles against it', () => {
    expect(builderErrors(readFileSync(CST_FILE, 'utf8'))).toEqual([]);
  });

  it('tsc catches a renamed label, a removed child and an item rule the builder does not handle', () => {
    // The conditional's `then` label renamed in the grammar.
    const renamed = builderErrors(changed('  then?: ExprCstNode[];', '  thenBranch?: ExprCstNode[];'));
    expect(renamed.join('\n')).toMatch(/'then' does not exist/);
    // `let` no longer has a formula child.
    const removed = builderErrors(changed('  paramList?: ParamListCstNode[];\n  Equals: IToken[];\n  expr: ExprCstNode[];\n', '  paramList?: ParamListCstNode[];\n  Equals: IToken[];\n'));
    expect(removed.join('\n')).toMatch(/'expr' does not exist/);
    // A new kind of model item.
    const added = builderErrors(changed('  task?: TaskCstNode[];\n};', '  task?: TaskCstNode[];\n  macro?: MacroCstNode[];\n};\nexport interface MacroCstNode extends CstNode { name: "macro"; children: {} }'));
    expect(added.join('\n')).toMatch(/MacroCstNode.*not assignable to parameter of type 'never'/);
  });
});
