// Records the parameter audit of every shipped design (examples/**/*.hw) into
// test/fixtures/audit-before.json. The committed file was written by the audit as it was before
// the dependency log replaced nudging (issue #19): it is the "as before" reference that
// test/audit-fixture.test.ts holds the audit to. Rerun it only to record a deliberate change.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSource } from '../src/check/check-source.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function designs(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? designs(p) : n.endsWith('.hw') ? [p] : [];
    });
}

const out: Record<string, unknown> = {};
for (const file of designs(join(root, 'examples'))) {
  const name = relative(root, file).replaceAll('\\', '/');
  const audit = checkSource(readFileSync(file, 'utf8')).model?.audit;
  if (!audit) throw new Error(`${name}: no audit`);
  const { params, ...rest } = audit;
  // Parameter values are the design's, not the audit's: kept out so the fixture stays small.
  out[name] = { ...rest, params: params.map(({ values: _values, ...p }) => p) };
}
writeFileSync(join(root, 'test/fixtures/audit-before.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`${Object.keys(out).length} designs`);
