// The parameter audit classifies every number of a model; expectations here come from the design
// notes and from small models whose numbers are written in the test.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditModel } from '../src/check/audit.ts';
import { parse } from '../src/syntax/parse.ts';

function audit(source: string) {
  const ast = parse(source).ast!;
  const result = auditModel(ast, source);
  expect(result.audit).toBeDefined();
  return result.audit!;
}

const example = (name: string) => readFileSync(new URL(`../examples/adder/${name}.hw`, import.meta.url), 'utf8');

describe('the 6p design (AdderBoard\'s asterisk)', () => {
  const a = audit(example('adder-6p-rope19'));

  it('counts 6 for AdderBoard', () => {
    expect(a.adderboard).toBe(6);
  });

  it('finds the four hard-coded values the leaderboard footnote names, and counts at least 10 strictly', () => {
    const omega = (2 * Math.PI) / 19;
    const phi = 10.3 * omega;
    const footnote = [Math.cos(phi), -Math.sin(phi), 50 * Math.SQRT2, -10 * Math.SQRT2];
    for (const v of footnote) {
      expect(a.literals.some((l) => Math.abs(l.value - v) <= 1e-12 * Math.abs(v))).toBe(true);
    }
    expect(a.strict).toBeGreaterThanOrEqual(10);
    expect(a.strict).toBe(a.adderboard + a.literals.length);
  });

  it('finds the fixed 1000 written into the tied gate formula', () => {
    const k = a.literals.find((l) => l.value === 1000);
    expect(k?.kind).toBe('in formula');
    expect(k?.where.some((w) => w.via === 'K')).toBe(true);
  });
});

describe('classes', () => {
  const src = `model classes {
  vocab 10
  residual [tok, pos, acc]
  let period = 13
  param w = 3
  embed E[d] = [d, 0, 0]
  position P[p] = [0, sin(2 pi p / period), 0]
  layer {
    mlp {
      act relu
      in = [w tok, 2.5 pos, tok]
      write acc += h[0] + h[1] + w h[2]
    }
  }
  head = [acc for d in 0..9]
  context 4
}`;
  const a = audit(src);
  const t = (name: string) => a.tensors.find((x) => x.name === name)!;

  it('a parameter counts its entries once however often it is used', () => {
    expect(a.adderboard).toBe(1);
    expect(a.params).toEqual([expect.objectContaining({ name: 'w', count: 1, values: [3] })]);
  });

  it('weights that move with a parameter are derived', () => {
    expect(t('layer0.mlp0.in.weight').counts.derived).toBe(1); // w tok
    expect(t('layer0.mlp0.out.weight').counts.derived).toBe(1); // w h[2]
  });

  it('a parameter-free weight other than 0 and ±1 is a literal constant', () => {
    expect(t('layer0.mlp0.in.weight').counts['literal constant']).toBe(1); // 2.5 pos
    expect(a.literals.map((l) => l.value)).toContain(2.5);
  });

  it('0/1 routing is structural and position tables are fixed encodings', () => {
    expect(t('layer0.mlp0.in.weight').counts.structural).toBe(9 - 2);
    expect(t('position').counts['fixed encoding']).toBe(4 * 3);
    expect(a.literals.map((l) => l.value)).not.toContain(13); // the period only shapes the encoding
  });

  it('the embedding\'s token values 2..9 are parameter-free weights', () => {
    expect(t('embed.E').counts['literal constant']).toBe(8);
  });
});

describe('a literal hidden in a parameter formula', () => {
  it('is found and listed with its source position', () => {
    const src = `model hidden {
  vocab 10
  residual [tok, acc]
  param w = 2
  embed E[d] = [d, 0]
  layer {
    mlp {
      act relu
      in = [w tok * 1.75]
      write acc += h[0]
    }
  }
  head = [acc for d in 0..9]
  context 2
}`;
    const a = audit(src);
    const lit = a.literals.find((l) => l.value === 1.75);
    expect(lit?.kind).toBe('in formula');
    const line = src.split('\n').findIndex((l) => l.includes('1.75')) + 1;
    expect(lit?.where[0].line).toBe(line);
    expect(a.strict).toBe(a.adderboard + a.literals.length);
  });
});
