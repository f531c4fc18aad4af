// Shared by compare-logits.mjs and sweep.mjs: load handwire's built library (dist/index.js) and
// the designs. HANDWIRE_DIST names the dist/index.js to use (run.sh points it into the unpacked
// GPU bundle, whose node_modules hold onnxruntime-node); by default the repository's own.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const distFile = process.env.HANDWIRE_DIST ?? fileURLToPath(new URL('../../dist/index.js', import.meta.url));
export const hw = await import(pathToFileURL(distFile).href);
// The onnxruntime-node that dist/ loads (CommonJS, so this is the same instance).
export const ort = createRequire(distFile)('onnxruntime-node');
// ORT's own multi-line log for a failed CUDA load; openSession's one-line notice says it instead.
if (process.env.HANDWIRE_DEBUG !== '1') ort.env.logLevel = 'fatal';
export const ortVersion = JSON.parse(readFileSync(createRequire(distFile).resolve('onnxruntime-node/package.json'), 'utf8')).version;

/** Parses `--name value` flags into an object of strings; the rest are positional. */
export function parseArgs(argv, defaults) {
  const opts = { ...defaults, _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) opts[a.slice(2)] = argv[++i];
    else opts._.push(a);
  }
  return opts;
}

/** A design's checked model (float32 and float64 compile from the same source). */
export function loadDesign(file) {
  const source = readFileSync(file, 'utf8');
  const checked = hw.checkSource(source);
  if (!checked.model?.task) throw new Error(`${file} does not check or has no task`);
  return { name: basename(file, '.hw'), source, model: checked.model, task: checked.model.task };
}

export function prompts(task, pairs) {
  return pairs.map((pair) => {
    const ops = {};
    task.operands.forEach((o, i) => (ops[o.name] = pair[i]));
    return hw.promptFor(task, ops);
  });
}

export function expected(task, pair) {
  const ops = {};
  task.operands.forEach((o, i) => (ops[o.name] = pair[i]));
  return hw.expectedAnswer(task, ops);
}

/** Opens a session and says where it really runs (CUDA may fall back to CPU: notice). */
export async function open(bytes, dtype, device, threads) {
  const opened = await hw.openSession(bytes, { dtype, device, ...(threads ? { threads } : {}) });
  return opened;
}
