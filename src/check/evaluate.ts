// Formula evaluation. The walk over the AST only resolves names, binds index variables and keeps
// spans for diagnostics; every arithmetic operation and function is mathjs's (matrix products,
// broadcasting, trig, …), so the numbers mean what the math library says they mean.
import type { MathJsInstance } from 'mathjs';
import { loadMathjs } from './mathjs.ts';
import type { Expr, Span } from '../syntax/ast.ts';
import { diag, didYouMean, type Diagnostic } from '../diagnostics.ts';
import { SEQUENCE_FUNCTIONS } from './sequence-functions.ts';
import {
  broadcastDeps, constantDeps, constantSupport, dotDeps, functionSupport, mapDeps, matrixProductDeps, movedDeps, outerDeps,
  productSupport, sumDeps, sumSupport, wholeDeps, type Deps, type DependencyLog,
} from './dependencies.ts';

let mathInstance: MathJsInstance | undefined;
/** The mathjs instance formulas are computed with, created on first use (see ./mathjs.ts). */
const math = new Proxy({} as MathJsInstance, {
  get(_, key) {
    mathInstance ??= (({ create, all }) => create(all, { matrix: 'Array', number: 'number', precision: 64 }))(loadMathjs());
    return Reflect.get(mathInstance, key);
  },
});

export type Value = number | boolean | Value[];

/** A user function from `let f(a, b) = …`. */
export interface UserFunction {
  kind: 'function';
  name: string;
  params: string[];
  body: Expr;
  span: Span;
}

export type Binding = Value | UserFunction;

/** Thrown inside evaluation, caught by the checker at the declaration it belongs to. */
export class EvalError extends Error {
  constructor(readonly diagnostic: Diagnostic | undefined) {
    super(diagnostic?.message ?? 'error in an earlier declaration');
  }
}

/** Names visible to a formula. Lookups fall through to the parent scope. */
export class Scope {
  private readonly vars = new Map<string, Binding>();
  /** The dependency log's entries for values bound here (parameters, lets, projection inputs);
   * a value without one reads nothing (an index variable, a number). */
  private deps?: Map<string, Deps>;
  constructor(readonly parent?: Scope, readonly onRead?: (name: string) => void) {}

  set(name: string, value: Binding, deps?: Deps): void {
    this.vars.set(name, value);
    if (deps !== undefined) {
      this.deps ??= new Map();
      this.deps.set(name, deps);
    }
    else this.deps?.delete(name);
  }

  /** The dependencies of the value `name` resolves to (as get resolves it), if recorded. */
  depsOf(name: string): Deps | undefined {
    if (this.vars.has(name)) return this.deps?.get(name);
    return this.parent?.depsOf(name);
  }

  has(name: string): boolean {
    return this.vars.has(name) || (this.parent?.has(name) ?? false);
  }

  get(name: string): Binding | undefined {
    const v = this.vars.get(name);
    if (v !== undefined) {
      this.onRead?.(name);
      return v;
    }
    return this.parent?.get(name);
  }

  /** True when `name` resolves to this chain's outermost scope (not a local such as an index
   * variable or a function parameter that shadows it). */
  isGlobal(name: string): boolean {
    if (this.vars.has(name)) return this.parent === undefined;
    return this.parent?.isGlobal(name) ?? false;
  }

  names(): string[] {
    return [...this.vars.keys(), ...(this.parent?.names() ?? [])];
  }

  child(): Scope {
    return new Scope(this);
  }
}

export const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, tau: 2 * Math.PI, inf: Infinity };

/** Refused before they are built: values with more entries than this (they would exhaust memory),
 * and formulas or `let` function calls nested deeper than this (they would exhaust the stack). */
export const EVAL_LIMITS = { entries: 10_000_000, depth: 1000, calls: 200 };

/** The mathjs function behind each binary operator. Looked up per use: reading `math.add` makes
 * mathjs build that function (and what it depends on), so a table of all of them read at once would
 * build every operator on the first `+`. */
const BINARY_OPERATORS: Record<string, (a: any, b: any) => unknown> = {
  '+': (a, b) => math.add(a, b),
  '-': (a, b) => math.subtract(a, b),
  '*': (a, b) => math.multiply(a, b),
  '/': (a, b) => math.divide(a, b),
  '%': (a, b) => math.mod(a, b),
  '^': (a, b) => math.pow(a, b),
  '==': (a, b) => math.equal(a, b),
  '!=': (a, b) => math.unequal(a, b),
  '<': (a, b) => math.smaller(a, b),
  '<=': (a, b) => math.smallerEq(a, b),
  '>': (a, b) => math.larger(a, b),
  '>=': (a, b) => math.largerEq(a, b),
  and: (a, b) => math.and(a, b),
  or: (a, b) => math.or(a, b),
};

/**
 * `a op b` for two numbers where mathjs (configured with number: 'number') computes exactly the
 * IEEE operation JavaScript does: + − × ÷, and ^ unless the base is negative and the exponent not
 * an integer (mathjs then gives a complex number). Undefined for everything else, which mathjs
 * then computes. Why: mathjs builds each function's typed dispatcher on first use, ~80 ms that
 * was most of a small `handwire check`; most formula arithmetic is on scalars.
 * test/evaluate-scalar.test.ts checks every case against mathjs itself.
 */
/** Below this size integers compare exactly under mathjs's tolerance (relTol 1e-12 of the larger,
 * so two integers closer than 1 compare equal only past 1e12): comparisons are plain JS there. */
const EXACT_INTEGER = 2 ** 31;

function smallInteger(x: Value): x is number {
  return typeof x === 'number' && Number.isInteger(x) && Math.abs(x) < EXACT_INTEGER;
}

/** A vector or matrix of plain numbers (not booleans). */
function numberArray(x: Value): x is Value[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number' || numberArray(v));
}

function mapNumbers(x: Value, f: (v: number) => number): Value {
  return Array.isArray(x) ? x.map((v) => mapNumbers(v, f)) : f(x as number);
}

/**
 * `l op r` where JavaScript computes exactly what mathjs would, without mathjs; undefined where
 * mathjs must compute it. Covered: arithmetic on two numbers (scalarArithmetic), a number times or
 * over an array of numbers (mathjs multiplies each entry), comparisons of two small integers (no
 * tolerance comes into play), and `and`/`or` of two booleans.
 */
export function fastBinary(op: string, l: Value, r: Value): Value | undefined {
  if (typeof l === 'number' && typeof r === 'number') {
    const v = scalarArithmetic(op, l, r);
    if (v !== undefined) return v;
  }
  if (op === '*' && typeof l === 'number' && numberArray(r)) return mapNumbers(r, (v) => l * v);
  if (op === '*' && typeof r === 'number' && numberArray(l)) return mapNumbers(l, (v) => v * r);
  if (op === '/' && typeof r === 'number' && numberArray(l)) return mapNumbers(l, (v) => v / r);
  if (smallInteger(l) && smallInteger(r)) {
    switch (op) {
      case '==':
        return l === r;
      case '!=':
        return l !== r;
      case '<':
        return l < r;
      case '<=':
        return l <= r;
      case '>':
        return l > r;
      case '>=':
        return l >= r;
    }
  }
  if (typeof l === 'boolean' && typeof r === 'boolean') {
    if (op === 'and') return l && r;
    if (op === 'or') return l || r;
  }
  return undefined;
}

export function scalarArithmetic(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '^':
      return a >= 0 || Number.isInteger(b) ? Math.pow(a, b) : undefined;
    default:
      return undefined;
  }
}

/** One-argument functions of a number that mathjs computes with the Math function of the same
 * name (for sqrt and ln: when the argument is not negative; mathjs gives a complex number then).
 * Undefined means: let mathjs compute it. Same reason and test as scalarArithmetic. */
export const SCALAR_FUNCTIONS: Record<string, (x: number) => number | undefined> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  atan: Math.atan,
  tanh: Math.tanh,
  exp: Math.exp,
  abs: Math.abs,
  sqrt: (x) => (x >= 0 ? Math.sqrt(x) : undefined),
  ln: (x) => (x >= 0 ? Math.log(x) : undefined),
};

/** Functions a formula may call: arity bounds and the mathjs function that does the work. */
const FUNCTIONS: Record<string, { min: number; max: number; fn: (...a: any[]) => Value; entries?: (...a: Value[]) => number }> = {
  sqrt: { min: 1, max: 1, fn: (x) => math.sqrt(x) as Value },
  exp: { min: 1, max: 1, fn: (x) => math.exp(x) as Value },
  ln: { min: 1, max: 1, fn: (x) => math.log(x) as Value },
  log: { min: 1, max: 2, fn: (x, b) => (b === undefined ? math.log(x) : math.log(x, b)) as Value },
  log10: { min: 1, max: 1, fn: (x) => math.log10(x) as Value },
  log2: { min: 1, max: 1, fn: (x) => math.log2(x) as Value },
  sin: { min: 1, max: 1, fn: (x) => math.sin(x) as Value },
  cos: { min: 1, max: 1, fn: (x) => math.cos(x) as Value },
  tan: { min: 1, max: 1, fn: (x) => math.tan(x) as Value },
  asin: { min: 1, max: 1, fn: (x) => math.asin(x) as Value },
  acos: { min: 1, max: 1, fn: (x) => math.acos(x) as Value },
  atan: { min: 1, max: 1, fn: (x) => math.atan(x) as Value },
  atan2: { min: 2, max: 2, fn: (y, x) => math.atan2(y, x) as Value },
  sinh: { min: 1, max: 1, fn: (x) => math.sinh(x) as Value },
  cosh: { min: 1, max: 1, fn: (x) => math.cosh(x) as Value },
  tanh: { min: 1, max: 1, fn: (x) => math.tanh(x) as Value },
  pow: { min: 2, max: 2, fn: (x, y) => math.pow(x, y) as Value },
  abs: { min: 1, max: 1, fn: (x) => math.abs(x) as Value },
  sign: { min: 1, max: 1, fn: (x) => math.sign(x) as Value },
  floor: { min: 1, max: 1, fn: (x) => math.floor(x) as Value },
  ceil: { min: 1, max: 1, fn: (x) => math.ceil(x) as Value },
  round: { min: 1, max: 1, fn: (x) => math.round(x) as Value },
  min: { min: 1, max: Infinity, fn: (...x) => math.min(...x) as Value },
  max: { min: 1, max: Infinity, fn: (...x) => math.max(...x) as Value },
  sum: { min: 1, max: 1, fn: (x) => math.sum(x) as Value },
  dot: { min: 2, max: 2, fn: (a, b) => math.dot(a, b) as Value },
  transpose: { min: 1, max: 1, fn: (x) => math.transpose(x) as Value },
  // `entries` bounds the size of the result, checked before the function allocates it.
  concat: { min: 1, max: Infinity, fn: (...x) => math.concat(...x) as Value, entries: (...x) => x.reduce<number>((n, v) => n + entries(v), 0) },
  zeros: { min: 1, max: 2, fn: (...n) => math.zeros(...n) as unknown as Value, entries: (...n) => product(n) },
  ones: { min: 1, max: 2, fn: (...n) => math.ones(...n) as unknown as Value, entries: (...n) => product(n) },
  eye: { min: 1, max: 1, fn: (n) => math.identity(n) as unknown as Value, entries: (n) => (Array.isArray(n) ? product(n) : product([n, n])) },
  diag: { min: 1, max: 1, fn: (x) => math.diag(x) as unknown as Value, entries: (x) => entries(x) ** 2 },
  outer: { min: 2, max: 2, fn: (a, b) => math.multiply(math.transpose([a]), [b]) as Value, entries: (a, b) => entries(a) * entries(b) },
  len: { min: 1, max: 1, fn: (x) => (Array.isArray(x) ? x.length : 1) },
  ...SEQUENCE_FUNCTIONS,
  // `token(n)` needs the vocabulary's names: the evaluator computes it (see call()).
  token: { min: 1, max: 1, fn: () => 0 },
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS);

/** Number of entries of a value (1 for a scalar). */
function entries(v: Value): number {
  return shapeOf(v).reduce((a, b) => a * b, 1);
}

/** Product of size arguments such as zeros(n, m)'s; anything that is not a count is left for mathjs
 * to reject with its own message. */
function product(sizes: Value[]): number {
  return flatten(sizes).reduce((a, b) => (Number.isFinite(b) && b > 0 ? a * b : a), 1);
}

/** An upper bound on the entries of `l op r`: the matrix product's shape for `*`, otherwise the
 * broadcast shape (the larger size in each trailing dimension). */
function resultEntries(op: string, l: Value, r: Value): number {
  const a = shapeOf(l);
  const b = shapeOf(r);
  if (op === '*' && a.length > 0 && b.length > 0) return (a.length === 2 ? a[0] : 1) * (b.length === 2 ? b[1] : 1);
  let n = 1;
  for (let i = 1; i <= Math.max(a.length, b.length); i++) n *= Math.max(a[a.length - i] ?? 1, b[b.length - i] ?? 1);
  return n;
}

export function shapeOf(v: Value): number[] {
  if (!Array.isArray(v)) return [];
  if (v.length === 0) return [0];
  return [v.length, ...shapeOf(v[0])];
}

export function describeShape(v: Value): string {
  const s = shapeOf(v);
  return s.length === 0 ? 'a scalar' : `shape [${s.join(', ')}]`;
}

/** Evaluates formulas against a scope, reporting problems at the span that caused them. */
export class Evaluator {
  /** Names whose declaration failed: using them is not reported again. */
  readonly poisoned = new Set<string>();
  /** For the parameter audit: told of every number a formula takes from its own text (a literal
   * or a fixed `let` constant), except numbers that only select (indices, ranges, exponents,
   * conditions). */
  literalSink?: (value: number, span: Span, via?: string) => void;
  /** Names whose values count as fixed constants when read (the checker's `let` values). */
  constantNames = new Set<string>();
  /** The vocabulary's token names, which give quoted names ("BOS") and `token(n)` their ids. */
  tokenNames?: readonly string[];
  /** Names declared as norms (`let ln = layernorm(…)`): not values, so a formula cannot read them. */
  readonly normNames = new Set<string>();
  private quiet = 0;
  /** Current nesting of evaluate calls, and the product of the lengths of the ranges being looped. */
  private depth = 0;
  private rangeProduct = 1;
  /** Nesting of `let` function calls, limited separately so endless recursion is reported at a call. */
  private calls = 0;
  /** Inside evaluateTracked: every evaluate() leaves the dependencies of its value in `last`. */
  private tracking = 0;
  private last: Deps | undefined;
  /** For the parameter audit: where the checker records, per tensor entry, the parameters behind
   * it. Absent, nothing is tracked. */
  log?: DependencyLog;

  /**
   * Evaluates and also returns, for every number of the value, the parameters it was computed
   * from (see ./dependencies.ts). Only the audit asks for this; plain evaluate() skips the work.
   */
  evaluateTracked(e: Expr, scope: Scope): { value: Value; deps: Deps } {
    this.tracking++;
    try {
      const value = this.evaluate(e, scope);
      return { value, deps: this.last ?? constantDeps(value) };
    } finally {
      this.tracking--;
    }
  }

  /** The dependencies of the value the last evaluate() returned (while tracking). */
  private took(v: Value): Deps {
    if (this.tracking === 0) return NOT_TRACKED;
    return this.last ?? constantDeps(v);
  }

  private leave(v: Value, d: () => Deps): Value {
    if (this.tracking > 0) this.last = d();
    return v;
  }

  private record(v: Value, span: Span, via?: string): void {
    if (!this.literalSink || this.quiet > 0) return;
    for (const x of flatten(v)) this.literalSink(x, span, via);
  }

  /** Evaluates without reporting literals: the value selects rather than weighs. */
  private selector(e: Expr, scope: Scope): Value {
    this.quiet++;
    try {
      return this.evaluate(e, scope);
    } finally {
      this.quiet--;
    }
  }

  evaluate(e: Expr, scope: Scope): Value {
    if (this.depth >= EVAL_LIMITS.depth) {
      throw this.error('HW031', `evaluating this formula nests more than ${EVAL_LIMITS.depth} levels deep`, e.span,
        'split it into several `let` definitions');
    }
    this.depth++;
    try {
      if (this.tracking > 0) this.last = undefined;
      return this.evaluateNode(e, scope);
    } finally {
      this.depth--;
    }
  }

  private evaluateNode(e: Expr, scope: Scope): Value {
    switch (e.kind) {
      case 'num':
        this.record(e.value, e.span);
        return this.leave(e.value, () => constantSupport(e.value));
      case 'str': {
        const id = this.tokenId(e.value, e.span);
        return this.leave(id, () => constantSupport(id));
      }
      case 'name': {
        const v = this.lookup(e.name, e.span, scope);
        if (this.constantNames.has(e.name) && scope.isGlobal(e.name)) this.record(v, e.span, e.name);
        return this.leave(v, () => scope.depsOf(e.name) ?? constantDeps(v));
      }
      case 'unary': {
        const v = this.evaluate(e.operand, scope);
        const d = this.took(v);
        // Negation moves no entry and makes no zero: its operand's dependencies, term by term.
        if (e.op === '-' && typeof v === 'number') return this.leave(-v, () => d); // as mathjs's unaryMinus for a number
        if (e.op === '-') return this.leave(this.apply(() => math.unaryMinus(v as any) as Value, e.span, [v]), () => d);
        if (e.op === 'not') {
          const r = this.apply(() => math.not(v as any) as Value, e.span, [v]);
          return this.leave(r, () => mapDeps(r, d));
        }
        return this.leave(v, () => d);
      }
      case 'binary':
        return this.binary(e, scope);
      case 'cond': {
        const test = this.selector(e.test, scope);
        if (typeof test !== 'boolean' && typeof test !== 'number') {
          throw this.error('HW021', `a condition must be a single true/false value, not ${describeShape(test)}`, e.test.span);
        }
        return test ? this.evaluate(e.then, scope) : this.evaluate(e.else, scope);
      }
      case 'index':
        return this.index(e, scope);
      case 'vector': {
        const deps: Deps[] = [];
        const items = e.items.map((i) => {
          const v = this.evaluate(i, scope);
          if (this.tracking > 0) deps.push(this.took(v));
          return v;
        });
        this.checkRectangular(items, e.span);
        return this.leave(items, () => deps);
      }
      case 'comprehension': {
        const from = this.selectorInteger(e.from, scope, 'the start of a range');
        const to = this.selectorInteger(e.to, scope, 'the end of a range');
        if (to - from > 1_000_000) throw this.error('HW030', `range ${from}..${to} is too long (over a million items)`, e.span);
        // Nested ranges multiply: [[0 for i in 0..999999] for j in 0..999999] is refused up front.
        const outerProduct = this.rangeProduct;
        this.rangeProduct = outerProduct * Math.max(1, to - from + 1);
        if (this.rangeProduct > EVAL_LIMITS.entries) {
          this.rangeProduct = outerProduct;
          throw this.error('HW030', `these nested ranges run over ${EVAL_LIMITS.entries} times`, e.span);
        }
        try {
          const items: Value[] = [];
          const deps: Deps[] = [];
          let total = 0;
          for (let i = from; i <= to; i++) {
            const inner = scope.child();
            inner.set(e.variable, i);
            const item = this.evaluate(e.body, inner);
            if (this.tracking > 0) deps.push(this.took(item));
            total += entries(item);
            if (total > EVAL_LIMITS.entries) throw this.tooLarge(total, e.span);
            items.push(item);
          }
          this.checkRectangular(items, e.span);
          return this.leave(items, () => deps);
        } finally {
          this.rangeProduct = outerProduct;
        }
      }
      case 'call':
        return this.call(e, scope);
    }
  }

  /** A whole number that selects or sizes (a range end, a channel index, the context) rather than
   * weighs: its literals are not reported to the parameter audit. */
  selectorInteger(e: Expr, scope: Scope, what: string): number {
    this.quiet++;
    try {
      return this.integer(e, scope, what);
    } finally {
      this.quiet--;
    }
  }

  integer(e: Expr, scope: Scope, what: string): number {
    const v = this.evaluate(e, scope);
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw this.error('HW021', `${what} must be a whole number, not ${typeof v === 'number' ? v : describeShape(v)}`, e.span);
    }
    return v;
  }

  private lookup(name: string, span: Span, scope: Scope): Value {
    const v = scope.get(name);
    if (v !== undefined) {
      if (typeof v === 'object' && !Array.isArray(v)) {
        throw this.error('HW021', `\`${name}\` is a function: call it as ${name}(…)`, span);
      }
      return v;
    }
    if (name in CONSTANTS) return CONSTANTS[name];
    if (this.normNames.has(name)) throw this.normUse(name, span);
    if (this.poisoned.has(name)) throw new EvalError(undefined);
    if (name in FUNCTIONS) throw this.error('HW021', `\`${name}\` is a function: call it as ${name}(…)`, span);
    const hint = didYouMean(name, [...scope.names(), ...Object.keys(CONSTANTS)]);
    throw this.error('HW010', `unknown name \`${name}\``, span, hint);
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, scope: Scope): Value {
    const l = this.evaluate(e.left, scope);
    const dl = this.took(l);
    // An exponent shapes a formula (d^2) rather than weighing anything; comparisons select.
    const selects = e.op === '^' || ['==', '!=', '<', '<=', '>', '>='].includes(e.op);
    const r = selects ? this.selector(e.right, scope) : this.evaluate(e.right, scope);
    const dr = this.took(r);
    const result = this.binaryValue(e, l, r);
    return this.leave(result, () => binaryDeps(e.op, result, l, r, dl, dr));
  }

  private binaryValue(e: Extract<Expr, { kind: 'binary' }>, l: Value, r: Value): Value {
    if (e.op === '/' && isZero(r)) {
      throw this.error('HW015', 'division by zero', e.right.span, 'the divisor evaluates to 0');
    }
    if (e.op === '%' && isZero(r)) throw this.error('HW015', 'modulo by zero', e.right.span);
    const fast = fastBinary(e.op, l, r);
    if (fast !== undefined) return fast;
    const size = resultEntries(e.op, l, r);
    if (size > EVAL_LIMITS.entries) throw this.tooLarge(size, e.span);
    const op = BINARY_OPERATORS[e.op];
    if (!op) throw new Error(`no mathjs function for the operator ${e.op}`);
    return this.apply(() => op(l, r) as Value, e.span, [l, r], [e.left.span, e.right.span]);
  }

  private index(e: Extract<Expr, { kind: 'index' }>, scope: Scope): Value {
    const target = this.evaluate(e.target, scope);
    const dt = this.took(target) as Deps[];
    if (!Array.isArray(target)) throw this.error('HW021', `only vectors and matrices can be indexed; this is ${describeShape(target)}`, e.target.span);
    // The index only selects: the entry keeps its own dependencies, not the index's.
    const i = this.selectorInteger(e.index, scope, 'an index');
    if (e.end !== undefined) {
      const j = this.selectorInteger(e.end, scope, 'the end of a slice');
      if (i < 0 || j > target.length || i > j) {
        throw this.error('HW024', `slice ${i}:${j} is outside 0:${target.length}`, e.span);
      }
      return this.leave(target.slice(i, j), () => dt.slice(i, j));
    }
    if (i < 0 || i >= target.length) {
      throw this.error('HW024', `index ${i} is outside 0..${target.length - 1}`, e.index.span, `the indexed value has ${describeShape(target)}`);
    }
    return this.leave(target[i], () => dt[i]);
  }

  private call(e: Extract<Expr, { kind: 'call' }>, scope: Scope): Value {
    const named = e.args.find((a) => a.name !== undefined);
    if (named) throw this.error('HW021', `named argument \`${named.name}\` is only allowed in norm settings`, named.span);
    // A constant is a value too: `pi (x + 1)` multiplies like `C (x + 1)`.
    const user = scope.get(e.callee) ?? (e.callee in CONSTANTS ? CONSTANTS[e.callee] : undefined);
    if (user !== undefined && typeof user === 'object' && !Array.isArray(user)) {
      if (e.args.length !== user.params.length) {
        throw this.error('HW012', `\`${e.callee}\` takes ${user.params.length} argument${user.params.length === 1 ? '' : 's'}, got ${e.args.length}`, e.span, undefined, [
          { message: `\`${e.callee}\` is defined here`, span: user.span },
        ]);
      }
      const inner = scope.child();
      user.params.forEach((p, i) => {
        const v = this.evaluate(e.args[i].value, scope);
        inner.set(p, v, this.tracking > 0 ? this.took(v) : undefined);
      });
      if (this.calls >= EVAL_LIMITS.calls) {
        throw this.error('HW031', `calls of \`${e.callee}\` nest more than ${EVAL_LIMITS.calls} deep`, e.span,
          'a function that calls itself needs a condition that ends the recursion');
      }
      this.calls++;
      try {
        return this.evaluate(user.body, inner);
      } finally {
        this.calls--;
      }
    }
    if (user !== undefined) {
      // `C (h[1] - h[0])` reads as a product in math: a value followed by one parenthesised
      // argument is multiplication, not a call.
      if (e.args.length === 1) {
        const l = this.lookup(e.callee, e.calleeSpan, scope);
        const dl = this.tracking > 0 ? (scope.depsOf(e.callee) ?? constantDeps(l)) : NOT_TRACKED;
        const r = this.evaluate(e.args[0].value, scope);
        const dr = this.took(r);
        const size = resultEntries('*', l, r);
        if (size > EVAL_LIMITS.entries) throw this.tooLarge(size, e.span);
        const product = fastBinary('*', l, r) ?? this.apply(() => math.multiply(l as any, r as any) as Value, e.span, [l, r], [e.calleeSpan, e.args[0].span]);
        return this.leave(product, () => binaryDeps('*', product, l, r, dl, dr));
      }
      throw this.error('HW021', `\`${e.callee}\` is a value, not a function`, e.calleeSpan, 'to multiply, write `*` between the factors');
    }
    const f = FUNCTIONS[e.callee];
    if (!f && this.normNames.has(e.callee)) throw this.normUse(e.callee, e.calleeSpan);
    if (!f) {
      if (this.poisoned.has(e.callee)) throw new EvalError(undefined);
      const hint = didYouMean(e.callee, [...FUNCTION_NAMES, ...scope.names()]);
      throw this.error('HW023', `unknown function \`${e.callee}\``, e.calleeSpan, hint);
    }
    if (e.args.length < f.min || e.args.length > f.max) {
      const want = f.min === f.max ? `${f.min}` : f.max === Infinity ? `at least ${f.min}` : `${f.min} to ${f.max}`;
      throw this.error('HW012', `\`${e.callee}\` takes ${want} argument${f.min === 1 && f.max === 1 ? '' : 's'}, got ${e.args.length}`, e.span);
    }
    const argDeps: Deps[] = [];
    const args = e.args.map((a) => {
      const v = this.evaluate(a.value, scope);
      if (this.tracking > 0) argDeps.push(this.took(v));
      return v;
    });
    const result = this.builtin(e, f, args);
    return this.leave(result, () => builtinDeps(e.callee, result, args, argDeps, f.fn));
  }

  private builtin(e: Extract<Expr, { kind: 'call' }>, f: (typeof FUNCTIONS)[string], args: Value[]): Value {
    if (e.callee === 'token') {
      const n = args[0];
      if (typeof n !== 'number' || !Number.isInteger(n)) throw this.error('HW021', `\`token\` takes a whole number, not ${typeof n === 'number' ? n : describeShape(n!)}`, e.args[0]!.span);
      return this.tokenId(String(n), e.span);
    }
    if (args.length === 1 && typeof args[0] === 'number') {
      const v = SCALAR_FUNCTIONS[e.callee]?.(args[0]);
      if (v !== undefined) return v;
    }
    // min/max of small integers: no tolerance comes into play, so the answer is Math's.
    if ((e.callee === 'min' || e.callee === 'max') && args.length > 1 && args.every(smallInteger)) {
      return e.callee === 'min' ? Math.min(...(args as number[])) : Math.max(...(args as number[]));
    }
    const size = f.entries?.(...args) ?? 0;
    if (size > EVAL_LIMITS.entries) throw this.tooLarge(size, e.span);
    return this.apply(() => f.fn(...args), e.span, args, e.args.map((a) => a.span));
  }

  /** Runs a mathjs operation, turning its exceptions (mostly dimension mismatches) into diagnostics
   * that name the shapes of the operands and where each came from. */
  private apply(f: () => Value, span: Span, operands: Value[], operandSpans?: Span[]): Value {
    try {
      return normalize(f());
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      const shapes = operands.map(describeShape).join(' and ');
      const related = operandSpans?.map((s, i) => ({ message: `this has ${describeShape(operands[i])}`, span: s }));
      if (/dimension|size|mismatch|length/i.test(msg)) {
        throw this.error('HW013', `shapes do not fit: ${shapes}`, span, msg, related);
      }
      throw this.error('HW021', `cannot compute this: ${msg}`, span, undefined, related);
    }
  }

  private checkRectangular(items: Value[], span: Span): void {
    if (items.length === 0) return;
    const first = JSON.stringify(shapeOf(items[0]));
    for (const it of items) {
      if (JSON.stringify(shapeOf(it)) !== first) {
        throw this.error('HW013', `rows of different shapes: ${describeShape(items[0])} and ${describeShape(it)}`, span);
      }
    }
  }

  /** The id of the token with this name. */
  private tokenId(name: string, span: Span): number {
    if (!this.tokenNames) {
      throw this.error('HW010', `"${name}" names a token, but this vocabulary has no token names`, span, 'name the tokens: `vocab ["0", "1", "BOS"]`');
    }
    const id = this.tokenNames.indexOf(name);
    if (id < 0) throw this.error('HW010', `no token is named "${name}"`, span, didYouMean(name, [...this.tokenNames]) ?? `tokens: ${this.tokenNames.join(' ')}`);
    return id;
  }

  private normUse(name: string, span: Span): EvalError {
    return this.error('HW021', `\`${name}\` is a norm, not a value`, span, `use it where a norm goes: \`pre ${name}\`, \`post ${name}\`, \`qk_norm ${name}\` or \`final ${name}\``);
  }

  private tooLarge(size: number, span: Span): EvalError {
    return this.error('HW030', `this value would have ${size} entries (limit ${EVAL_LIMITS.entries})`, span);
  }

  error(code: Parameters<typeof diag>[0], message: string, span: Span, hint?: string, related?: { message: string; span: Span }[]): EvalError {
    return new EvalError(diag(code, message, span, { hint, related }));
  }
}

/** Stands in for dependencies outside evaluateTracked, where nothing reads them. */
const NOT_TRACKED: Deps = [];

/** The dependency rule of each binary operator (see ./dependencies.ts): sums take the terms of
 * both sides, products pair them (a parameter-free zero annihilates), the rest combine all. */
function binaryDeps(op: string, result: Value, l: Value, r: Value, dl: Deps, dr: Deps): Deps {
  switch (op) {
    case '+':
    case '-':
      return broadcastDeps(result, l, r, dl, dr, sumSupport);
    case '*':
      return matrixProductDeps(result, l, r, dl, dr);
    case '/':
      return Array.isArray(r) ? wholeDeps(result, [dl, dr]) : broadcastDeps(result, l, r, dl, dr, productSupport);
    case '^':
      return Array.isArray(l) || Array.isArray(r) ? wholeDeps(result, [dl, dr]) : broadcastDeps(result, l, r, dl, dr, (a, b) => functionSupport([a, b]));
    default:
      return broadcastDeps(result, l, r, dl, dr, (a, b) => functionSupport([a, b]));
  }
}

/** Functions that only move entries: their dependencies follow the entries (movedDeps). */
const MOVING = new Set(['concat', 'transpose', 'diag']);
/** Functions whose result reads nothing but sizes. */
const SIZES = new Set(['zeros', 'ones', 'eye', 'len', 'token']);

function builtinDeps(name: string, result: Value, args: Value[], argDeps: Deps[], fn: (...a: any[]) => Value): Deps {
  if (SIZES.has(name)) return constantDeps(result);
  if (MOVING.has(name)) return movedDeps(result, args, argDeps, (...a) => normalize(fn(...a)));
  if (name === 'sum' && args.length === 1) return sumDeps(result, argDeps[0]);
  if (name === 'dot') return dotDeps(result, argDeps[0], argDeps[1]);
  if (name === 'outer') return outerDeps(result, argDeps[0], argDeps[1]);
  // sqrt, exp, sin, floor, …: entry by entry when the result has the argument's shape.
  if (args.length === 1 && name in SCALAR_LIKE && shapeOf(result).join() === shapeOf(args[0]).join()) return mapDeps(result, argDeps[0]);
  return wholeDeps(result, argDeps);
}

/** One-argument functions that mathjs applies to each entry of an array. */
const SCALAR_LIKE: Record<string, true> = Object.fromEntries(
  ['sqrt', 'exp', 'ln', 'log', 'log10', 'log2', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'abs', 'sign', 'floor', 'ceil', 'round'].map((n) => [n, true]),
);

function isZero(v: Value): boolean {
  return v === 0;
}

/** mathjs may hand back Matrix objects or complex numbers; the checker works with plain arrays of
 * real numbers, and anything else is reported where it arises. */
function normalize(v: unknown): Value {
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object' && 'toArray' in v && typeof (v as { toArray: unknown }).toArray === 'function') {
    return normalize((v as { toArray(): unknown }).toArray());
  }
  if (v && typeof v === 'object' && 're' in v && 'im' in v) {
    throw new Error('the result is a complex number (e.g. the square root or log of a negative value)');
  }
  throw new Error(`unsupported value ${String(v)}`);
}

/** Flattens a nested array into its row-major entries. */
export function flatten(v: Value): number[] {
  if (!Array.isArray(v)) return [Number(v)];
  return v.flatMap(flatten);
}
