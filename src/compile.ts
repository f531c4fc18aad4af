// The pipeline in one function, stage by stage:
//   source --parse--> AST --check--> CheckedModel --modelToIr--> IrGraph --irToOnnx--> ONNX bytes
// Each stage is a pure function of the previous stage's output; this file only strings them
// together and stops at the first stage that reports errors.
import { parse } from './syntax/parse.ts';
import { checkModel } from './check/check-model.ts';
import { auditModel } from './check/audit.ts';
import { modelToIr } from './ir/model-to-ir.ts';
import { decodeUnsupportedReason, modelToDecodeIr } from './ir/decode-ir.ts';
import { irToOnnx } from './onnx/ir-to-onnx.ts';
import { hasErrors, type Diagnostic } from './diagnostics.ts';
import type { CheckedModel } from './check/model.ts';
import type { FloatDType, IrGraph } from './ir/types.ts';

export interface CheckOutput {
  diagnostics: Diagnostic[];
  model?: CheckedModel;
}

export interface CompileOutput extends CheckOutput {
  ir?: IrGraph;
  onnx?: Uint8Array;
}

export function checkSource(source: string): CheckOutput {
  const parsed = parse(source);
  if (!parsed.ast || hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  const checked = checkModel(parsed.ast, source);
  if (!checked.model) return { diagnostics: [...parsed.diagnostics, ...checked.diagnostics] };
  // The audit checks the file twice more (once recording constants, once with every parameter
  // nudged) to classify every number; a clean check has already succeeded, so it cannot fail here.
  const { audit } = auditModel(parsed.ast, source);
  return { diagnostics: [...parsed.diagnostics, ...checked.diagnostics], model: { ...checked.model, audit } };
}

export function compileSource(source: string, opts: { dtype?: FloatDType } = {}): CompileOutput {
  const checked = checkSource(source);
  if (!checked.model) return checked;
  const ir = modelToIr(checked.model, { dtype: opts.dtype });
  const onnx = irToOnnx(ir);
  return { ...checked, ir, onnx };
}

/** The second graph for fast greedy decoding (one new position per step, keys and values cached),
 * or why this model cannot have one (then decode by full recompute). */
export function compileDecodeGraph(model: CheckedModel, opts: { dtype?: FloatDType } = {}): { onnx: Uint8Array } | { reason: string } {
  const reason = decodeUnsupportedReason(model);
  if (reason) return { reason };
  return { onnx: irToOnnx(modelToDecodeIr(model, { dtype: opts.dtype })) };
}
