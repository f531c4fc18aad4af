// The pipeline in one function, stage by stage:
//   source --parse--> AST --check--> CheckedModel --modelToIr--> IrGraph --irToOnnx--> ONNX bytes
// Each stage is a pure function of the previous stage's output; this file only strings them
// together and stops at the first stage that reports errors.
import { checkSource, type CheckOutput } from './check/check-source.ts';
import { modelToIr } from './ir/model-to-ir.ts';
import { decodeUnsupportedReason, modelToDecodeIr } from './ir/decode-ir.ts';
import { modelToTeacherForcedIr } from './ir/teacher-forced-ir.ts';
import { irToOnnx } from './onnx/ir-to-onnx.ts';
import type { CheckedModel } from './check/model.ts';
import type { FloatDType, IrGraph } from './ir/types.ts';

export { checkSource, type CheckOutput };

export interface CompileOutput extends CheckOutput {
  /** The graph with every `repeat` unrolled: what the analyses read (prove's bounds, the numpy
   * export, inspect's probes walk one flat list of nodes). Same logits as `onnx`. */
  ir?: IrGraph;
  /** The model as ONNX, each `repeat` one Loop node (its size does not grow with the count). */
  onnx?: Uint8Array;
}

export function compileSource(source: string, opts: { dtype?: FloatDType } = {}): CompileOutput {
  const checked = checkSource(source);
  if (!checked.model) return checked;
  const ir = modelToIr(checked.model, { dtype: opts.dtype, loops: 'unroll' });
  const onnx = checked.model.loops?.length ? irToOnnx(modelToIr(checked.model, { dtype: opts.dtype })) : irToOnnx(ir);
  return { ...checked, ir, onnx };
}

/** The second graph for fast greedy decoding (one new position per step, keys and values cached),
 * or why this model cannot have one (then decode by full recompute). */
export function compileDecodeGraph(model: CheckedModel, opts: { dtype?: FloatDType } = {}): { onnx: Uint8Array } | { reason: string } {
  const reason = decodeUnsupportedReason(model);
  if (reason) return { reason };
  return { onnx: irToOnnx(modelToDecodeIr(model, { dtype: opts.dtype })) };
}

/** The graph that checks `answer` known answer tokens in one run (src/ir/teacher-forced-ir.ts), or
 * why this model cannot have one (the same causality the decode graph needs). */
export function compileTeacherForcedGraph(model: CheckedModel, opts: { dtype?: FloatDType; answer: number }): { onnx: Uint8Array } | { reason: string } {
  const reason = decodeUnsupportedReason(model);
  if (reason) return { reason };
  return { onnx: irToOnnx(modelToTeacherForcedIr(model, opts)) };
}
