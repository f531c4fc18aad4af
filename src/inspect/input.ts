// What `handwire inspect` runs the model on, with the same options as `handwire run`: task inputs
// (--a, --b as shorthands for --input a=…, b=…), or a raw prompt (--tokens), and --steps. With
// no input at all it picks operands that exercise carries. Mistakes here are the user's, so they
// come back as messages, not exceptions.
import type { CheckedModel, TaskContract } from '../check/model.ts';
import type { Operands } from '../runtime/task.ts';
import { resolveRunInput, TaskInputError, type RunInput, type RunInputOptions } from '../runtime/task-input.ts';
import { ContextLengthError } from '../runtime/context-length.ts';

export type InspectInputOptions = RunInputOptions;
export type InspectInput = RunInput;

export type InspectInputResult = { ok: true; input: InspectInput } | { ok: false; message: string };

export function resolveInspectInput(model: CheckedModel, opts: InspectInputOptions): InspectInputResult {
  try {
    return { ok: true, input: resolveRunInput(model, opts, defaultOperands) };
  } catch (e) {
    if (e instanceof TaskInputError || e instanceof ContextLengthError) return { ok: false, message: e.message };
    throw e;
  }
}

/** Operands that exercise carries: the digits of the first input count down from 9 and those of
 * the others up from 1, most significant first. For 10-digit addition: 9876543210 + 1234567890. */
export function defaultOperands(task: TaskContract): Operands {
  const out: Operands = {};
  task.operands.forEach((o, i) => {
    let v = 0;
    for (let d = 0; d < o.digits; d++) {
      const digit = i === 0 ? (((9 - d) % 10) + 10) % 10 : (1 + d) % 10;
      v = v * task.base + (digit % task.base);
    }
    out[o.name] = v;
  });
  return out;
}
