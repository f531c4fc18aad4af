// `handwire build-examples [--check]`: compiles every examples/**/*.hw (relative to the current
// directory, normally the repository root) to compiled/<name>.onnx in the dtype the file names,
// plus compiled/<name>.f64.onnx for float32 files (the float64 build shows the design's margins
// without float32 rounding). With --check nothing is written: the command exits 1 listing every
// compiled file that is missing, differs from a fresh build, or has no example behind it, so CI
// can tell when someone changed an example without rebuilding.
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { compileFileOrReport } from '../load.ts';
import { isDirectory, readBytesIfPresent, UserError, writeFileAtomic } from '../io.ts';

const EXAMPLES_DIR = 'examples';
const OUT_DIR = 'compiled';

export function registerBuildExamples(program: Command): void {
  program
    .command('build-examples')
    .description(`compile every ${EXAMPLES_DIR}/**/*.hw to ${OUT_DIR}/ (run from the repository root)`)
    .option('--check', `write nothing; exit 1 if any file in ${OUT_DIR}/ is missing or out of date`)
    .option('--json', 'print {files: [{path, status, dtype, bytes, source}], failed, orphans, ok} as JSON instead of lines')
    .action((opts: { check?: boolean; json?: boolean }) => buildExamples(opts.check === true, opts.json === true));
}

interface Target {
  source: string;
  path: string;
  bytes: Uint8Array;
  dtype: string;
}

function buildExamples(checkOnly: boolean, json: boolean): void {
  // In JSON mode the lines are collected into one object printed at the end.
  const files: { path: string; status: string; dtype: string; bytes: number; source: string }[] = [];
  const say = (line: string) => {
    if (!json) process.stdout.write(line);
  };
  if (!isDirectory(EXAMPLES_DIR)) throw new UserError(`no ${EXAMPLES_DIR}/ folder in ${process.cwd()}: run build-examples from the repository root`);
  const sources = findSources(EXAMPLES_DIR);
  refuseNameClashes(sources);

  const failedSources: string[] = [];
  const targets: Target[] = [];
  for (const source of sources) {
    const built = compileFileOrReport(source);
    if (!built) {
      failedSources.push(source);
      say(`failed   ${source}\n`);
      continue;
    }
    const name = basename(source, '.hw');
    targets.push({ source, path: join(OUT_DIR, `${name}.onnx`), bytes: built.onnx, dtype: built.dtype });
    if (built.dtype === 'float32') {
      const f64 = compileFileOrReport(source, 'float64');
      if (!f64) {
        failedSources.push(source);
        continue;
      }
      targets.push({ source, path: join(OUT_DIR, `${name}.f64.onnx`), bytes: f64.onnx, dtype: 'float64' });
    }
  }

  if (!checkOnly) mkdirSync(OUT_DIR, { recursive: true });
  const stale: string[] = [];
  for (const t of targets) {
    const existing = readBytesIfPresent(t.path);
    const same = existing !== undefined && Buffer.compare(existing, t.bytes) === 0;
    const detail = `(${t.dtype}, ${t.bytes.byteLength} bytes) from ${t.source}`;
    if (checkOnly) {
      const status = same ? 'ok' : existing === undefined ? 'missing' : 'differs';
      if (!same) stale.push(t.path);
      files.push({ path: t.path, status, dtype: t.dtype, bytes: t.bytes.byteLength, source: t.source });
      say(`${status.padEnd(8)} ${t.path} ${detail}\n`);
    } else if (same) {
      files.push({ path: t.path, status: 'same', dtype: t.dtype, bytes: t.bytes.byteLength, source: t.source });
      say(`same     ${t.path} ${detail}\n`);
    } else {
      writeFileAtomic(t.path, t.bytes);
      files.push({ path: t.path, status: 'wrote', dtype: t.dtype, bytes: t.bytes.byteLength, source: t.source });
      say(`wrote    ${t.path} ${detail}\n`);
    }
  }

  // A compiled model whose example was renamed or deleted would otherwise linger unnoticed.
  const expected = new Set(targets.map((t) => t.path));
  const orphans = listOnnx(OUT_DIR).filter((p) => !expected.has(p) && !sourceFailed(p, failedSources));
  for (const p of orphans) say(`orphan   ${p} (no example builds it; delete it)\n`);

  if (checkOnly) stale.push(...orphans);
  const problems: string[] = [];
  if (failedSources.length) problems.push(`${failedSources.length} example${failedSources.length === 1 ? '' : 's'} failed to compile`);
  if (stale.length) problems.push(`${stale.length} compiled file${stale.length === 1 ? ' is' : 's are'} out of date (run npm run build:examples): ${stale.join(', ')}`);
  if (json) process.stdout.write(`${JSON.stringify({ files, failed: failedSources, orphans, ok: problems.length === 0 }, null, 2)}\n`);
  if (problems.length) {
    say(`${problems.join('; ')}\n`);
    process.exitCode = 1;
  } else {
    say(`${targets.length} compiled file${targets.length === 1 ? '' : 's'} from ${sources.length} example${sources.length === 1 ? '' : 's'} ${checkOnly ? 'up to date' : 'built'}\n`);
  }
}

/** Every .hw file under `dir`, sorted so the output order is the same on every machine. */
function findSources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('.hw'))
    .map((p) => join(dir, p))
    .sort();
}

/** compiled/ is flat, so two examples with one basename in different folders would overwrite each other. */
function refuseNameClashes(sources: string[]): void {
  const byName = new Map<string, string>();
  for (const s of sources) {
    const name = basename(s, '.hw');
    const other = byName.get(name);
    if (other) throw new UserError(`${other} and ${s} would both compile to ${OUT_DIR}/${name}.onnx: rename one`);
    byName.set(name, s);
  }
}

function listOnnx(dir: string): string[] {
  if (!isDirectory(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.onnx'))
    .map((f) => join(dir, f))
    .sort();
}

/** A source that failed to compile still owns its old outputs (they are not orphans, just stale). */
function sourceFailed(path: string, failedSources: string[]): boolean {
  return failedSources.some((s) => {
    const name = basename(s, '.hw');
    return path === join(OUT_DIR, `${name}.onnx`) || path === join(OUT_DIR, `${name}.f64.onnx`);
  });
}
