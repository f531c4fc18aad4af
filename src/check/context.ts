// What a block checker (attention, MLP, norms, the task) may use of the model being checked. The
// block modules receive this interface rather than the ModelChecker class, so they do not import
// check-model.ts, which imports them: the dependency runs one way, from the checker to its parts.
import type { Expr, Span } from '../syntax/ast.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { Evaluator, Scope, Value } from './evaluate.ts';
import type { InputNames } from './linear-map.ts';
import type { Deps } from './dependencies.ts';

export interface CheckContext {
  /** Where every problem found goes; a block checker reports by pushing onto it. */
  readonly diags: Diagnostic[];
  readonly ev: Evaluator;
  /** The global scope: parameters, lets and functions declared at the top of the model. */
  readonly scope: Scope;
  /** The residual channels by name, one entry per channel (`big`, `digit[0]`, …). */
  readonly channels: readonly string[];
  /** How formulas over the residual name its channels (scalars, groups, `x`). */
  readonly residualInputs: InputNames;
  readonly channelGroups: ReadonlyMap<string, { start: number; length: number }>;
  /** Positions the model is built for (0 when neither a task nor `context` sets it). */
  readonly context: number;
  /** A norm declared by name (`let ln = layernorm(…)`), to be checked where it is used. */
  namedNorm(name: string): { value: Expr; span: Span } | undefined;
  /** Runs one checking step; an evaluation error becomes a diagnostic and the step yields undefined. */
  guard<T>(f: () => T): T | undefined;
  /** Runs `f`, recording which declared names it read (they count as used, and feed the audit). */
  markRead<T>(f: () => T): { value: T; reads: Set<string> };
  /** Evaluates a formula in the global scope (or in `scope`). */
  evaluate(e: Expr, scope?: Scope): Value;
  /** The same, with the dependencies of every number when the model keeps a dependency log. */
  evaluateTracked(e: Expr, scope?: Scope): { value: Value; deps?: Deps };
  /** The source text of a span. */
  text(span: Span): string;
}
