// Runs the hand-wired SCAN decoder (examples/scan/scan.hw) on SCAN data files and prints, per file
// and float type, how many commands it gets exactly right and its smallest logit margin.
//   npx tsx scripts/scan-check.ts                          every file in examples/scan/data, float32 and float64
//   npx tsx scripts/scan-check.ts --dtype float64 FILE...  given files (plain or .gz), one float type
// The model is compiled through the library, decoded greedily by onnxruntime with the key/value
// cache (src/runtime/incremental.ts) for 49 steps after `command SEP`; the answer is every token
// before the first EOS, and it must equal the file's OUT actions exactly (an answer without EOS is
// wrong). The margin (top-1 minus top-2 logit) is taken over the steps up to and including that EOS.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { env as ortEnv } from 'onnxruntime-node';
import { compileDecodeGraph, compileSource } from '../src/compile.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { incrementalDecode } from '../src/runtime/incremental.ts';
import { openSession } from '../src/runtime/session.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const SOURCE = join(ROOT, 'examples', 'scan', 'scan.hw');
const DATA = join(ROOT, 'examples', 'scan', 'data');
/** 48 actions at most, then EOS. */
const STEPS = 49;

interface Example {
  command: string[];
  actions: string[];
}

function readExamples(path: string): Example[] {
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const m = /^IN: (.*) OUT: (.*)$/.exec(line.trim());
      if (!m) throw new Error(`${path}:${i + 1}: not an "IN: … OUT: …" line`);
      return { command: m[1]!.split(' '), actions: m[2]!.split(' ') };
    });
}

interface Outcome {
  /** The tokens before the first EOS, or undefined when no EOS came in STEPS steps. */
  answer: string[] | undefined;
  margin: number;
}

/** Decodes every distinct command once and returns its outcome, keyed by the command text. */
async function decodeAll(dtype: FloatDType, commands: Map<string, string[]>): Promise<Map<string, Outcome>> {
  const compiled = compileSource(readFileSync(SOURCE, 'utf8'), { dtype });
  if (!compiled.model) throw new Error(`${SOURCE} does not compile:\n${compiled.diagnostics.map((d) => d.message).join('\n')}`);
  const names = compiled.model.tokenNames;
  if (!names) throw new Error('scan.hw has no token names');
  const id = new Map(names.map((n, i) => [n, i]));
  const token = (w: string) => {
    const t = id.get(w);
    if (t === undefined) throw new Error(`"${w}" is not in the model's vocabulary`);
    return t;
  };
  const decode = compileDecodeGraph(compiled.model, { dtype });
  if (!('onnx' in decode)) throw new Error(`no incremental decoding graph: ${decode.reason}`);
  const { session } = await openSession(decode.onnx, { dtype, threads: 1 });
  const keys = [...commands.keys()];
  const prompts = keys.map((k) => [...commands.get(k)!.map(token), token('SEP')]);
  const result = await incrementalDecode(session, prompts, STEPS);
  await session.release();

  const eos = token('EOS');
  const out = new Map<string, Outcome>();
  keys.forEach((k, p) => {
    const generated = result.tokens[p]!;
    const end = generated.indexOf(eos);
    const answer = end < 0 ? undefined : generated.slice(0, end).map((t) => names[t]!);
    let margin = Infinity;
    for (let s = 0; s <= (end < 0 ? STEPS - 1 : end); s++) margin = Math.min(margin, result.margins[p * STEPS + s]!);
    out.set(k, { answer, margin });
  });
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let dtypes: FloatDType[] = ['float32', 'float64'];
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--dtype') {
      const d = args[++i];
      if (d !== 'float32' && d !== 'float64') throw new Error('--dtype takes float32 or float64');
      dtypes = [d];
    } else files.push(a);
  }
  if (files.length === 0) {
    files.push(...readdirSync(DATA).filter((f) => f.startsWith('tasks') && (f.endsWith('.txt') || f.endsWith('.txt.gz'))).sort().map((f) => join(DATA, f)));
  }
  const perFile = files.map((f) => ({ file: f, examples: readExamples(f) }));
  const distinct = new Map<string, string[]>();
  for (const { examples } of perFile) for (const e of examples) distinct.set(e.command.join(' '), e.command);

  ortEnv.logLevel = 'fatal';
  for (const dtype of dtypes) {
    const started = performance.now();
    const outcomes = await decodeAll(dtype, distinct);
    const seconds = (performance.now() - started) / 1000;
    console.log(`${dtype} (${distinct.size} distinct commands decoded in ${seconds.toFixed(1)} s)`);
    for (const { file, examples } of perFile) {
      let exact = 0;
      let margin = Infinity;
      for (const e of examples) {
        const o = outcomes.get(e.command.join(' '))!;
        if (o.answer && sameWords(o.answer, e.actions)) exact++;
        margin = Math.min(margin, o.margin);
      }
      const name = basename(file).replace(/\.gz$/, '');
      console.log(`  ${name.padEnd(34)} ${String(exact).padStart(6)}/${String(examples.length).padEnd(6)} exact   smallest margin ${margin.toPrecision(12)}`);
    }
  }
}

function sameWords(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
