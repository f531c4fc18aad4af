// The specification of a digit task whose every output digit is one input digit or 0 (a copy or a
// reversal, `expect x`), given as data by digit-task.ts: output place p is input digit
// outputs[p]. Variables are the input digits themselves, with no automaton between them: a region
// fixes some digits and leaves the rest free, so it holds B^(free digits) inputs. Decode step k
// needs only the output digit it writes and the last token the model reads (the prompt's last
// slot, or the digit written at step k − 1) to be fixed, so its regions fix at most two digits.
import type { TaskContract } from '../../check/model.ts';
import type { Operands } from '../../runtime/task.ts';
import type { OutputDigit } from './digit-task.ts';
import type { ProofSpec } from './spec.ts';

/** One fixed-or-free entry per input digit (−1 = free), operand by operand, place 0 first. */
export type DigitMapRegion = Int8Array;

export class DigitMapSpec implements ProofSpec<DigitMapRegion> {
  readonly steps: number;
  private readonly base: number;
  /** Where operand i's digits start in a region. */
  private readonly offsets: number[];
  private readonly size: number;
  private readonly orders = new Map<number, number[]>();

  constructor(
    readonly task: TaskContract,
    private readonly outputs: readonly OutputDigit[],
  ) {
    this.steps = task.decode;
    this.base = task.base;
    let at = 0;
    this.offsets = task.operands.map((o) => {
      const start = at;
      at += o.digits;
      return start;
    });
    this.size = at;
  }

  /** The answer place written at `step`. */
  private place(step: number): number {
    return this.task.answer === 'lsb' ? step : this.task.decode - 1 - step;
  }

  /** Region index of operand `operand`'s digit `place`, or −1 past its width (always 0). */
  private variable(operand: number, place: number): number {
    return place < this.task.operands[operand]!.digits ? this.offsets[operand]! + place : -1;
  }

  /** Region index the output digit written at `step` copies, or −1 for a constant 0. */
  private outputVariable(step: number): number {
    const o = this.outputs[this.place(step)]!;
    return o.kind === 'zero' ? -1 : this.variable(o.operand, o.place);
  }

  /** Bitmask of the digits variable `v` can take in the region. */
  private digits(r: DigitMapRegion, v: number): number {
    if (v < 0) return 1;
    return r[v]! >= 0 ? 1 << r[v]! : (1 << this.base) - 1;
  }

  private slotVariable(p: number): number | undefined {
    const slot = this.task.prompt[p]!;
    if (slot.kind === 'token') return undefined;
    return this.variable(
      this.task.operands.findIndex((o) => o.name === slot.operand),
      slot.place,
    );
  }

  root(_step?: number): DigitMapRegion {
    return new Int8Array(this.size).fill(-1);
  }

  tokenSets(r: DigitMapRegion, step: number): Int32Array {
    const prompt = this.task.prompt;
    const out = new Int32Array(prompt.length + step);
    prompt.forEach((slot, p) => {
      out[p] = slot.kind === 'token' ? 1 << slot.token : this.digits(r, this.slotVariable(p)!);
    });
    for (let j = 0; j < step; j++) out[prompt.length + j] = this.digits(r, this.outputVariable(j));
    return out;
  }

  expected(r: DigitMapRegion, step: number): number | undefined {
    return singleton(this.digits(r, this.outputVariable(step)));
  }

  ready(r: DigitMapRegion, step: number): boolean {
    if (this.expected(r, step) === undefined) return false;
    if (step > 0) return singleton(this.digits(r, this.outputVariable(step - 1))) !== undefined;
    const last = this.task.prompt.length - 1;
    const slot = this.task.prompt[last]!;
    return slot.kind === 'token' || singleton(this.digits(r, this.slotVariable(last)!)) !== undefined;
  }

  /** Variables in the order they are worth fixing at `step`: the digit written, the last token's
   * digit, then the prompt's digits from the end back (the positions nearest the query first). */
  private order(step: number): number[] {
    let order = this.orders.get(step);
    if (order) return order;
    order = [];
    const add = (v: number | undefined) => {
      if (v !== undefined && v >= 0 && !order!.includes(v)) order!.push(v);
    };
    add(this.outputVariable(step));
    if (step > 0) add(this.outputVariable(step - 1));
    for (let p = this.task.prompt.length - 1; p >= 0; p--) add(this.slotVariable(p));
    for (let v = 0; v < this.size; v++) add(v);
    this.orders.set(step, order);
    return order;
  }

  split(r: DigitMapRegion, step: number): DigitMapRegion[] | undefined {
    const v = this.order(step).find((i) => r[i]! < 0);
    if (v === undefined) return undefined;
    return Array.from({ length: this.base }, (_, d) => {
      const child = r.slice();
      child[v] = d;
      return child;
    });
  }

  samples(r: DigitMapRegion, count: number, random: () => number): Operands[] {
    const out: Operands[] = [];
    for (let s = 0; s < count; s++) {
      const inputs: Operands = {};
      this.task.operands.forEach((o, i) => {
        let value = 0;
        for (let place = o.digits - 1; place >= 0; place--) {
          const fixed = r[this.offsets[i]! + place]!;
          value = value * this.base + (fixed >= 0 ? fixed : Math.floor(random() * this.base));
        }
        inputs[o.name] = value;
      });
      out.push(inputs);
    }
    return out;
  }

  fraction(r: DigitMapRegion): number {
    return this.base ** -this.depth(r);
  }

  describe(r: DigitMapRegion): string {
    const parts: string[] = [];
    this.task.operands.forEach((o, i) => {
      for (let place = o.digits - 1; place >= 0; place--) {
        const d = r[this.offsets[i]! + place]!;
        if (d >= 0) parts.push(`${o.name}_${place}=${d}`);
      }
    });
    return parts.length > 0 ? parts.join(', ') : 'all inputs';
  }

  depth(r: DigitMapRegion): number {
    let d = 0;
    for (const v of r) if (v >= 0) d++;
    return d;
  }
}

function singleton(mask: number): number | undefined {
  if (mask === 0 || (mask & (mask - 1)) !== 0) return undefined;
  return 31 - Math.clz32(mask);
}
