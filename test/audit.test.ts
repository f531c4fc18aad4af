// The parameter audit classifies every number of a model; expectations here come from the design
// notes and from small models whose numbers are written in the test.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_CHECK_OPTIONS, auditModel, modelTensors, tensorDependencies } from '../src/check/audit.ts';
import { checkModel } from '../src/check/check-model.ts';
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

// The dependency log (src/check/dependencies.ts) in small models whose every weight is written in
// the test. Each case says what the right class is, and why; the expectations follow from the
// formulas, not from running the audit.
describe('derived: read from the dependency log, not measured by nudging', () => {
  const model = (body: string, decls = 'param w = 2.5') => `model deps {
  vocab 10
  residual [tok, pos, acc]
  ${decls}
  embed E[d] = [d, 0, 0]
  layer {
    mlp {
      act relu
      ${body}
      write acc += h[0]
    }
  }
  head = [acc for d in 0..9]
  context 2
}`;
  const counts = (src: string, tensor = 'layer0.mlp0.in.weight') => audit(src).tensors.find((t) => t.name === tensor)!.counts;

  it('a term multiplied by a parameter-free zero does not come from the parameter: `0 w` is 0 for every w (structural)', () => {
    // `c` is [1, 0], so the coefficients are w (of tok) and 0 · w (of pos).
    const c = counts(model('in = [c[0] w tok + c[1] w pos]', 'param w = 2.5\n  let c = [1, 0]'));
    expect(c.derived).toBe(1);
    expect(c.structural).toBe(2); // 0 · w of pos, and acc's 0
  });

  it('a parameter zero is not annihilating: w tok with w = 0 is derived (moving w moves it)', () => {
    expect(counts(model('in = [w tok]', 'param w = 0')).derived).toBe(1);
  });

  it('a flat function of a parameter is derived: floor(w) = 12 does not move under a small nudge, but it is computed from w', () => {
    const src = model('in = [floor(w) tok + max(w, 30) pos]', 'param w = 12.5');
    expect(counts(src).derived).toBe(2);
    // Neither 12 nor 30 is a parameter-free weight, so neither is a weight-entry literal; the 30
    // is a constant written into a parameter formula and is listed as such.
    const a = audit(src);
    expect(a.literals.find((l) => l.value === 12)).toBeUndefined();
    expect(a.literals.find((l) => l.value === 30)?.kind).toBe('in formula');
  });

  it('cancellation is not looked for: `w tok - w tok` has the coefficient 0, computed from w (derived)', () => {
    expect(counts(model('in = [w tok - w tok + pos]')).derived).toBe(1);
  });

  it('a parameter that only selects does not make the selected number derived', () => {
    const src = model('in = [(w > 1 ? 1.5 : 4) tok]');
    expect(counts(src)).toMatchObject({ derived: 0, 'literal constant': 1 });
    expect(audit(src).literals.map((l) => l.value)).toContain(1.5);
  });

  it('a coefficient and the bias of one formula are told apart: in `3 tok + w` only the bias comes from w', () => {
    const src = model('in = [3 tok + w]');
    expect(counts(src)).toMatchObject({ derived: 0, 'literal constant': 1, structural: 2 });
    expect(counts(src, 'layer0.mlp0.in.bias')).toMatchObject({ derived: 1 });
  });

  it('entries follow a matrix product: M [tok, pos] with M = [[w, 0], [0, 2.5]]', () => {
    const src = model('in = M [tok, pos]', 'param w = 2\n  let M = [[w, 0], [0, 2.5]]');
    // Row 0: w (derived), 0, 0; row 1: 0, 2.5 (literal), 0.
    expect(counts(src)).toMatchObject({ derived: 1, 'literal constant': 1, structural: 4 });
  });

  it('the log names the parameters behind each entry', () => {
    const src = model('in = [w tok + v pos + v w]', 'param w = 2\n  param v = 3');
    const ast = parse(src).ast!;
    const { model: m, checker } = checkModel(ast, src, AUDIT_CHECK_OPTIONS);
    const t = modelTensors(m!, ast.embed!.span);
    const weight = t.find((x) => x.name === 'layer0.mlp0.in.weight')!;
    const bias = t.find((x) => x.name === 'layer0.mlp0.in.bias')!;
    expect(tensorDependencies(weight, checker.ev.log)).toEqual([['w'], ['v'], []]);
    expect(tensorDependencies(bias, checker.ev.log)).toEqual([['v', 'w']]);
  });

  it('a halting test is a difference of two maps: each entry comes from either side', () => {
    const src = `model halting {
  vocab 10
  residual [tok, acc]
  param w = 0.5
  param lim = 4
  embed E[d] = [d, 0]
  repeat 12 until acc > lim + 2 tok {
    layer {
      mlp {
        act relu
        in = [w tok]
        write acc += h[0]
      }
    }
  }
  head = [acc for d in 0..9]
  context 2
}`;
    const a = audit(src);
    const t = (name: string) => a.tensors.find((x) => x.name === name)!.counts;
    // acc − (lim + 2 tok): tok's −2 is a literal, acc's 1 structural; the bias −lim derived.
    expect(t('layer0.until.weight')).toMatchObject({ derived: 0, 'literal constant': 1, structural: 1 });
    expect(t('layer0.until.bias')).toMatchObject({ derived: 1 });
  });
});
