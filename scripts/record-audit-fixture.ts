// Records the parameter audit of every shipped design (examples/**/*.hw) into
// test/fixtures/audit-before.json. The committed file was written by the audit as it was before
// the dependency log replaced nudging (issue #19): it is the "as before" reference that
// test/audit-fixture.test.ts holds the audit to. Rerun it only to record a deliberate change.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSource } from '../src/check/check-source.ts';
import { REPO_ROOT as root, shippedDesigns } from './shipped-designs.ts';

const out: Record<string, unknown> = {};
for (const name of shippedDesigns()) {
  const audit = checkSource(readFileSync(join(root, name), 'utf8')).model?.audit;
  if (!audit) throw new Error(`${name}: no audit`);
  const { params, ...rest } = audit;
  // Parameter values are the design's, not the audit's: kept out so the fixture stays small.
  out[name] = { ...rest, params: params.map(({ values: _values, ...p }) => p) };
}
writeFileSync(join(root, 'test/fixtures/audit-before.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`${Object.keys(out).length} designs`);
