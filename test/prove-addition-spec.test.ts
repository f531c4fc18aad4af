// The addition specification against brute force on small tasks: for regions reached by random
// splits, every pair (a, b) of the task is enumerated and classified by an independent membership
// test (its digits and carries computed directly), and the spec's answers must agree: the share of
// inputs, the token sets (must contain every token any member puts at each position), the expected
// token, the partition by split, and the samples.
import { describe, expect, it } from 'vitest';
import type { PromptSlot, TaskContract } from '../src/check/model.ts';
import { AdditionSpec, type AdditionRegion, additionProblem } from '../src/prove/specs/addition-spec.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function task(opts: { digitsA: number; digitsB: number; base?: number; answer: 'lsb' | 'msb'; layout: 'lsb' | 'msb' }): TaskContract {
  const base = opts.base ?? 10;
  const slots = (operand: string, digits: number): PromptSlot[] => {
    const places = Array.from({ length: digits }, (_, i) => (opts.layout === 'lsb' ? i : digits - 1 - i));
    return places.map((place) => ({ kind: 'digit', operand, place }));
  };
  const columns = Math.max(opts.digitsA, opts.digitsB);
  return {
    name: 'addition',
    operands: [
      { name: 'a', digits: opts.digitsA },
      { name: 'b', digits: opts.digitsB },
    ],
    prompt: [{ kind: 'token', token: 0 }, ...slots('a', opts.digitsA), { kind: 'token', token: 0 }, ...slots('b', opts.digitsB), { kind: 'token', token: 0 }],
    decode: columns + 1,
    answer: opts.answer,
    expect: 'a + b',
    base,
  };
}

const digit = (n: number, i: number, base: number) => Math.floor(n / base ** i) % base;

/** Independent membership: does (a, b) satisfy every variable the region fixes? */
function inRegion(r: AdditionRegion, a: number, b: number, base: number): boolean {
  let carry = 0;
  for (let i = 0; i < r.a.length; i++) {
    if (r.c[i]! >= 0 && r.c[i] !== carry) return false;
    const da = digit(a, i, base);
    const db = digit(b, i, base);
    if (r.a[i]! >= 0 && r.a[i] !== da) return false;
    if (r.b[i]! >= 0 && r.b[i] !== db) return false;
    carry = Math.floor((da + db + carry) / base);
  }
  return !(r.c[r.a.length]! >= 0 && r.c[r.a.length] !== carry);
}

/** The tokens the model reads at `step` for (a, b), generated tokens assumed right. */
function sequence(t: TaskContract, a: number, b: number, step: number): number[] {
  const prompt = t.prompt.map((s) => (s.kind === 'token' ? s.token : digit(s.operand === 'a' ? a : b, s.place, t.base)));
  const place = (k: number) => (t.answer === 'lsb' ? k : t.decode - 1 - k);
  const generated = Array.from({ length: step }, (_, k) => digit(a + b, place(k), t.base));
  return [...prompt, ...generated];
}

const TASKS: [string, TaskContract][] = [
  ['2+2 digits, lsb answer', task({ digitsA: 2, digitsB: 2, answer: 'lsb', layout: 'lsb' })],
  ['2+2 digits, msb answer, msb prompt', task({ digitsA: 2, digitsB: 2, answer: 'msb', layout: 'msb' })],
  ['3+1 digits, base 4', task({ digitsA: 3, digitsB: 1, base: 4, answer: 'lsb', layout: 'msb' })],
];

describe.each(TASKS)('%s', (_, t) => {
  const spec = new AdditionSpec(t);
  const maxA = t.base ** t.operands[0]!.digits;
  const maxB = t.base ** t.operands[1]!.digits;
  const members = (r: AdditionRegion) => {
    const out: [number, number][] = [];
    for (let a = 0; a < maxA; a++) for (let b = 0; b < maxB; b++) if (inRegion(r, a, b, t.base)) out.push([a, b]);
    return out;
  };

  it('agrees with brute force on regions reached by random splits, at every step', () => {
    const r = rng(7);
    for (let step = 0; step < spec.steps; step++) {
      for (let trial = 0; trial < 12; trial++) {
        let region = spec.root(step);
        const depth = Math.floor(r() * 6);
        for (let d = 0; d < depth; d++) {
          const children = spec.split(region, step);
          if (!children || children.length === 0) break;
          region = children[Math.floor(r() * children.length)]!;
        }
        const inside = members(region);
        expect(inside.length).toBeGreaterThan(0);
        expect(spec.fraction(region)).toBeCloseTo(inside.length / (maxA * maxB), 12);

        const sets = spec.tokenSets(region, step);
        const truth = new Set<number>();
        for (const [a, b] of inside) {
          const seq = sequence(t, a, b, step);
          expect(seq.length).toBe(sets.length);
          seq.forEach((tok, p) => {
            if (!(sets[p]! & (1 << tok))) throw new Error(`token ${tok} at ${p} for (${a}, ${b}) missing from the set ${sets[p]!.toString(2)}`);
          });
          const place = t.answer === 'lsb' ? step : t.decode - 1 - step;
          truth.add(digit(a + b, place, t.base));
        }
        const expected = spec.expected(region, step);
        if (truth.size === 1) expect(expected).toBe([...truth][0]);
        else expect(expected).toBeUndefined();
        if (spec.ready(region, step)) {
          expect(expected).toBeDefined();
          const last = sets[sets.length - 1]!;
          expect(last & (last - 1)).toBe(0);
        }

        // The children partition the region.
        const children = spec.split(region, step);
        if (children) {
          const owners = new Map<string, number>();
          children.forEach((c, i) => {
            const m = members(c);
            expect(m.length).toBeGreaterThan(0);
            for (const [a, b] of m) {
              const key = `${a},${b}`;
              expect(owners.has(key)).toBe(false);
              owners.set(key, i);
            }
          });
          expect(owners.size).toBe(inside.length);
        }

        for (const o of spec.samples(region, 5, r)) expect(inRegion(region, o['a']!, o['b']!, t.base)).toBe(true);
      }
    }
  });

  it('splits down to regions that are all ready', () => {
    for (let step = 0; step < spec.steps; step++) {
      let ready = 0;
      const stack = [spec.root(step)];
      while (stack.length > 0) {
        const region = stack.pop()!;
        if (spec.ready(region, step)) {
          ready++;
          continue;
        }
        const children = spec.split(region, step);
        expect(children).toBeDefined();
        stack.push(...children!);
      }
      expect(ready).toBeGreaterThan(0);
    }
  });
});

describe('which tasks are addition', () => {
  const base = task({ digitsA: 2, digitsB: 2, answer: 'lsb', layout: 'lsb' });
  it('accepts a + b and b + a', () => {
    expect(additionProblem(base)).toBeUndefined();
    expect(additionProblem({ ...base, expect: 'b+a' })).toBeUndefined();
  });
  it('refuses other formulas, too short answers and other input counts', () => {
    expect(additionProblem({ ...base, expect: 'a * b' })).toMatch(/expects/);
    expect(additionProblem({ ...base, decode: 2 })).toMatch(/3/);
    expect(additionProblem({ ...base, operands: [base.operands[0]!] })).toMatch(/inputs/);
  });
});
