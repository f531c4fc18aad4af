// One Task interface for verify, prove and run: what the inputs are (a domain that can be counted,
// enumerated in a fixed order and sampled with a seed), the prompt of each case, its right answer as
// tokens, and how the answer is read from the model. Three implementations: token-string tasks
// (`input s: [...] length lo..hi`), digit tasks (`input a, b: 10 digits`, addition among them), and a
// dataset (the cases are the file's lines).
import type { CheckedModel, StringTask, TaskContract } from '../check/model.ts';
import { mulberry32Uint32 } from '../util/rng.ts';
import { describeCase, expectedTokens, labelPositions, stringPrompt, tokenText, type StringCase } from '../runtime/string-task.ts';
import { digitOf, expectedAnswer, promptFor, type Operands } from '../runtime/task.ts';

export type TaskReadout<C> =
  | { kind: 'tokens'; decode: number; stop?: number }
  | { kind: 'positions'; at(c: C, prompt: readonly number[]): number[] };

export interface Domain<C> {
  /** How many cases there are (Infinity when too many to count in a double). */
  size: number;
  /** In words, e.g. "strings of length 1..12 over 0 1". */
  describe: string;
  /** Every case in a fixed order; only called when `size` is within a budget. */
  enumerate(): Iterable<C>;
  /** `n` cases drawn with `seed`, stratified where the domain has strata (string lengths). */
  sample(n: number, seed: number): C[];
}

export interface Task<C = unknown> {
  name: string;
  domain: Domain<C>;
  prompt(c: C): number[];
  expected(c: C): number[];
  readout: TaskReadout<C>;
  /** The input as a person would type it. */
  show(c: C): string;
  showTokens(tokens: readonly number[]): string;
}

/** The model's own task (string or digit), or undefined when it declares none. */
export function taskOf(model: CheckedModel): Task<unknown> | undefined {
  if (model.stringTask) return stringTaskOf(model) as Task<unknown>;
  if (model.task) return digitTaskOf(model, model.task) as Task<unknown>;
  return undefined;
}

function readoutOf<C>(task: StringTask, at: (c: C) => StringCase): TaskReadout<C> {
  if (task.readout === 'tokens') return { kind: 'tokens', decode: task.decode, ...(task.stop !== undefined ? { stop: task.stop } : {}) };
  if (task.readout === 'class') return { kind: 'positions', at: (_c, prompt) => [prompt.length - 1] };
  return { kind: 'positions', at: (c) => labelPositions(task, at(c)) };
}

export function stringTaskOf(model: CheckedModel): Task<StringCase> {
  const task = model.stringTask!;
  return {
    name: task.name,
    domain: stringDomain(model, task),
    prompt: (c) => stringPrompt(task, c),
    expected: (c) => expectedTokens(model, c),
    readout: readoutOf(task, (c) => c),
    show: (c) => describeCase(model, c),
    showTokens: (t) => tokenText(model, t),
  };
}

/** A count for people: digits with separators while exact, then a power of ten (2.14e+301). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return 'more than 1.8e+308';
  return n < 1e15 ? n.toLocaleString('en-US') : `about ${n.toExponential(2)}`;
}

/** Number of strings of length lo..hi over k tokens. */
export function stringCount(k: number, lo: number, hi: number): number {
  let total = 0;
  for (let n = lo; n <= hi; n++) total += k ** n;
  return total;
}

function stringDomain(model: CheckedModel, task: StringTask): Domain<StringCase> {
  const names = (ids: number[]) => ids.map((t) => model.tokenNames?.[t] ?? String(t)).join(' ');
  const parts = task.inputs.map((i) => `${task.inputs.length > 1 ? `${i.name}: ` : ''}strings of length ${i.minLength === i.maxLength ? i.minLength : `${i.minLength}..${i.maxLength}`} over ${names(i.alphabet)}`);
  const size = task.inputs.reduce((n, i) => n * stringCount(i.alphabet.length, i.minLength, i.maxLength), 1);
  return {
    size,
    describe: parts.join('; '),
    *enumerate() {
      // Odometer over the inputs, each input's strings by length, then in alphabet order.
      const lists = task.inputs.map((i) => ({ input: i, gen: () => allStrings(i.alphabet, i.minLength, i.maxLength) }));
      yield* product(lists.map((l) => ({ name: l.input.name, gen: l.gen })));
    },
    sample(n, seed) {
      const next = mulberry32Uint32(seed);
      const out: StringCase[] = [];
      // Stratified by the first input's length: every length gets an equal share (all of its strings
      // when they are fewer), so long strings are not drowned by the many short ones or vice versa.
      const first = task.inputs[0]!;
      const lengths = first.maxLength - first.minLength + 1;
      for (let li = 0; li < lengths; li++) {
        const len = first.minLength + li;
        const share = Math.floor(n / lengths) + (li < n % lengths ? 1 : 0);
        const available = task.inputs.length === 1 ? first.alphabet.length ** len : Infinity;
        if (available <= share) {
          for (const s of allStrings(first.alphabet, len, len)) out.push({ [first.name]: s });
          continue;
        }
        for (let k = 0; k < share; k++) {
          const c: StringCase = {};
          for (const input of task.inputs) {
            const l = input === first ? len : input.minLength + (next() % (input.maxLength - input.minLength + 1));
            c[input.name] = Array.from({ length: l }, () => input.alphabet[next() % input.alphabet.length]!);
          }
          out.push(c);
        }
      }
      return out;
    },
  };
}

function* allStrings(alphabet: number[], lo: number, hi: number): Generator<number[]> {
  for (let n = lo; n <= hi; n++) {
    const digits = new Array<number>(n).fill(0);
    for (;;) {
      yield digits.map((d) => alphabet[d]!);
      let i = n - 1;
      while (i >= 0 && ++digits[i]! === alphabet.length) digits[i--] = 0;
      if (i < 0) break;
    }
  }
}

function* product(inputs: { name: string; gen: () => Iterable<number[]> }[], at = 0, partial: StringCase = {}): Generator<StringCase> {
  if (at === inputs.length) {
    yield { ...partial };
    return;
  }
  for (const s of inputs[at]!.gen()) {
    partial[inputs[at]!.name] = s;
    yield* product(inputs, at + 1, partial);
  }
}

/** A digit task as a Task: operands are numbers, the answer the `decode` digits of `expect` in the
 * task's order. (verify's AdderBoard protocol and the affine prover read the contract directly.) */
export function digitTaskOf(model: CheckedModel, task: TaskContract): Task<Operands> {
  const sizes = task.operands.map((o) => task.base ** o.digits);
  const size = sizes.reduce((a, b) => a * b, 1);
  const fromIndex = (index: number): Operands => {
    const c: Operands = {};
    task.operands.forEach((o, i) => {
      c[o.name] = index % sizes[i]!;
      index = Math.floor(index / sizes[i]!);
    });
    return c;
  };
  return {
    name: task.name,
    domain: {
      size,
      describe: task.operands.map((o) => `${o.name} of ${o.digits} digit${o.digits === 1 ? '' : 's'}`).join(', '),
      *enumerate() {
        for (let i = 0; i < size; i++) yield fromIndex(i);
      },
      sample(n, seed) {
        const next = mulberry32Uint32(seed);
        return Array.from({ length: n }, () => {
          const c: Operands = {};
          // Two 32-bit draws cover every operand up to 15 digits (< 2^53).
          task.operands.forEach((o, i) => (c[o.name] = (next() * 4294967296 + next()) % sizes[i]!));
          return c;
        });
      },
    },
    prompt: (c) => promptFor(task, c),
    expected: (c) => {
      const v = expectedAnswer(task, c);
      if (!Number.isInteger(v) || v < 0 || v >= task.base ** task.decode) {
        throw new Error(`the expected answer ${v} for ${JSON.stringify(c)} is not a whole number of ${task.decode} digits`);
      }
      const lsb = Array.from({ length: task.decode }, (_, p) => digitOf(v, p, task.base));
      return task.answer === 'lsb' ? lsb : lsb.reverse();
    },
    readout: { kind: 'tokens', decode: task.decode },
    show: (c) => task.operands.map((o) => `${o.name} = ${c[o.name]}`).join(', '),
    showTokens: (t) => tokenText(model, t),
  };
}

/** A case of a dataset: the input string and the right answer's tokens, with its line. */
export interface DatasetCase {
  input: number[];
  output: number[];
  line: number;
}

/** A string task whose right answers are a dataset's lines (its one input is the line's input). */
export function datasetTaskOf(model: CheckedModel, cases: readonly DatasetCase[], source: string): Task<DatasetCase> {
  const task = model.stringTask!;
  const input = task.inputs[0]!.name;
  return {
    name: task.name,
    domain: {
      size: cases.length,
      describe: `the ${cases.length.toLocaleString('en-US')} lines of ${source}`,
      enumerate: () => cases,
      sample(n, seed) {
        const next = mulberry32Uint32(seed);
        return Array.from({ length: Math.min(n, cases.length) }, () => cases[next() % cases.length]!);
      },
    },
    prompt: (c) => stringPrompt(task, { [input]: c.input }),
    expected: (c) => c.output,
    readout: readoutOf(task, (c) => ({ [input]: c.input })),
    show: (c) => `"${tokenText(model, c.input)}" (line ${c.line})`,
    showTokens: (t) => tokenText(model, t),
  };
}
