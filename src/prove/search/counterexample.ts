// Looking for a counterexample with the runtime: inputs sampled from regions the bounds could not
// decide are decoded by onnxruntime (the `verify` path), and the first wrong answer is reported with
// the decode step where its tokens first go wrong. The session is opened on first use only.
import type { TaskContract } from '../../check/model.ts';
import type { FloatDType } from '../../ir/types.ts';
import { greedyDecode } from '../../runtime/greedy.ts';
import { openSession, type OpenedSession } from '../../runtime/session.ts';
import { digitOf, expectedAnswer, promptFor, readAnswer, type Operands } from '../../runtime/task.ts';

export interface Counterexample {
  /** The inputs, by name (every task). */
  inputs: Operands;
  /** The task's first and second inputs (`a + b`'s operands); b is null for a one-input task. */
  a: number;
  b: number | null;
  expected: number;
  got: number | null;
  /** The tokens the runtime generated, one per decode step. */
  tokens: number[];
  /** The tokens a right answer has at those steps. */
  expected_tokens: number[];
  /** The first decode step (0-based) whose generated token is wrong; later steps read it back. */
  step: number;
  /** Where that wrong token is written in the sequence (prompt length + step, 0-based): the
   * logits that chose it are those of the position before. */
  position: number;
  /** The place value of the answer digit that step writes (0 = units). */
  digit_place: number;
  /** The decode step whose undecided region the input was sampled from (the search's trail; the
   * wrong token can come at any step). */
  region_step: number;
}

export class RuntimeCheck {
  private opened: OpenedSession | undefined;

  /** Without `onnx` there is nothing to decode with, and no input is ever found wrong. */
  constructor(
    private readonly task: TaskContract,
    private readonly dtype: FloatDType,
    readonly onnx: Uint8Array | undefined,
  ) {}

  /** Decodes the inputs with the runtime; returns the first wrong one. `step` is the decode step
   * whose regions they were sampled from. */
  async firstWrong(inputs: Operands[], step: number): Promise<Counterexample | undefined> {
    const task = this.task;
    if (!this.onnx || inputs.length === 0) return undefined;
    this.opened ??= await openSession(this.onnx, { dtype: this.dtype });
    const prompts = inputs.map((o) => promptFor(task, o));
    const decoded = await greedyDecode(this.opened.session, prompts, task.decode);
    for (let i = 0; i < inputs.length; i++) {
      const got = readAnswer(task, decoded.tokens[i]!);
      const expected = expectedAnswer(task, inputs[i]!);
      if (got !== expected) {
        const [x, y] = task.operands;
        const tokens = decoded.tokens[i]!;
        const right = answerTokens(task, expected);
        // Greedy decoding conditions each step on the ones before: the first wrong token is the error.
        const wrong = Math.max(0, tokens.findIndex((t, k) => t !== right[k]));
        return {
          inputs: inputs[i]!,
          a: inputs[i]![x!.name]!,
          b: y ? inputs[i]![y.name]! : null,
          expected,
          got: Number.isNaN(got) ? null : got,
          tokens,
          expected_tokens: right,
          step: wrong,
          position: task.prompt.length + wrong,
          digit_place: task.answer === 'lsb' ? wrong : task.decode - 1 - wrong,
          region_step: step,
        };
      }
    }
    return undefined;
  }

  async close(): Promise<void> {
    if (this.opened) await this.opened.session.release();
    this.opened = undefined;
  }
}

/** The decode steps' tokens for a right answer: its digits in the task's base and order. */
export function answerTokens(task: TaskContract, answer: number): number[] {
  return Array.from({ length: task.decode }, (_, k) => digitOf(answer, task.answer === 'lsb' ? k : task.decode - 1 - k, task.base));
}
