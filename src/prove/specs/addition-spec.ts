// The specification of `a + b` for the prover. Variables are the operands' digits a_i, b_i and the
// carries c_i into each column (c_0 = 0); a region fixes some of them. Which (a, b) a region
// holds, which sum digits they can produce and how to sample them all follow from one pass over
// the columns with the possible carries (a tiny automaton: carry out = ⌊(a_i + b_i + c_i) / base⌋).
import type { TaskContract } from '../../check/model.ts';
import type { Operands } from '../../runtime/task.ts';
import { ProofLimit } from '../domains/affine-tensor.ts';
import type { ProofSpec } from './spec.ts';

/** A partial assignment: −1 = free. a, b: digits per column; c: carry into each column 0..n. */
export interface AdditionRegion {
  a: Int8Array;
  b: Int8Array;
  c: Int8Array;
}

/** Why this task is not `a + b` in a form the prover understands, or undefined. */
export function additionProblem(task: TaskContract): string | undefined {
  if (task.operands.length !== 2) return `the task has ${task.operands.length} inputs; addition needs 2`;
  const x = task.operands[0]!;
  const y = task.operands[1]!;
  const expect = task.expect.replace(/\s+/g, '');
  if (expect !== `${x.name}+${y.name}` && expect !== `${y.name}+${x.name}`) return `the task expects \`${task.expect}\`, not \`${x.name} + ${y.name}\``;
  if (task.base < 2 || task.base > 16) return `base ${task.base} is not supported`;
  const columns = Math.max(...task.operands.map((o) => o.digits));
  if (task.decode < columns + 1) return `the answer has ${task.decode} digits but the sum can have ${columns + 1}`;
  for (const slot of task.prompt) {
    if (slot.kind === 'digit' && slot.operand !== x.name && slot.operand !== y.name) return `the prompt reads an unknown input ${slot.operand}`;
  }
  return undefined;
}

type Variable = { kind: 'a' | 'b' | 'c'; column: number };

export class AdditionSpec implements ProofSpec<AdditionRegion> {
  readonly steps: number;
  private readonly base: number;
  /** Number of columns n; the sum has n + 1 digits (the last is the final carry). */
  private readonly columns: number;
  private readonly names: [string, string];
  private readonly digits: [number, number];
  private readonly orders = new Map<number, Variable[]>();

  constructor(readonly task: TaskContract) {
    const problem = additionProblem(task);
    if (problem) throw new ProofLimit(problem);
    this.steps = task.decode;
    this.base = task.base;
    this.names = [task.operands[0]!.name, task.operands[1]!.name];
    this.digits = [task.operands[0]!.digits, task.operands[1]!.digits];
    this.columns = Math.max(...this.digits);
  }

  /** The answer place written at `step`. */
  place(step: number): number {
    return this.task.answer === 'lsb' ? step : this.task.decode - 1 - step;
  }

  root(_step?: number): AdditionRegion {
    const n = this.columns;
    const r = { a: new Int8Array(n).fill(-1), b: new Int8Array(n).fill(-1), c: new Int8Array(n + 1).fill(-1) };
    r.c[0] = 0;
    // Digits past an operand's width are 0.
    for (let i = this.digits[0]; i < n; i++) r.a[i] = 0;
    for (let i = this.digits[1]; i < n; i++) r.b[i] = 0;
    return r;
  }

  // ---------------------------------------------------------------- the column automaton

  /** What a region allows, column by column (computed once per region). */
  private analyse(r: AdditionRegion): Analysis | undefined {
    const cached = ANALYSES.get(r);
    if (cached !== undefined) return cached ?? undefined;
    const result = this.computeAnalysis(r);
    ANALYSES.set(r, result ?? null);
    return result;
  }

  private computeAnalysis(r: AdditionRegion): Analysis | undefined {
    const n = this.columns;
    const B = this.base;
    const allowed = (i: number) => (r.c[i]! < 0 ? 3 : 1 << r.c[i]!); // bit c: carry c possible
    // Forward: carries some assignment of the lower columns can produce.
    const forward = new Uint8Array(n + 1);
    forward[0] = allowed(0) & 1;
    for (let i = 0; i < n; i++) forward[i + 1] = this.carriesOut(r, i, forward[i]!, 3) & allowed(i + 1);
    // Backward: carries from which the upper columns can be completed.
    const backward = new Uint8Array(n + 1);
    backward[n] = allowed(n);
    for (let i = n - 1; i >= 0; i--) {
      let ok = 0;
      for (let c = 0; c < 2; c++) if (allowed(i) & (1 << c) && this.carriesOut(r, i, 1 << c, backward[i + 1]!)) ok |= 1 << c;
      backward[i] = ok;
    }
    const valid = forward.map((f, i) => f & backward[i]!);
    if (valid.some((v) => v === 0)) return undefined;
    // Per column, over the (a, b, carry in) that some completion uses: the digits they allow, and
    // the number of completions (per carry out) for the region's size.
    const sum = new Int32Array(n + 1);
    const digitA = new Int32Array(n);
    const digitB = new Int32Array(n);
    let ways0 = 1;
    let ways1 = 0;
    for (let i = 0; i < n; i++) {
      const [a0, a1] = r.a[i]! >= 0 ? [r.a[i]!, r.a[i]!] : [0, B - 1];
      const [b0, b1] = r.b[i]! >= 0 ? [r.b[i]!, r.b[i]!] : [0, B - 1];
      let next0 = 0;
      let next1 = 0;
      let sa = 0;
      let da = 0;
      let db = 0;
      for (let c = 0; c < 2; c++) {
        if (!(valid[i]! & (1 << c))) continue;
        const w = c === 0 ? ways0 : ways1;
        for (let a = a0; a <= a1; a++) {
          for (let b = b0; b <= b1; b++) {
            const t = a + b + c;
            const carry = t >= B ? 1 : 0;
            if (!(valid[i + 1]! & (1 << carry))) continue;
            sa |= 1 << (t - carry * B);
            da |= 1 << a;
            db |= 1 << b;
            if (carry) next1 += w;
            else next0 += w;
          }
        }
      }
      sum[i] = sa;
      digitA[i] = da;
      digitB[i] = db;
      ways0 = next0;
      ways1 = next1;
    }
    sum[n] = valid[n]!;
    const fraction = (ways0 + ways1) / B ** (this.digits[0] + this.digits[1]);
    return { valid, sum, digitA, digitB, fraction };
  }

  /** Carries out of column i reachable from carries in `carryIn` (bitmask), keeping only those in
   * `accept` (bitmask). */
  private carriesOut(r: AdditionRegion, i: number, carryIn: number, accept: number): number {
    const B = this.base;
    const [a0, a1] = r.a[i]! >= 0 ? [r.a[i]!, r.a[i]!] : [0, B - 1];
    const [b0, b1] = r.b[i]! >= 0 ? [r.b[i]!, r.b[i]!] : [0, B - 1];
    let out = 0;
    for (let c = 0; c < 2; c++) {
      if (!(carryIn & (1 << c))) continue;
      // a + b + c ranges over [a0 + b0 + c, a1 + b1 + c]: both carries are reachable if it spans B.
      if (a0 + b0 + c < B) out |= 1;
      if (a1 + b1 + c >= B) out |= 2;
    }
    return out & accept;
  }

  /** The (a, b, carry in) triples of column i that some completion uses. */
  private triples(r: AdditionRegion, x: Analysis, i: number): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (let c = 0; c < 2; c++) {
      if (!(x.valid[i]! & (1 << c))) continue;
      for (const a of this.values(r.a[i]!)) {
        for (const b of this.values(r.b[i]!)) if (x.valid[i + 1]! & (1 << Math.floor((a + b + c) / this.base))) out.push([a, b, c]);
      }
    }
    return out;
  }

  private values(v: number): number[] {
    return v >= 0 ? [v] : RANGE[this.base]!;
  }

  /** Bitmask of the sum digits at `place` over the region. */
  private sumDigits(x: Analysis, place: number): number {
    return place > this.columns ? 1 : x.sum[place]!;
  }

  /** Bitmask of operand `which`'s digit at `place` over the region. */
  private operandDigits(x: Analysis, which: 0 | 1, place: number): number {
    if (place >= this.columns) return 1;
    return which === 0 ? x.digitA[place]! : x.digitB[place]!;
  }

  // ---------------------------------------------------------------- ProofSpec

  tokenSets(r: AdditionRegion, step: number): Int32Array {
    const x = this.analyse(r);
    if (!x) throw new Error('tokenSets of an empty region');
    const prompt = this.task.prompt;
    const out = new Int32Array(prompt.length + step);
    prompt.forEach((slot, p) => {
      if (slot.kind === 'token') out[p] = 1 << slot.token;
      else out[p] = this.operandDigits(x, slot.operand === this.names[0] ? 0 : 1, slot.place);
    });
    for (let j = 0; j < step; j++) out[prompt.length + j] = this.sumDigits(x, this.place(j));
    return out;
  }

  expected(r: AdditionRegion, step: number): number | undefined {
    const x = this.analyse(r);
    return x ? singleton(this.sumDigits(x, this.place(step))) : undefined;
  }

  /** The token at the last position the model reads at `step`. */
  private lastToken(x: Analysis, step: number): number {
    if (step > 0) return this.sumDigits(x, this.place(step - 1));
    const slot = this.task.prompt[this.task.prompt.length - 1]!;
    return slot.kind === 'token' ? 1 << slot.token : this.operandDigits(x, slot.operand === this.names[0] ? 0 : 1, slot.place);
  }

  ready(r: AdditionRegion, step: number): boolean {
    const x = this.analyse(r);
    return !!x && singleton(this.sumDigits(x, this.place(step))) !== undefined && singleton(this.lastToken(x, step)) !== undefined;
  }

  /** Variables in the order they are worth fixing at `step`: the column written, the column
   * written at the step before (the last token the model reads), then columns by distance. */
  private order(step: number): Variable[] {
    let order = this.orders.get(step);
    if (order) return order;
    const n = this.columns;
    const target = this.place(step);
    const previous = step > 0 ? this.place(step - 1) : undefined;
    const columns: number[] = [];
    const add = (i: number | undefined) => {
      if (i !== undefined && i >= 0 && i <= n && !columns.includes(i)) columns.push(i);
    };
    add(target);
    add(previous);
    for (let d = 1; d <= n + 1; d++) {
      add(target + d);
      add(target - d);
    }
    order = [];
    for (const i of columns) {
      if (i < n) order.push({ kind: 'a', column: i }, { kind: 'b', column: i });
      order.push({ kind: 'c', column: i });
    }
    this.orders.set(step, order);
    return order;
  }

  split(r: AdditionRegion, step: number): AdditionRegion[] | undefined {
    const x = this.analyse(r);
    if (!x) return [];
    for (const v of this.order(step)) {
      const options = this.options(r, x, v);
      if (options.length < 2) continue;
      return options.map((value) => {
        const child = { a: r.a.slice(), b: r.b.slice(), c: r.c.slice() };
        child[v.kind][v.column] = value;
        return child;
      });
    }
    return undefined;
  }

  /** Values of variable v that some completion of the region uses. */
  private options(r: AdditionRegion, x: Analysis, v: Variable): number[] {
    if (r[v.kind][v.column]! >= 0) return [];
    if (v.kind === 'c') return [0, 1].filter((c) => x.valid[v.column]! & (1 << c));
    const mask = this.operandDigits(x, v.kind === 'a' ? 0 : 1, v.column);
    return RANGE[this.base]!.filter((d) => mask & (1 << d));
  }

  samples(r: AdditionRegion, count: number, random: () => number): Operands[] {
    const x = this.analyse(r);
    if (!x) return [];
    const out: Operands[] = [];
    for (let s = 0; s < count; s++) {
      let a = 0;
      let b = 0;
      let carry = 0;
      for (let i = 0; i < this.columns; i++) {
        const choices = this.triples(r, x, i).filter((t) => t[2] === carry);
        const [da, db] = choices[Math.floor(random() * choices.length)]!;
        a += da * this.base ** i;
        b += db * this.base ** i;
        carry = Math.floor((da + db + carry) / this.base);
      }
      out.push({ [this.names[0]]: a, [this.names[1]]: b });
    }
    return out;
  }

  fraction(r: AdditionRegion): number {
    return this.analyse(r)?.fraction ?? 0;
  }

  describe(r: AdditionRegion): string {
    const parts: string[] = [];
    const [x, y] = this.names;
    for (let i = this.columns - 1; i >= 0; i--) {
      if (r.a[i]! >= 0 && i < this.digits[0]) parts.push(`${x}_${i}=${r.a[i]}`);
      if (r.b[i]! >= 0 && i < this.digits[1]) parts.push(`${y}_${i}=${r.b[i]}`);
    }
    for (let i = this.columns; i >= 1; i--) if (r.c[i]! >= 0) parts.push(`carry_into_${i}=${r.c[i]}`);
    return parts.length > 0 ? parts.join(', ') : 'all inputs';
  }

  depth(r: AdditionRegion): number {
    let d = 0;
    for (let i = 0; i < this.columns; i++) {
      if (r.a[i]! >= 0 && i < this.digits[0]) d++;
      if (r.b[i]! >= 0 && i < this.digits[1]) d++;
    }
    for (let i = 1; i <= this.columns; i++) if (r.c[i]! >= 0) d++;
    return d;
  }
}

interface Analysis {
  /** Bitmask of the possible carries into each column 0..n. */
  valid: Uint8Array;
  /** Bitmask of the possible sum digits per place 0..n, and of each operand's digits. */
  sum: Int32Array;
  digitA: Int32Array;
  digitB: Int32Array;
  fraction: number;
}

/** Regions are never modified after creation, so their analysis can be kept with them. */
const ANALYSES = new WeakMap<AdditionRegion, Analysis | null>();

const RANGE: number[][] = Array.from({ length: 17 }, (_, b) => Array.from({ length: b }, (_, d) => d));

function singleton(mask: number): number | undefined {
  if (mask === 0 || (mask & (mask - 1)) !== 0) return undefined;
  return 31 - Math.clz32(mask);
}
