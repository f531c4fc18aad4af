// The shipped designs: every examples/**/*.hw, as repository-relative paths with forward slashes,
// sorted. One list for the audit fixture (scripts/record-audit-fixture.ts), the tests that hold
// every design to it (test/audit-fixture.test.ts) and the formatter's tests (test/fmt.test.ts), so a
// new example cannot be in one list and missing from another.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function shippedDesigns(root = REPO_ROOT): string[] {
  return readdirSync(join(root, 'examples'), { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('.hw'))
    .map((p) => `examples/${p.replaceAll('\\', '/')}`)
    .sort();
}
