// The front half of the pipeline: source --parse--> AST --check--> CheckedModel (with its parameter
// audit). Kept apart from compile.ts so that `handwire check` loads no IR or ONNX code.
import { parse } from '../syntax/parse.ts';
import { hasErrors, type Diagnostic } from '../diagnostics.ts';
import { checkModel } from './check-model.ts';
import { auditModel } from './audit.ts';
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
  const checked = checkModel(parsed.ast, source);
  if (!checked.model) return { diagnostics: [...parsed.diagnostics, ...checked.diagnostics] };
  // The audit checks the file twice more (once recording constants, once with every parameter
  // nudged) to classify every number; a clean check has already succeeded, so it cannot fail here.
  if (opts.audit === false) return { diagnostics: [...parsed.diagnostics, ...checked.diagnostics], model: checked.model };
  const { audit } = auditModel(parsed.ast, source);
  return { diagnostics: [...parsed.diagnostics, ...checked.diagnostics], model: { ...checked.model, audit } };
}
