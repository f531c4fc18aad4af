// The front half of the pipeline: source --parse--> AST --check--> CheckedModel (with its parameter
// audit). Kept apart from compile.ts so that `handwire check` loads no IR or ONNX code.
import { parse } from '../syntax/parse.ts';
import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import { checkModel } from './check-model.ts';
import { AUDIT_CHECK_OPTIONS, auditChecked } from './audit.ts';
import type { CheckedModel } from './model.ts';

export interface CheckOutput {
  diagnostics: Diagnostic[];
  model?: CheckedModel;
}

export interface CheckSourceOptions {
  /** Classify every number for the parameter audit (model.audit). On by default; `handwire check`
   * turns it off, since it prints only diagnostics and the audit adds none. */
  audit?: boolean;
}

export function checkSource(source: string, opts: CheckSourceOptions = {}): CheckOutput {
  const parsed = parse(source);
  if (!parsed.ast || hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  // One check: with the audit, it also keeps the logs the audit reads (each weight formula's
  // constants, and for every number the parameters it was computed from).
  const audit = opts.audit !== false;
  const checked = checkModel(parsed.ast, source, audit ? AUDIT_CHECK_OPTIONS : {});
  const diagnostics = [...parsed.diagnostics, ...checked.diagnostics];
  if (!checked.model) return { diagnostics };
  if (!audit) return { diagnostics, model: checked.model };
  return { diagnostics, model: { ...checked.model, audit: auditChecked(checked.model, checked.checker) } };
}
