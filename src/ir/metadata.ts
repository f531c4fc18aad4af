// What travels with a compiled model as ONNX metadata_props: the task contract, the parameter
// manifest and the header, as JSON, so a runner or auditor needs only the .onnx file.
import type { CheckedModel } from '../check/model.ts';
import type { FloatDType } from './types.ts';

export const METADATA_KEYS = {
  about: 'handwire.about',
  task: 'handwire.task',
  params: 'handwire.params',
  dtype: 'handwire.dtype',
  vocab: 'handwire.vocab',
} as const;

export function parameterManifest(model: CheckedModel) {
  const params = model.values.filter((v) => v.kind === 'param');
  return {
    count: params.reduce((n, p) => n + p.values.length, 0),
    adderboard: model.audit?.adderboard,
    strict: model.audit?.strict,
    literals: model.audit?.literals.map((l) => ({ value: l.value, kind: l.kind, where: l.where })),
    params: params.map((p) => ({ name: p.name, shape: p.shape, count: p.values.length, values: p.values, line: p.span.line, col: p.span.col })),
  };
}

export function modelMetadata(model: CheckedModel, dtype: FloatDType): Record<string, string> {
  const meta: Record<string, string> = {
    [METADATA_KEYS.about]: JSON.stringify(model.about),
    [METADATA_KEYS.params]: JSON.stringify(parameterManifest(model)),
    [METADATA_KEYS.dtype]: dtype,
    [METADATA_KEYS.vocab]: JSON.stringify({ size: model.vocab, names: model.tokenNames ?? null }),
  };
  // The formula's syntax tree stays out: the text says the same, and readers parse it again.
  if (model.task) meta[METADATA_KEYS.task] = JSON.stringify({ ...model.task, expectFormula: undefined });
  if (model.stringTask) meta[METADATA_KEYS.task] = JSON.stringify({ kind: 'strings', ...model.stringTask, expectFormula: undefined });
  return meta;
}
