// Formulas that read `N`, the length of the sequence being run. A compiled model serves every length
// up to its context, so such a formula cannot become one fixed table: it is split, at compile time,
// into the parts that do not depend on N, evaluated in float64 into one table over the formula's
// points (positions, or head × query × key), and the few operations that combine them with N, which
// the IR lowers to tensor operations run at run time. Only arithmetic may touch N; everything the
// evaluator can do (lets, functions, indexing, trig) stays available to the N-free parts.
import type { Expr } from '../syntax/ast.ts';
import type { CheckContext } from './context.ts';
import type { Scope, UserFunction, Value } from './evaluate.ts';
import type { LengthBinary, LengthExpr, LengthUnary } from './model.ts';

export type { LengthExpr };

/** The name a formula reads the run's sequence length by. */
export const LENGTH_NAME = 'N';

/** Points of a formula: how many, and how to bind the index variables of one of them. */
export interface LengthPoints {
  count: number;
  bind(scope: Scope, point: number): void;
  /** Points whose value is never used (keys a causal mask excludes): an evaluation error there is
   * not the model's problem, so the value is left 0. */
  ignored?(point: number): boolean;
}

const BINARY: Partial<Record<string, LengthBinary>> = { '+': 'Add', '-': 'Sub', '*': 'Mul', '/': 'Div', '^': 'Pow' };
const UNARY_FUNCTIONS: Partial<Record<string, LengthUnary>> = { sqrt: 'Sqrt', exp: 'Exp', ln: 'Log', abs: 'Abs' };

/** Which local names stand for N-dependent values (function parameters bound to them). */
type Dependence = ReadonlyMap<string, boolean>;

/** True when `e` reads N, directly, through a `let` function's body, or through a parameter bound to
 * a value that does. */
export function readsLength(e: Expr, scope: Scope, deps: Dependence = new Map(), visiting = new Set<string>()): boolean {
  const r = (x: Expr, d: Dependence = deps) => readsLength(x, scope, d, visiting);
  switch (e.kind) {
    case 'num':
    case 'str':
      return false;
    case 'name':
      // A model that declares its own `N` means that value: the length is N only where N is free.
      return deps.has(e.name) ? deps.get(e.name)! : e.name === LENGTH_NAME && !scope.has(LENGTH_NAME);
    case 'unary':
      return r(e.operand);
    case 'binary':
      return r(e.left) || r(e.right);
    case 'cond':
      return r(e.test) || r(e.then) || r(e.else);
    case 'index':
      return r(e.target) || r(e.index) || (e.end !== undefined && r(e.end));
    case 'vector':
      return e.items.some((i) => r(i));
    case 'comprehension': {
      if (r(e.from) || r(e.to)) return true;
      const inner = new Map(deps);
      inner.set(e.variable, false);
      return r(e.body, inner);
    }
    case 'call': {
      const argDeps = e.args.map((a) => r(a.value));
      if (argDeps.some(Boolean)) return true;
      const f = deps.has(e.callee) ? undefined : userFunction(scope, e.callee);
      if (!f || visiting.has(f.name)) return false;
      visiting.add(f.name);
      try {
        const inner = new Map(deps);
        f.params.forEach((p) => inner.set(p, false));
        return readsLength(f.body, scope, inner, visiting);
      } finally {
        visiting.delete(f.name);
      }
    }
  }
}

function userFunction(scope: Scope, name: string): UserFunction | undefined {
  const v = scope.has(name) ? scope.get(name) : undefined;
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

/**
 * Splits a scalar formula that reads N into N-free tables and operations on N. `locals` are function
 * parameters bound (by an inlined call) to split values.
 */
export function stageLength(c: CheckContext, e: Expr, scope: Scope, points: LengthPoints, locals: Map<string, LengthExpr> = new Map()): LengthExpr {
  const deps = new Map([...locals].map(([k, v]) => [k, v.kind !== 'table'] as [string, boolean]));
  if (!readsLength(e, scope, deps)) return table(c, e, scope, points, locals);
  const s = (x: Expr) => stageLength(c, x, scope, points, locals);
  switch (e.kind) {
    case 'name':
      return locals.get(e.name) ?? { kind: 'length' };
    case 'unary':
      if (e.op === '+') return s(e.operand);
      if (e.op === '-') return { kind: 'unary', op: 'Neg', x: s(e.operand) };
      break;
    case 'binary': {
      const op = BINARY[e.op];
      if (op) return { kind: 'binary', op, a: s(e.left), b: s(e.right) };
      break;
    }
    case 'cond': {
      const t = e.test;
      if (t.kind === 'binary' && ['<', '>', '<=', '>=', '==', '!='].includes(t.op)) {
        const [a, b] = t.op === '>' || t.op === '<=' ? [s(t.right), s(t.left)] : [s(t.left), s(t.right)];
        const op = t.op === '==' || t.op === '!=' ? 'Equal' : 'Less';
        const negate = t.op === '<=' || t.op === '>=' || t.op === '!=';
        return { kind: 'where', test: { op, a, b, negate }, then: s(e.then), else: s(e.else) };
      }
      throw c.ev.error('HW021', 'a condition that reads N must be one comparison (`a < b`, `a == b`, …)', t.span);
    }
    case 'call': {
      const f = userFunction(scope, e.callee);
      if (f) {
        if (e.args.length !== f.params.length) break;
        const inner = new Map(locals);
        f.params.forEach((p, i) => inner.set(p, s(e.args[i]!.value)));
        // The body sees the parameters as split values and everything else through `scope`.
        const bodyScope = scope.child();
        return stageLength(c, f.body, bodyScope, points, inner);
      }
      const unary = UNARY_FUNCTIONS[e.callee];
      if (unary && e.args.length === 1 && !e.args[0]!.name) return { kind: 'unary', op: unary, x: s(e.args[0]!.value) };
      if ((e.callee === 'min' || e.callee === 'max') && e.args.length >= 2 && e.args.every((a) => !a.name)) {
        const op = e.callee === 'min' ? 'Min' : 'Max';
        return e.args.slice(1).reduce<LengthExpr>((acc, a) => ({ kind: 'binary', op, a: acc, b: s(a.value) }), s(e.args[0]!.value));
      }
      break;
    }
  }
  throw c.ev.error('HW021', 'a formula that reads N (the sequence length) may only combine it by + − * / ^, sqrt, exp, ln, abs, min, max and one comparison', e.span,
    'compute everything else (trig, indexing, vectors) from the positions alone, and combine it with N by arithmetic');
}

/** An N-free scalar formula evaluated at every point. */
function table(c: CheckContext, e: Expr, scope: Scope, points: LengthPoints, locals: Map<string, LengthExpr>): LengthExpr {
  const values = new Float64Array(points.count);
  for (let pt = 0; pt < points.count; pt++) {
    const s = scope.child();
    points.bind(s, pt);
    for (const [name, v] of locals) if (v.kind === 'table') s.set(name, v.values[pt]!);
    let v: Value;
    try {
      v = c.evaluate(e, s);
    } catch (err) {
      if (points.ignored?.(pt)) continue;
      throw err;
    }
    if (typeof v === 'boolean') v = v ? 1 : 0;
    if (typeof v !== 'number') throw c.ev.error('HW021', 'in a formula that reads N, each part must be a single number', e.span);
    values[pt] = v;
  }
  const first = values[0];
  const constant = values.every((x) => Object.is(x, first));
  return constant && first !== undefined ? { kind: 'table', values, scalar: first } : { kind: 'table', values };
}

/** The formula's float64 value at one point for one length (the checker's finiteness check, and the
 * table a consumer without run-time N sees at the longest length). */
export function evaluateLength(e: LengthExpr, point: number, n: number): number {
  switch (e.kind) {
    case 'table':
      return e.values[point]!;
    case 'length':
      return n;
    case 'unary': {
      const x = evaluateLength(e.x, point, n);
      return e.op === 'Neg' ? -x : e.op === 'Sqrt' ? Math.sqrt(x) : e.op === 'Exp' ? Math.exp(x) : e.op === 'Log' ? Math.log(x) : Math.abs(x);
    }
    case 'binary':
      return binaryValue(e.op, evaluateLength(e.a, point, n), evaluateLength(e.b, point, n));
    case 'where': {
      const a = evaluateLength(e.test.a, point, n);
      const b = evaluateLength(e.test.b, point, n);
      const t = (e.test.op === 'Less' ? a < b : a === b) !== e.test.negate;
      return evaluateLength(t ? e.then : e.else, point, n);
    }
  }
}

function binaryValue(op: LengthBinary, a: number, b: number): number {
  switch (op) {
    case 'Add':
      return a + b;
    case 'Sub':
      return a - b;
    case 'Mul':
      return a * b;
    case 'Div':
      return a / b;
    case 'Pow':
      return Math.pow(a, b);
    case 'Max':
      return Math.max(a, b);
    case 'Min':
      return Math.min(a, b);
  }
}

/** The lengths at which a length formula is checked: every one up to 2048, then a spread. */
export function lengthsToCheck(context: number): number[] {
  if (context <= 2048) return Array.from({ length: context }, (_, i) => i + 1);
  const out = new Set<number>();
  for (let n = 1; n <= 512; n++) out.add(n);
  for (let n = context - 511; n <= context; n++) out.add(n);
  for (let n = 512; n < context; n = Math.ceil(n * 1.01)) out.add(n);
  return [...out];
}
