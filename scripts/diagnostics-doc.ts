// Writes docs/diagnostics.md from the catalogue in src/diagnostics-help.ts (npm run
// docs:diagnostics). test/diagnostics-help.test.ts fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { diagnosticsMarkdown } from '../src/diagnostics-help.ts';

const file = fileURLToPath(new URL('../docs/diagnostics.md', import.meta.url));
writeFileSync(file, diagnosticsMarkdown());
process.stdout.write(`wrote ${file}\n`);
