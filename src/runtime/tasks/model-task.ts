// The Task a model declares: its token-string task, else its digit task, else none.
import type { CheckedModel } from '../../check/model.ts';
import { digitTaskOf } from './digits.ts';
import { stringTaskOf } from './strings.ts';
import type { Task } from './task.ts';

export function taskOf(model: CheckedModel): Task<unknown> | undefined {
  if (model.stringTask) return stringTaskOf(model) as Task<unknown>;
  if (model.task) return digitTaskOf(model.task, model.tokenNames) as Task<unknown>;
  return undefined;
}
