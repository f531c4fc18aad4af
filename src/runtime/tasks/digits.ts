// The digit tasks (`input a, b: 10 digits`, addition among them) as a Task: a case is one number per
// input; its prompt is the contract's layout with their digits, its right answer the `decode` digits
// of `expect` in the task's order. Besides its domain, a digit task offers the case lists verify
// runs: the AdderBoard protocol (seeded random inputs for tasks with other than two inputs), an
// exhaustive sweep of small operands and the carry chains.
import type { TaskContract } from '../../check/model.ts';
import { mulberry32Uint32 } from '../../util/rng.ts';
import { digitOf, expectedAnswer, operandsFromPair, promptFor, readAnswer, type Operands } from '../task.ts';
import { carryChainCaseSet, caseSetProblem, combineCaseSets, exhaustiveCaseSet, protocolCaseSet, taskRandomCaseSet, type CaseSet, type Pair } from './protocol.ts';
import type { Task } from './task.ts';

/** Which cases: the protocol (`tests`, `seed`, `edge`) or sweeps (`exhaustiveDigits`, `carryChains`). */
export interface DigitCaseOptions {
  /** Random cases after the edge cases (default 10,000). */
  tests?: number;
  /** Seed of Python's random.Random (default 2025). */
  seed?: number;
  /** false: skip the fixed edge cases. */
  edge?: boolean;
  /** Instead of the protocol: every pair of operands with this many digits. */
  exhaustiveDigits?: number;
  /** Instead of the protocol: runs of 9s and every carry pattern over a sliding window. */
  carryChains?: boolean;
}

export interface DigitTask extends Task<Operands> {
  /** The contract it was made from: its base, answer order and `expect` text, for reports. */
  contract: TaskContract;
  /** The case list for these options, or why the options do not fit the task (a sentence naming
   * the options as the command line spells them). */
  cases(opts?: DigitCaseOptions): CaseSet | { error: string };
  /** A case list's entry (one value per input, in input order) as operands. */
  operandsOf(pair: Pair): Operands;
  /** `expect` as a number (not necessarily a whole number of `decode` digits). */
  expectedValue(c: Operands): number;
  /** Generated tokens read as a number in the task's answer order; NaN when one is not a digit. */
  answerOf(tokens: readonly number[]): number;
}

/** `tokenNames`: the model's names of its tokens, for showing answers (ids without them). */
export function digitTaskOf(task: TaskContract, tokenNames?: readonly string[]): DigitTask {
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
    contract: task,
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
    showTokens: (t) => t.map((id) => tokenNames?.[id] ?? String(id)).join(' '),
    cases: (opts) => digitCases(task, opts),
    operandsOf: (pair) => operandsFromPair(task, pair),
    expectedValue: (c) => expectedAnswer(task, c),
    answerOf: (tokens) => readAnswer(task, tokens),
  };
}

function digitCases(task: TaskContract, opts: DigitCaseOptions = {}): CaseSet | { error: string } {
  const narrowest = Math.min(...task.operands.map((o) => o.digits));
  const sweeps: CaseSet[] = [];
  if (opts.exhaustiveDigits !== undefined) {
    const digits = opts.exhaustiveDigits;
    if (digits > narrowest) return { error: `--exhaustive-digits ${digits} is wider than the task's inputs (${narrowest} digits)` };
    const set = exhaustiveCaseSet(digits, task.base);
    if ('error' in set) return set;
    sweeps.push(set);
  }
  if (opts.carryChains) sweeps.push(carryChainCaseSet(narrowest, task.base));
  let cases: CaseSet;
  if (sweeps.length > 0) {
    // A sweep is the whole case list, so the protocol's knobs would silently do nothing.
    const protocolOnly = (['tests', 'seed', 'edge'] as const).filter((o) => (o === 'edge' ? opts.edge === false : opts[o] !== undefined)).map((o) => (o === 'edge' ? '--no-edge' : `--${o}`));
    if (protocolOnly.length > 0) return { error: `${protocolOnly.join(', ')} only appl${protocolOnly.length === 1 ? 'ies' : 'y'} to the random protocol, not to sweeps` };
    cases = combineCaseSets(sweeps);
  } else {
    const sampling = { tests: opts.tests, seed: opts.seed, edge: opts.edge };
    // The AdderBoard protocol is for two-input tasks; any other task gets seeded random inputs.
    cases = task.operands.length === 2 ? protocolCaseSet(sampling) : taskRandomCaseSet(task, sampling);
  }
  const problem = caseSetProblem(task, cases);
  return problem ? { error: problem } : cases;
}
