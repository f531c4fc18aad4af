// The dependency log behind the parameter audit: for every number the evaluator produces, which
// parameters it was computed from. The audit classifies a weight as derived when its entry in this
// log names a parameter; one ordinary evaluation of the model fills it (nothing is re-run or nudged).
//
// A number's dependencies are kept split by the projection input they multiply (its "support"), so
// that reading an affine map off one formula can tell the parameters behind each coefficient from
// those behind the bias: in `w big + p`, big's coefficient comes from w alone and the bias from p.
//
// The rules (what "computed from" means here):
// - arithmetic combines the dependencies of its operands: `p + 1`, `sqrt(p)`, `floor(p)`, `p - p`
//   and `max(p, 3)` all come from p, whatever their value;
// - a factor that is exactly 0 and reads no parameter or input annihilates: `0 * p` is 0 for every
//   p, so it is not computed from p (a zero written into a table of coefficients, times a
//   parameter, stays structural);
// - a parameter that only selects (a condition, an index, a range bound) does not make the number
//   it selects derived: `c > 0 ? 2 : 3` is the literal 2 or 3.

/** A formula's value, as the evaluator's Value (declared here too: the evaluator imports this file). */
type Value = number | boolean | Value[];

/** Sorted, interned parameter names: equal sets are the same array, so unions are cheap to skip. */
export type ParamSet = readonly string[];

/** Key of a support entry: an input index (>= 0), the constant term, or a product of inputs. */
export const CONSTANT_TERM = -1;
export const NONLINEAR_TERM = -2;

/** For each term of a number (constant, or multiplying input j), the parameters behind it. An empty
 * support is a parameter-free exact zero. */
export type Support = ReadonlyMap<number, ParamSet>;

/** The dependencies of a value, nested exactly like the value. */
export type Deps = Support | Deps[];

const interned = new Map<string, ParamSet>();
export const NO_PARAMS: ParamSet = intern([]);

function intern(names: readonly string[]): ParamSet {
  const key = names.join('\u0000');
  let set = interned.get(key);
  if (!set) {
    set = Object.freeze([...names]);
    interned.set(key, set);
  }
  return set;
}

export function paramSet(names: Iterable<string>): ParamSet {
  return intern([...new Set(names)].sort());
}

export function unionParams(a: ParamSet, b: ParamSet): ParamSet {
  if (a === b || b.length === 0) return a;
  if (a.length === 0) return b;
  return paramSet([...a, ...b]);
}

const ZERO: Support = new Map();
const CONSTANT: Support = new Map([[CONSTANT_TERM, NO_PARAMS]]);

/** A number that reads no parameter and no input: known by its value alone. */
export function constantSupport(v: number | boolean): Support {
  return v === 0 || v === false ? ZERO : CONSTANT;
}

export function constantDeps(v: Value): Deps {
  return Array.isArray(v) ? v.map(constantDeps) : constantSupport(v);
}

/** Every entry of a parameter's value comes from that parameter (a zero too: moving it moves it). */
export function parameterDeps(v: Value, name: string): Deps {
  const own: Support = new Map([[CONSTANT_TERM, paramSet([name])]]);
  const f = (x: Value): Deps => (Array.isArray(x) ? x.map(f) : own);
  return f(v);
}

/** Projection input j: a term of its own, from no parameter. */
export function inputSupport(j: number): Support {
  return new Map([[j, NO_PARAMS]]);
}

function readsNothing(s: Support): boolean {
  for (const [k, p] of s) if (k !== CONSTANT_TERM || p.length > 0) return false;
  return true;
}

/** A result that reads nothing is known by its value (so `3 - 3` is an annihilating zero). */
function settle(s: Support, v: Value): Support {
  return readsNothing(s) ? constantSupport(typeof v === 'boolean' ? v : Number(v)) : s;
}

function merge(into: Map<number, ParamSet>, key: number, params: ParamSet): void {
  const had = into.get(key);
  into.set(key, had === undefined ? params : unionParams(had, params));
}

/** a + b (and a − b): the terms of both. */
export function sumSupport(a: Support, b: Support): Support {
  if (a.size === 0) return b;
  if (b.size === 0) return a;
  const out = new Map(a);
  for (const [k, p] of b) merge(out, k, p);
  return out;
}

function productKey(a: number, b: number): number {
  if (a === CONSTANT_TERM) return b;
  if (b === CONSTANT_TERM) return a;
  return NONLINEAR_TERM;
}

/** a × b (and a ÷ b): every pair of terms; an exact parameter-free zero annihilates. */
export function productSupport(a: Support, b: Support): Support {
  if (a.size === 0 || b.size === 0) return ZERO;
  const out = new Map<number, ParamSet>();
  for (const [ka, pa] of a) for (const [kb, pb] of b) merge(out, productKey(ka, kb), unionParams(pa, pb));
  return out;
}

/** Any other function of its arguments: every term it reads, each from all their parameters. */
export function functionSupport(args: Support[]): Support {
  let params = NO_PARAMS;
  const keys = new Set<number>();
  for (const a of args) {
    for (const [k, p] of a) {
      keys.add(k);
      params = unionParams(params, p);
    }
  }
  if (keys.size === 0) keys.add(CONSTANT_TERM);
  return new Map([...keys].map((k) => [k, params]));
}

export function leaves(d: Deps): Support[] {
  return Array.isArray(d) ? d.flatMap(leaves) : [d as Support];
}

function leafValues(v: Value): (number | boolean)[] {
  return Array.isArray(v) ? v.flatMap(leafValues) : [v];
}

function shapeOf(v: Value): number[] {
  if (!Array.isArray(v)) return [];
  if (v.length === 0) return [0];
  return [v.length, ...shapeOf(v[0])];
}

/** Rebuilds nested deps of `shape` from row-major leaves. */
function nest(ls: Support[], shape: number[], at = 0): Deps {
  if (shape.length === 0) return ls[at];
  const [n, ...rest] = shape;
  const stride = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => nest(ls, rest, at + i * stride));
}

/** The deps of `result` built from one support per result entry, each settled by its value. */
function shaped(result: Value, ls: Support[]): Deps {
  const vs = leafValues(result);
  return nest(ls.map((s, i) => settle(s, vs[i])), shapeOf(result));
}

/** Fallback for an operation whose entry-to-entry structure is not modelled: every entry of the
 * result reads everything every operand read. */
export function wholeDeps(result: Value, operands: Deps[]): Deps {
  const all = functionSupport(operands.flatMap(leaves));
  return shaped(result, leafValues(result).map(() => all));
}

/** An entry-wise function of one value (sqrt, floor, unary minus keeps its operand's deps). */
export function mapDeps(result: Value, d: Deps): Deps {
  const ls = leaves(d);
  return shaped(result, ls.map((s) => functionSupport([s])));
}

/** Entry-wise binary operation with broadcasting (trailing dimensions aligned, size 1 repeated), as
 * mathjs broadcasts; `f` combines the two entries' supports. */
export function broadcastDeps(result: Value, l: Value, r: Value, dl: Deps, dr: Deps, f: (a: Support, b: Support) => Support): Deps {
  const sl = shapeOf(l);
  const sr = shapeOf(r);
  const so = shapeOf(result);
  const rank = Math.max(sl.length, sr.length);
  const pad = (s: number[]) => [...Array(rank - s.length).fill(1), ...s];
  const pl = pad(sl);
  const pr = pad(sr);
  const expected = pl.map((n, i) => Math.max(n, pr[i]));
  if (expected.length !== so.length || expected.some((n, i) => n !== so[i])) return wholeDeps(result, [dl, dr]);
  const ll = leaves(dl);
  const lr = leaves(dr);
  const total = so.reduce((a, b) => a * b, 1);
  const out: Support[] = new Array(total);
  const index = new Array(rank).fill(0);
  for (let n = 0; n < total; n++) {
    let il = 0;
    let ir = 0;
    for (let k = 0; k < rank; k++) {
      il = il * pl[k] + (pl[k] === 1 ? 0 : index[k]);
      ir = ir * pr[k] + (pr[k] === 1 ? 0 : index[k]);
    }
    out[n] = f(ll[il], lr[ir]);
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k] < so[k]) break;
      index[k] = 0;
    }
  }
  return shaped(result, out);
}

/** mathjs's `*` on two arrays: the vector dot product, matrix × vector, vector × matrix and
 * matrix × matrix, each entry the sum of products of the entries that meet. */
export function matrixProductDeps(result: Value, l: Value, r: Value, dl: Deps, dr: Deps): Deps {
  const sl = shapeOf(l);
  const sr = shapeOf(r);
  if (sl.length === 0 || sr.length === 0) return broadcastDeps(result, l, r, dl, dr, productSupport);
  if (sl.length > 2 || sr.length > 2) return wholeDeps(result, [dl, dr]);
  const [m, n] = sl.length === 2 ? sl : [1, sl[0]];
  const [n2, k] = sr.length === 2 ? sr : [sr[0], 1];
  if (n !== n2) return wholeDeps(result, [dl, dr]);
  const a = leaves(dl);
  const b = leaves(dr);
  const out: Support[] = [];
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < k; c++) {
      let s: Support = ZERO;
      for (let j = 0; j < n; j++) s = sumSupport(s, productSupport(a[i * n + j], b[j * k + c]));
      out.push(s);
    }
  }
  if (out.length !== leafValues(result).length) return wholeDeps(result, [dl, dr]);
  return shaped(result, out);
}

/** Σ a_i b_i. */
export function dotDeps(result: Value, da: Deps, db: Deps): Deps {
  const a = leaves(da);
  const b = leaves(db);
  if (a.length !== b.length) return wholeDeps(result, [da, db]);
  let s: Support = ZERO;
  for (let i = 0; i < a.length; i++) s = sumSupport(s, productSupport(a[i], b[i]));
  return shaped(result, [s]);
}

/** Σ of all entries. */
export function sumDeps(result: Value, d: Deps): Deps {
  return shaped(result, [leaves(d).reduce(sumSupport, ZERO)]);
}

/** a_i b_j. */
export function outerDeps(result: Value, da: Deps, db: Deps): Deps {
  const a = leaves(da);
  const b = leaves(db);
  const out = a.flatMap((x) => b.map((y) => productSupport(x, y)));
  if (out.length !== leafValues(result).length) return wholeDeps(result, [da, db]);
  return shaped(result, out);
}

/**
 * For a function that only moves entries (concat, transpose, diag): it is run again on arrays of
 * entry numbers (1, 2, …) in place of the values, so wherever an entry lands its number says where
 * it came from; an entry the function made up (diag's zeros) reads nothing. Number arguments (a
 * dimension) are passed as they are.
 */
export function movedDeps(result: Value, args: Value[], argDeps: Deps[], f: (...a: Value[]) => Value): Deps {
  const from: Support[] = [];
  const ids = args.map((a, i) => {
    if (!Array.isArray(a)) return a;
    const ls = leaves(argDeps[i]);
    let next = 0;
    const renumber = (x: Value): Value => {
      if (Array.isArray(x)) return x.map(renumber);
      from.push(ls[next++]);
      return from.length;
    };
    return renumber(a);
  });
  let moved: Value;
  try {
    moved = f(...ids);
  } catch {
    return wholeDeps(result, argDeps);
  }
  const landed = leafValues(moved);
  if (landed.length !== leafValues(result).length) return wholeDeps(result, argDeps);
  const vs = leafValues(result);
  return shaped(result, landed.map((id, i) => (typeof id === 'number' && id >= 1 && Number.isInteger(id) ? from[id - 1] : constantSupport(vs[i]))));
}

/** The parameters behind a whole support (every term). */
export function allParams(s: Support): ParamSet {
  let out = NO_PARAMS;
  for (const p of s.values()) out = unionParams(out, p);
  return out;
}

/**
 * The log the audit reads: for each tensor of the checked model (keyed by its number array, or
 * for a single number by the object that holds it), the parameters behind each entry.
 */
export class DependencyLog {
  private readonly byTensor = new WeakMap<object, ParamSet[]>();

  record(tensor: object, entries: ParamSet[]): void {
    this.byTensor.set(tensor, entries);
  }

  get(tensor: object): ParamSet[] | undefined {
    return this.byTensor.get(tensor);
  }
}

/** One parameter set per entry of a value, row-major (its leaves' terms merged). */
export function entryParams(d: Deps): ParamSet[] {
  return leaves(d).map(allParams);
}

/** Entry-wise union of two equally long per-entry logs (a sum of two maps, a difference). */
export function unionEntries(a: readonly ParamSet[], b: readonly ParamSet[]): ParamSet[] {
  return a.map((p, i) => unionParams(p, b[i] ?? NO_PARAMS));
}
