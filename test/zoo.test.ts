// The circuit zoo (examples/zoo): each model runs through its real ONNX build, in float32 and
// float64, over every string of its stated domain, and its answers are compared with the task
// written out here in plain JavaScript: loops over the string, not the project's sequence
// functions. verifyModel must then agree: every case right, with the smallest margin the model's
// doc derives from its weights.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSource, compileSource } from '../src/compile.ts';
import type { CheckedModel } from '../src/check/model.ts';
import { openSession } from '../src/runtime/session.ts';
import { readPositions } from '../src/runtime/read-positions.ts';
import { greedyDecode } from '../src/runtime/greedy.ts';
import { verifyModel } from '../src/verify/verify-model.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DTYPES = ['float32', 'float64'] as const;

/** A right answer by token name: one class, one label per input token, or generated tokens. */
type Answer = string | string[];

interface Zoo {
  file: string;
  alphabet: string[];
  lengths: [number, number];
  prompt: (s: string[]) => string[];
  readout: 'class' | 'each' | 'tokens';
  answer: (s: string[]) => Answer;
  /** The smallest top1 − top2 logit, as docs/zoo/NAME.md derives it. */
  margin: number;
}

const count = (s: string[], x: string) => s.filter((t) => t === x).length;

function balanced(s: string[]): boolean {
  let depth = 0;
  for (const t of s) {
    depth += t === '(' ? 1 : -1;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/** Per position: the token after the latest (or, with `earliest`, the first) earlier copy of it. */
function induction(s: string[], earliest = false): string[] {
  return s.map((t, i) => {
    const before = s.slice(0, i);
    const j = earliest ? before.indexOf(t) : before.lastIndexOf(t);
    return j < 0 ? 'none' : s[j + 1]!;
  });
}

const ZOO: Zoo[] = [
  {
    file: 'majority.hw',
    alphabet: ['0', '1'],
    lengths: [1, 12],
    prompt: (s) => ['BOS', ...s],
    readout: 'class',
    answer: (s) => (count(s, '1') > count(s, '0') ? '1' : '0'),
    margin: (100 * 0.5) / 13,
  },
  {
    file: 'dyck1.hw',
    alphabet: ['(', ')'],
    lengths: [0, 12],
    prompt: (s) => ['BOS', ...s],
    readout: 'class',
    answer: (s) => (balanced(s) ? 'yes' : 'no'),
    margin: 10 * 0.5,
  },
  {
    file: 'reverse-eos.hw',
    alphabet: ['a', 'b', 'c'],
    lengths: [0, 8],
    prompt: (s) => ['BOS', ...s, 'SEP'],
    readout: 'tokens',
    answer: (s) => [...s].reverse(),
    margin: 10,
  },
  {
    file: 'sort-unique.hw',
    alphabet: ['a', 'b', 'c', 'd'],
    lengths: [0, 7],
    prompt: (s) => ['BOS', ...s, 'SEP'],
    readout: 'tokens',
    answer: (s) => ['a', 'b', 'c', 'd'].filter((t) => s.includes(t)),
    margin: 5,
  },
  {
    file: 'histogram.hw',
    alphabet: ['a', 'b', 'c'],
    lengths: [0, 8],
    prompt: (s) => ['BOS', ...s],
    readout: 'each',
    answer: (s) => s.map((t) => String(count(s, t))),
    margin: 45 / 9,
  },
  {
    file: 'induction.hw',
    alphabet: ['a', 'b', 'c'],
    lengths: [0, 8],
    prompt: (s) => ['BOS', ...s],
    readout: 'each',
    answer: (s) => induction(s),
    margin: 10,
  },
];

function source(file: string): string {
  return readFileSync(join(ROOT, 'examples/zoo', file), 'utf8');
}

function model(src: string): CheckedModel {
  const out = checkSource(src);
  const errors = out.diagnostics.filter((d) => d.severity === 'error');
  if (!out.model || errors.length > 0) throw new Error(errors.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`).join('\n'));
  return out.model;
}

/** Every string over `alphabet` with a length in lo..hi. */
function strings(alphabet: string[], lo: number, hi: number): string[][] {
  const out: string[][] = [];
  const grow = (prefix: string[]) => {
    if (prefix.length >= lo) out.push(prefix);
    if (prefix.length < hi) for (const t of alphabet) grow([...prefix, t]);
  };
  grow([]);
  return out;
}

/** The model's answers, by token name, for every string: run through its ONNX build in `dtype`. */
async function modelAnswers(src: string, m: CheckedModel, z: Zoo, all: string[][], dtype: (typeof DTYPES)[number]): Promise<Answer[]> {
  const names = m.tokenNames!;
  const id = (t: string) => names.indexOf(t);
  const prompts = all.map((s) => z.prompt(s).map(id));
  const { session } = await openSession(compileSource(src, { dtype }).onnx!, { dtype });
  try {
    if (z.readout === 'tokens') {
      // Generated tokens up to EOS; a string that never stops keeps every token, so it fails.
      const out = await greedyDecode(session, prompts, m.stringTask!.decode);
      return out.tokens.map((g) => {
        const words = g.map((t) => names[t]!);
        const end = words.indexOf('EOS');
        return end < 0 ? words : words.slice(0, end);
      });
    }
    // class: the last prompt position; each: the positions of the string (after BOS).
    const positions = all.map((s, i) => (z.readout === 'class' ? [prompts[i]!.length - 1] : s.map((_, j) => 1 + j)));
    const out = await readPositions(session, prompts, positions);
    return out.tokens.map((t) => (z.readout === 'class' ? names[t[0]!]! : t.map((x) => names[x]!)));
  } finally {
    await session.release();
  }
}

describe.each(ZOO)('zoo/$file', (z) => {
  const src = source(z.file);
  const m = model(src);
  const all = strings(z.alphabet, ...z.lengths);

  it('states the domain written here', () => {
    const input = m.stringTask!.inputs[0]!;
    expect(input.alphabet.map((t) => m.tokenNames![t])).toEqual(z.alphabet);
    expect([input.minLength, input.maxLength]).toEqual(z.lengths);
    expect(m.stringTask!.readout).toBe(z.readout);
  });

  it.each(DTYPES)('answers every string of the domain right in %s, and verifyModel agrees', async (dtype) => {
    const got = await modelAnswers(src, m, z, all, dtype);
    const wrong = all.filter((s, i) => JSON.stringify(got[i]) !== JSON.stringify(z.answer(s)));
    expect(wrong.slice(0, 5).map((s) => s.join(' '))).toEqual([]);
    const r = await verifyModel(m, { dtype });
    expect(r).toMatchObject({ mode: 'exhaustive', cases: all.length, passed: all.length, failures: [] });
    expect(r.minMargin).toBeCloseTo(z.margin, 3);
  });
});

describe('the zoo models fail where their weights say they should', () => {
  it('dyck1 with the threshold below 0 answers "no" to every balanced string', async () => {
    const broken = source('dyck1.hw').replace('param half  = 0.5', 'param half  = -0.5');
    const all = strings(['(', ')'], 0, 12);
    const zoo = ZOO.find((z) => z.file === 'dyck1.hw')!;
    const got = await modelAnswers(broken, model(broken), zoo, all, 'float32');
    expect(got.every((a) => a === 'no')).toBe(true);
    // Balanced strings of length 2k: the Catalan numbers 1, 1, 2, 5, 14, 42, 132.
    const balancedCount = all.filter(balanced).length;
    expect(balancedCount).toBe(197);
    const r = await verifyModel(model(broken));
    expect(r.cases - r.passed).toBe(balancedCount);
  });

  it('induction with the recency score negated copies after the earliest copy instead', async () => {
    const broken = source('induction.hw').replace('param recent   = 20', 'param recent   = -20');
    const zoo = ZOO.find((z) => z.file === 'induction.hw')!;
    const all = strings(zoo.alphabet, ...zoo.lengths);
    const got = await modelAnswers(broken, model(broken), zoo, all, 'float64');
    expect(got).toEqual(all.map((s) => induction(s, true)));
    const differ = all.filter((s) => JSON.stringify(induction(s, true)) !== JSON.stringify(induction(s))).length;
    expect(differ).toBeGreaterThan(0);
    const r = await verifyModel(model(broken), { dtype: 'float64' });
    expect(r.cases - r.passed).toBe(differ);
  });
});
