// The audit reads its dependency log (one evaluation) and must give every shipped design the
// counts the nudging audit gave before it (test/fixtures/audit-before.json, recorded by
// scripts/record-audit-fixture.ts from the code as it was; issue #19).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../src/check/check-source.ts';
import { checkModel } from '../src/check/check-model.ts';
import { AUDIT_CHECK_OPTIONS, modelTensors } from '../src/check/audit.ts';
import { parse } from '../src/syntax/parse.ts';
import { REPO_ROOT as root, shippedDesigns } from '../scripts/shipped-designs.ts';

/** The recorded audit of each design: the fields compared below, as JSON. */
interface RecordedAudit {
  adderboard: number;
  strict: number;
  tensors: unknown;
  literals: unknown;
  params: unknown;
}
const before: Record<string, RecordedAudit> = JSON.parse(readFileSync(join(root, 'test/fixtures/audit-before.json'), 'utf8'));

const shipped = shippedDesigns();

describe('the audit of every shipped design, as before', () => {
  it('the fixture covers every shipped design', () => {
    expect(Object.keys(before).sort()).toEqual([...shipped].sort());
  });

  it.each(shipped)('%s', (name) => {
    const audit = checkSource(readFileSync(join(root, name), 'utf8')).model?.audit;
    expect(audit).toBeDefined();
    const was = before[name]!;
    expect(audit!.adderboard).toBe(was.adderboard);
    expect(audit!.strict).toBe(was.strict);
    // Every tensor, class by class, and every literal with where it occurs.
    expect(audit!.tensors).toEqual(was.tensors);
    expect(audit!.literals).toEqual(was.literals);
    expect(audit!.params.map(({ values: _values, ...p }) => p)).toEqual(was.params);
  });
});

describe('the dependency log', () => {
  it.each(shipped)('%s: has an entry for every number of every weight tensor', (name) => {
    const source = readFileSync(join(root, name), 'utf8');
    const ast = parse(source).ast!;
    const { model, checker } = checkModel(ast, source, AUDIT_CHECK_OPTIONS);
    expect(model).toBeDefined();
    for (const t of modelTensors(model!, ast.embed?.span ?? ast.span)) {
      if (t.kind !== 'weight') continue;
      expect(checker.ev.log!.get(t.logKey)?.length, t.name).toBe(t.values.length);
    }
  });
});
