// Reading an affine map off a formula. A projection is written as math over named inputs
// (`[wq[0] big, wq[1] big]`, `c_attn[0:4] x`, `C (h[1] - h[0])`); we evaluate it at zero (the
// bias) and at each unit input (bias + one column), then confirm on random inputs that the formula
// really is affine, so a stray `big^2` is an error instead of a silently wrong matrix.
import type { Expr, Span } from '../syntax/ast.ts';
import type { AffineMap } from './model.ts';
import { EvalError, Evaluator, flatten, Scope, describeShape, type Value } from './evaluate.ts';
import { diag } from '../diagnostics.ts';
import { LIMITS } from '../limits.ts';
import { CONSTANT_TERM, inputSupport, leaves, NONLINEAR_TERM, NO_PARAMS, unionParams, type ParamSet } from './dependencies.ts';

/** How the inputs of a map are named: single names (channels), vector names (groups, `x`, `out`). */
export interface InputNames {
  size: number;
  scalars: { name: string; index: number }[];
  vectors: { name: string; start: number; length: number }[];
}

function bind(scope: Scope, inputs: InputNames, x: Float64Array, tracked = false): void {
  // Tracked, each input is a term of its own, so a coefficient's parameters are told from the bias's.
  for (const s of inputs.scalars) scope.set(s.name, x[s.index], tracked ? inputSupport(s.index) : undefined);
  for (const v of inputs.vectors) {
    const deps = tracked ? Array.from({ length: v.length }, (_, k) => inputSupport(v.start + k)) : undefined;
    scope.set(v.name, Array.from(x.subarray(v.start, v.start + v.length)), deps);
  }
}

/** From the tracked evaluation at zero: the parameters behind each weight (the terms that multiply
 * its input) and each bias (the constant term); a product of inputs, which the affine check
 * refuses unless it cancels, is charged to every entry of its row. */
function mapDependencies(supports: ReturnType<typeof leaves>, n: number): { weight: ParamSet[]; bias: ParamSet[] } {
  const weight: ParamSet[] = [];
  const bias: ParamSet[] = [];
  for (const s of supports) {
    const nonlinear = s.get(NONLINEAR_TERM) ?? NO_PARAMS;
    for (let j = 0; j < n; j++) weight.push(unionParams(s.get(j) ?? NO_PARAMS, nonlinear));
    bias.push(unionParams(s.get(CONSTANT_TERM) ?? NO_PARAMS, nonlinear));
  }
  return { weight, bias };
}

/** Evaluates `expr` as an affine function of the inputs. `outSize` (when known) is checked. */
export function affineMap(
  ev: Evaluator,
  expr: Expr,
  outer: Scope,
  inputs: InputNames,
  what: string,
  outSize?: number,
  opts: { allowMinusInfBias?: boolean } = {},
): AffineMap {
  const n = inputs.size;
  const raw = (x: Float64Array): number[] => {
    const scope = outer.child();
    bind(scope, inputs, x);
    const v: Value = ev.evaluate(expr, scope);
    return flatten(v).map(Number);
  };
  let at = raw;
  const zero = new Float64Array(n);
  // With a dependency log, the evaluation at zero is the tracked one: it gives the bias and, for
  // every number, the parameters it was computed from.
  let supports: ReturnType<typeof leaves> | undefined;
  let bias: number[];
  if (ev.log) {
    const scope = outer.child();
    bind(scope, inputs, zero, true);
    const { value, deps } = ev.evaluateTracked(expr, scope);
    bias = flatten(value).map(Number);
    supports = leaves(deps);
  } else bias = at(zero);
  const rows = bias.length;
  // A head may give a token a bias of -inf ("never predicted"); the map is read off the finite
  // part and the -inf entries are put back at the end.
  const never = bias.map((b) => opts.allowMinusInfBias === true && b === -Infinity);
  const finitePart = (y: number[]) => y.map((v, i) => (never[i] ? 0 : v));
  at = (x) => finitePart(raw(x));
  const finiteBias = finitePart(bias);
  if (outSize !== undefined && rows !== outSize) {
    const value = ev.evaluate(expr, withInputs(outer, inputs, zero));
    throw new EvalError(
      diag('HW013', `${what} has ${rows} output${rows === 1 ? '' : 's'} but ${outSize} are needed`, expr.span, {
        hint: `the formula gives ${describeShape(value)}`,
      }),
    );
  }
  // Reading the map costs one evaluation per input, each as large as the output: refuse a matrix
  // too large to build before building it (an mlp's `in` sets its own width when `width` is absent).
  if (rows * n > LIMITS.tableEntries) {
    throw new EvalError(diag('HW029', `${what} would be a ${rows} × ${n} matrix, over the limit of ${LIMITS.tableEntries} entries`, expr.span));
  }
  const weight = new Float64Array(rows * n);
  for (let j = 0; j < n; j++) {
    const unit = new Float64Array(n);
    unit[j] = 1;
    const col = at(unit);
    for (let i = 0; i < rows; i++) weight[i * n + j] = col[i] - finiteBias[i];
  }
  checkAffine(at, weight, finiteBias, n, rows, expr.span, what);
  for (const v of finiteBias) if (!Number.isFinite(v)) throw nonFinite(expr.span, what);
  for (const v of weight) if (!Number.isFinite(v)) throw nonFinite(expr.span, what);
  const map: AffineMap = {
    weight: { rows, cols: n, data: weight },
    bias: Float64Array.from(bias.map((_b, i) => (never[i] ? -Infinity : finiteBias[i]))),
    biasIsZero: bias.every((b) => b === 0),
    span: expr.span,
  };
  if (ev.log && supports) {
    const deps = mapDependencies(supports, n);
    ev.log.record(map.weight.data, deps.weight);
    ev.log.record(map.bias, deps.bias);
  }
  return map;
}

function withInputs(outer: Scope, inputs: InputNames, x: Float64Array): Scope {
  const s = outer.child();
  bind(s, inputs, x);
  return s;
}

function nonFinite(span: Span, what: string): EvalError {
  return new EvalError(diag('HW014', `${what} has a coefficient that is not a finite number`, span));
}

/** Two deterministic probe points (no randomness: the same source must always check the same). */
function checkAffine(
  at: (x: Float64Array) => number[],
  weight: Float64Array,
  bias: number[],
  n: number,
  rows: number,
  span: Span,
  what: string,
): void {
  for (const probe of [0.37, -1.93]) {
    const x = new Float64Array(n);
    for (let j = 0; j < n; j++) x[j] = probe * (1 + 0.61 * j) * (j % 2 === 0 ? 1 : -1);
    const y = at(x);
    for (let i = 0; i < rows; i++) {
      let predicted = bias[i];
      let magnitude = Math.abs(bias[i]);
      for (let j = 0; j < n; j++) {
        predicted += weight[i * n + j] * x[j];
        magnitude += Math.abs(weight[i * n + j] * x[j]);
      }
      if (!(Math.abs(y[i] - predicted) <= 1e-9 * magnitude + 1e-300)) {
        throw new EvalError(
          diag('HW018', `${what} is not a linear function of its inputs (output ${i} is not)`, span, {
            hint: 'projections may only add and scale their inputs: no products of two inputs, powers or functions of them',
          }),
        );
      }
    }
  }
}
