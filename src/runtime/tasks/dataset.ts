// A dataset as a Task: the cases are the file's `input -> output` lines, the prompt is the string
// task's with the line's input, and the right answer is the line's output.
import type { CheckedModel } from '../../check/model.ts';
import { mulberry32Uint32 } from '../../util/rng.ts';
import { stringPrompt, tokenText } from '../string-task.ts';
import { readoutOf } from './strings.ts';
import type { Task } from './task.ts';

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
