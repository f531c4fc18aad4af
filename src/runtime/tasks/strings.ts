// The token-string tasks (`input s: [...] length lo..hi`) as a Task: a case is one token string per
// input; the domain is every string of every allowed length, enumerated by length then in alphabet
// order, or sampled with a seed stratified by the first input's length.
import type { CheckedModel, StringTask } from '../../check/model.ts';
import { mulberry32Uint32 } from '../../util/rng.ts';
import { describeCase, expectedTokens, labelPositions, stringPrompt, tokenText, type StringCase } from '../string-task.ts';
import type { Domain, Task, TaskReadout } from './task.ts';

/** How a string task's answer is read: generated tokens, the last position, or each labelled input position. */
export function readoutOf<C>(task: StringTask, at: (c: C) => StringCase): TaskReadout<C> {
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

