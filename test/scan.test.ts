// The hand-wired SCAN decoder (examples/scan/scan.hw), compiled and run by onnxruntime, against the
// gold actions of the SCAN data files (examples/scan/data, Lake & Baroni 2018): the expected output
// of every command is read from the data, never derived from the circuit. Greedy decoding of 49
// steps after `command SEP`; the answer is everything before the first EOS and must equal the
// file's OUT actions, with EOS right after them.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDecodeGraph, compileSource } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import type { FloatDType } from '../src/ir/types.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { incrementalDecode } from '../src/runtime/incremental.ts';
import { openSession } from '../src/runtime/session.ts';

const root = new URL('../', import.meta.url);
const source = readFileSync(new URL('examples/scan/scan.hw', root), 'utf8');
const STEPS = 49;

interface Line {
  command: string[];
  actions: string[];
}

function readData(name: string): Line[] {
  const text = gunzipSync(readFileSync(new URL(`examples/scan/data/${name}.gz`, root))).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [inPart, outPart] = l.split(' OUT: ');
      return { command: inPart!.replace(/^IN: /, '').trim().split(' '), actions: outPart!.trim().split(' ') };
    });
}

interface Scored {
  wrong: string[];
  smallestMargin: number;
}

/** Decodes every command and lists the ones whose answer is not the gold (at most 5 shown). */
async function score(
  model: CheckedModel,
  lines: Line[],
  decode: (prompts: number[][]) => Promise<{ tokens: number[][]; margins: Float64Array }>,
): Promise<Scored> {
  const names = model.tokenNames!;
  const id = (w: string) => {
    const i = names.indexOf(w);
    expect(i, `"${w}" is a token`).toBeGreaterThanOrEqual(0);
    return i;
  };
  const result = await decode(lines.map((l) => [...l.command.map(id), id('SEP')]));
  const wrong: string[] = [];
  let smallestMargin = Infinity;
  lines.forEach((l, p) => {
    const want = [...l.actions.map(id), id('EOS')];
    const got = result.tokens[p]!.slice(0, want.length);
    if (got.some((t, i) => t !== want[i])) wrong.push(`${l.command.join(' ')} -> ${got.map((t) => names[t]).join(' ')}`);
    for (let s = 0; s < want.length; s++) smallestMargin = Math.min(smallestMargin, result.margins[p * STEPS + s]!);
  });
  return { wrong: wrong.slice(0, 5).concat(wrong.length > 5 ? [`… ${wrong.length} wrong in all`] : []), smallestMargin };
}

describe.each<FloatDType>(['float32', 'float64'])('scan.hw in %s', (dtype) => {
  let model: CheckedModel;
  let cached: InferenceSession;
  let full: InferenceSession;

  beforeAll(async () => {
    const compiled = compileSource(source, { dtype });
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    model = compiled.model!;
    const decodeGraph = compileDecodeGraph(model, { dtype });
    if (!('onnx' in decodeGraph)) throw new Error(decodeGraph.reason);
    cached = (await openSession(decodeGraph.onnx, { dtype, threads: 1 })).session;
    full = (await openSession(compiled.onnx!, { dtype, threads: 1 })).session;
  });
  afterAll(async () => {
    await cached?.release();
    await full?.release();
  });

  // Every command in both dtypes (about 7 s in float32 and 16 s in float64 in process; see
  // docs/benchmarks.md): the split files are subsets of tasks.txt (checked below).
  const file = 'tasks.txt';
  it(`gives the gold actions and then EOS for every command of ${file} (cached decoding), with margins of at least 1`, async () => {
    const lines = readData(file);
    expect(lines.length).toBe(20910);
    const { wrong, smallestMargin } = await score(model, lines, (prompts) => incrementalDecode(cached, prompts, STEPS));
    expect(wrong).toEqual([]);
    expect(smallestMargin).toBeGreaterThanOrEqual(1);
  }, 300_000); // ~20 s for the 20,910 on an idle core; more when the machine is shared

  // Full recompute re-runs the whole sequence every step: float32 on a test set, float64 on its start.
  it('gives the same answers by full recompute on the main graph (the add-primitive turn-left test set)', async () => {
    const lines = readData('tasks_test_addprim_turn_left.txt').slice(0, dtype === 'float32' ? undefined : 300);
    const { wrong } = await score(model, lines, (prompts) => greedyDecode(full, prompts, STEPS));
    expect(wrong).toEqual([]);
  });
});

it('every split file holds commands of tasks.txt with the same actions', () => {
  const all = new Map(readData('tasks.txt').map((l) => [l.command.join(' '), l.actions.join(' ')]));
  expect(all.size).toBe(20910);
  const splits = ['tasks_train_simple.txt', 'tasks_test_simple.txt', 'tasks_train_length.txt', 'tasks_test_length.txt',
    'tasks_test_addprim_jump.txt', 'tasks_test_addprim_turn_left.txt'];
  for (const s of splits) for (const l of readData(s)) expect(all.get(l.command.join(' ')), `${s}: ${l.command.join(' ')}`).toBe(l.actions.join(' '));
});

it('has the 7 free parameters docs/scan.md lists (the grammar\'s meanings and three scales) and 2 literal constants', () => {
  const audit = compileSource(source).model!.audit!;
  expect(Object.fromEntries(audit.params.map((p) => [p.name, p.values]))).toEqual({
    opposite_turns: [2], around_laps: [4], times: [2, 3], sharp: [30], big: [64], gain: [2],
  });
  expect([audit.adderboard, audit.strict]).toEqual([7, 9]);
  expect(audit.literals.map((l) => l.value).sort()).toEqual([-2, 2]);
});
