// The parameter audit: every number the compiled model holds, traced to where it comes from.
//
// Classes (issue: "settle the counting argument mechanically"):
// - free parameter: declared with `param`; counted once however often it is used;
// - derived: a weight computed from a parameter (a formula of parameters and constants);
// - literal constant: a weight that does not depend on any parameter and is not 0 or ±1, or a fixed
//   constant (a number or `let` value) written into a formula that also uses parameters;
// - fixed encoding: positional tables, RoPE angles and score tables (functions of positions only);
// - structural: 0 and ±1 entries that select and route, the standard 1/sqrt(dim) score scale.
//
// Dependence on parameters is read from the checker's dependency log (./dependencies.ts): while
// the model is checked, once, the evaluator records for every number the parameters it was
// computed from, and a weight entry whose log names a parameter is derived. Nothing is re-run.
import type { ModelAst, Span } from '../syntax/ast.ts';
import { hasErrors } from '../diagnostics.ts';
import { checkModel, type FormulaLog, type ModelChecker } from './check-model.ts';
import { NO_PARAMS, type DependencyLog, type ParamSet } from './dependencies.ts';
import type { AffineMap, Audit, AuditedLiteral, AuditedParam, AuditedTensor, CheckedModel, NormSpec, NumberClass } from './model.ts';

export type { Audit, AuditedLiteral, AuditedParam, AuditedTensor, NumberClass } from './model.ts';

interface Tensor {
  name: string;
  kind: 'weight' | 'encoding';
  span: Span;
  values: ArrayLike<number>;
  /** The dependency log's key for these numbers: the array itself, or the object holding a single
   * number (an attention block for its scale, a halting test for its bias). */
  logKey: object;
  /** Entries exempt from the literal count (e.g. a standard score scale). */
  structural?: (v: number) => boolean;
}

const isRouting = (v: number) => v === 0 || v === 1 || v === -1 || v === -Infinity;

function mapTensors(name: string, m: AffineMap): Tensor[] {
  return [
    { name: `${name}.weight`, kind: 'weight', span: m.span, values: m.weight.data, logKey: m.weight.data },
    { name: `${name}.bias`, kind: 'weight', span: m.span, values: m.bias, logKey: m.bias },
  ];
}

function normTensors(name: string, n: NormSpec): Tensor[] {
  if (n.kind === 'none') return [];
  const out: Tensor[] = [];
  if (n.weight) out.push({ name: `${name}.weight`, kind: 'weight', span: n.span, values: n.weight, logKey: n.weight });
  if (n.kind === 'layernorm' && n.bias) out.push({ name: `${name}.bias`, kind: 'weight', span: n.span, values: n.bias, logKey: n.bias });
  return out;
}

/** Every number of a checked model, in a fixed order. */
export function modelTensors(m: CheckedModel, embedSpan: Span): Tensor[] {
  const out: Tensor[] = [{ name: `embed.${m.embeddingName}`, kind: 'weight', span: embedSpan, values: m.embedding.data, logKey: m.embedding.data }];
  if (m.position) out.push({ name: 'position', kind: 'encoding', span: embedSpan, values: m.position.data, logKey: m.position.data });
  const seen = new Set<object>();
  m.layers.forEach((layer) => {
    layer.components.forEach((c, ci) => {
      if (seen.has(c)) return; // a repeated layer's weights are the same numbers
      seen.add(c);
      const p = `${layer.name.replace(/\.0$/, '')}.${c.kind === 'attention' ? 'attn' : 'mlp'}${ci}`;
      if (c.kind === 'attention') {
        out.push(...normTensors(`${p}.pre_norm`, c.pre));
        out.push(...mapTensors(`${p}.q`, c.q), ...mapTensors(`${p}.k`, c.k), ...mapTensors(`${p}.v`, c.v));
        out.push(...normTensors(`${p}.q_norm`, c.qNorm), ...normTensors(`${p}.k_norm`, c.kNorm));
        const standard = 1 / Math.sqrt(c.dim);
        out.push({ name: `${p}.scale`, kind: 'weight', span: c.span, values: [c.scale], logKey: c, structural: (v) => v === standard || v === 1 });
        if (c.rope) out.push({ name: `${p}.rope`, kind: 'encoding', span: c.rope.span, values: c.rope.angles, logKey: c.rope.angles });
        if (c.scoreBias) out.push({ name: `${p}.score_bias`, kind: 'encoding', span: c.span, values: c.scoreBias, logKey: c.scoreBias });
        out.push(...mapTensors(`${p}.out`, c.out));
      } else {
        out.push(...normTensors(`${p}.pre_norm`, c.pre));
        if (c.in) out.push(...mapTensors(`${p}.in`, c.in));
        if (c.gate) out.push(...mapTensors(`${p}.gate`, c.gate));
        if (c.up) out.push(...mapTensors(`${p}.up`, c.up));
        out.push(...mapTensors(`${p}.out`, c.out));
      }
    });
  });
  // A halting test's numbers are weights like a projection's (read once, whatever the count).
  for (const loop of m.loops ?? []) {
    if (!loop.halt) continue;
    const p = `${m.layers[loop.start].name.replace(/\.0$/, '')}.until`;
    out.push({ name: `${p}.weight`, kind: 'weight', span: loop.halt.span, values: loop.halt.weight, logKey: loop.halt.weight });
    out.push({ name: `${p}.bias`, kind: 'weight', span: loop.halt.span, values: [loop.halt.bias], logKey: loop.halt });
  }
  out.push(...normTensors('final_norm', m.final));
  out.push(...mapTensors('head', m.head));
  return out;
}

const fmt = (v: number) => String(v);

/** What a check must keep for the audit: the constants of every weight formula and the
 * dependency log. */
export const AUDIT_CHECK_OPTIONS = { logFormulas: true, logDependencies: true } as const;

/** Checks `ast` once, keeping what the audit reads, and audits the result. */
export function auditModel(ast: ModelAst, source: string): { audit?: Audit; model?: CheckedModel } {
  const { model, checker, diagnostics } = checkModel(ast, source, AUDIT_CHECK_OPTIONS);
  if (!model || hasErrors(diagnostics)) return {};
  return { model, audit: auditChecked(model, checker) };
}

/** The parameters behind each entry of a tensor, from the log; an entry the log lacks (none should)
 * counts as reading no parameter. */
export function tensorDependencies(t: Tensor, log: DependencyLog | undefined): readonly ParamSet[] {
  return log?.get(t.logKey) ?? Array.from({ length: t.values.length }, () => NO_PARAMS);
}

/** The audit of a model checked with AUDIT_CHECK_OPTIONS, from its checker's logs. */
export function auditChecked(model: CheckedModel, checker: ModelChecker): Audit {
  const ast = checker.ast;
  const embedSpan = ast.embed?.span ?? ast.span;
  const tensors = modelTensors(model, embedSpan);

  const literalMap = new Map<string, AuditedLiteral>();
  const addLiteral = (value: number, kind: AuditedLiteral['kind'], where: AuditedLiteral['where'][number]) => {
    const key = fmt(value);
    const entry = literalMap.get(key) ?? { value, kind, where: [] };
    if (!entry.where.some((w) => w.line === where.line && w.col === where.col && w.tensor === where.tensor)) entry.where.push(where);
    if (kind === 'weight entry') entry.kind = kind;
    literalMap.set(key, entry);
  };

  const audited: AuditedTensor[] = tensors.map((t) => {
    const counts: Record<NumberClass, number> = { 'free parameter': 0, derived: 0, 'literal constant': 0, 'fixed encoding': 0, structural: 0 };
    const deps = t.kind === 'weight' ? tensorDependencies(t, checker.ev.log) : [];
    for (let i = 0; i < t.values.length; i++) {
      const v = t.values[i];
      if (t.kind === 'encoding') {
        counts['fixed encoding']++;
        continue;
      }
      if (deps[i]!.length > 0) counts.derived++;
      else if (isRouting(v) || t.structural?.(v)) counts.structural++;
      else {
        counts['literal constant']++;
        addLiteral(v, 'weight entry', { tensor: t.name, line: t.span.line, col: t.span.col });
      }
    }
    return { name: t.name, kind: t.kind, line: t.span.line, col: t.span.col, entries: t.values.length, counts };
  });

  // Constants written into formulas that also use parameters: e.g. the fixed 1000 in the 6p's tied
  // gate `(gate_w0 - gate_w1/K) big`. Their weights are derived, so they are found in the text.
  for (const f of checker.formulas as FormulaLog[]) {
    if (f.params.length === 0) continue;
    for (const lit of f.literals) {
      if (isRouting(lit.value) || !Number.isFinite(lit.value)) continue;
      addLiteral(lit.value, 'in formula', { line: lit.span.line, col: lit.span.col, via: lit.via });
    }
  }

  const params: AuditedParam[] = model.values
    .filter((v) => v.kind === 'param')
    .map((p) => ({
      name: p.name,
      shape: p.shape,
      count: p.values.length,
      values: p.values,
      line: p.span.line,
      col: p.span.col,
      usedIn: usedIn(p.name, checker),
    }));
  const adderboard = params.reduce((n, p) => n + p.count, 0);
  const literals = [...literalMap.values()].sort((a, b) => a.where[0].line - b.where[0].line || a.where[0].col - b.where[0].col || a.value - b.value);
  return { adderboard, strict: adderboard + literals.length, params, literals, tensors: audited };
}

/** The declarations and blocks that read a parameter (directly or through lets). */
function usedIn(name: string, checker: ModelChecker): string[] {
  const out = new Set<string>();
  for (const v of checker.values.values()) if (v.name !== name && v.uses.includes(name)) out.add(v.name);
  const n = checker.formulas.filter((f) => f.params.includes(name)).length;
  if (n > 0) out.add(`${n} weight formula${n === 1 ? '' : 's'}`);
  return [...out];
}
