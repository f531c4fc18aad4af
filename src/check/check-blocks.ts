// Checking attention and MLP blocks and norms: each setting is evaluated into the numbers the IR
// needs (projection matrices, RoPE angle tables, score tables), with its shape checked against the
// block's heads and dims.
import type { ComponentAst, Expr, Setting, WriteStmt } from '../syntax/ast.ts';
import { diag } from '../diagnostics.ts';
import { EvalError, flatten, Scope } from './evaluate.ts';
import { affineMap } from './linear-map.ts';
import { writeMap } from './check-writes.ts';
import type { Activation, AffineMap, AttentionSpec, ComponentSpec, MlpSpec, NormSpec } from './model.ts';
import { collectSettings, type Schema } from './settings.ts';
import type { CheckContext } from './context.ts';
import { LIMITS } from '../limits.ts';
import { evaluateLength, readsLength, stageLength, type LengthExpr } from './length-formula.ts';
import { entryParams, NO_PARAMS, type ParamSet } from './dependencies.ts';

const NORM_HELP = 'write `none`, `rms(eps: 1e-6)`, `rms(weight: w, eps: 1e-6)` or `layernorm(weight: w, bias: b, eps: 1e-5)`';

const ATTENTION: Schema = {
  heads: { form: 'value', help: '`heads 2`: number of query heads' },
  kv_heads: { form: 'value', help: '`kv_heads 1`: key/value heads shared by groups of query heads (GQA/MQA)' },
  dim: { form: 'value', help: '`dim 2`: query/key width per head' },
  value_dim: { form: 'value', help: '`value_dim 1`: value width per head (default: dim)' },
  pre: { form: 'value', help: NORM_HELP },
  post: { form: 'value', help: `norm of the residual after this block adds to it (post-norm); ${NORM_HELP}` },
  q: { form: 'assign', help: '`q = [..]`: a linear map of the residual channels, heads × dim outputs' },
  k: { form: 'assign', help: '`k = [..]`: a linear map of the residual channels, kv_heads × dim outputs' },
  v: { form: 'assign', help: '`v = [..]`: a linear map of the residual channels, kv_heads × value_dim outputs' },
  qk_norm: { form: 'value', help: `norm of each query and key head; ${NORM_HELP}` },
  q_norm: { form: 'value', help: `norm of each query head; ${NORM_HELP}` },
  k_norm: { form: 'value', help: `norm of each key head; ${NORM_HELP}` },
  rope: { form: { params: ['p'] }, help: '`rope(p) = p omega` or `rope(p, i) = …`: rotation angle at position p for pair i' },
  scale: { form: 'value', help: '`scale 1/sqrt(2)`: factor on q·k (default 1/sqrt(dim))' },
  causal: { form: 'flag', help: '`causal`: keys after the query are excluded' },
  bias: { form: { params: ['h', 'i', 'j'] }, help: '`bias(h, i, j) = …`: additive score for head h, query position i, key position j (-inf excludes)' },
  softmax1: { form: 'flag', help: '`softmax1`: softmax with an extra zero logit (an attention sink)' },
};

const MLP: Schema = {
  pre: { form: 'value', help: NORM_HELP },
  post: { form: 'value', help: `norm of the residual after this block adds to it (post-norm); ${NORM_HELP}` },
  act: { form: 'value', help: 'one of relu, silu, gelu_tanh, sigmoid, tanh, abs, identity' },
  width: { form: 'value', help: '`width 4`: hidden units (checked against the maps)' },
  in: { form: 'assign', help: '`in = [..]`: hidden pre-activations as a linear map of the residual' },
  gate: { form: 'assign', help: '`gate = [..]`: gated MLP, act(gate) ⊙ up' },
  up: { form: 'assign', help: '`up = [..]`: gated MLP, act(gate) ⊙ up' },
};

const ACTIVATIONS: Activation[] = ['relu', 'silu', 'gelu_tanh', 'sigmoid', 'tanh', 'abs', 'identity'];

export function checkComponent(c: CheckContext, ast: ComponentAst): ComponentSpec | undefined {
  return ast.kind === 'attention' ? checkAttention(c, ast.settings, ast.writes, ast.span) : checkMlp(c, ast.settings, ast.writes, ast.span);
}

function intSetting(c: CheckContext, s: Setting | undefined, fallback: number | undefined, what: string, max: number): number | undefined {
  if (!s) return fallback;
  return c.guard(() => {
    const v = c.markRead(() => c.ev.integer(s.value!, c.scope, what)).value;
    if (v < 1 || v > max) throw c.ev.error('HW016', `${what} must be between 1 and ${max}, not ${v}`, s.value!.span);
    return v;
  });
}

function checkAttention(c: CheckContext, settings: Setting[], writes: WriteStmt[], span: ComponentAst['span']): AttentionSpec | undefined {
  const s = collectSettings(settings, ATTENTION, 'attention', c.diags);
  const before = c.diags.length;
  const heads = intSetting(c, s.get('heads'), 1, 'heads', LIMITS.headsTimesDim);
  const kvHeads = intSetting(c, s.get('kv_heads'), heads, 'kv_heads', LIMITS.headsTimesDim);
  const dim = intSetting(c, s.get('dim'), undefined, 'dim', LIMITS.headsTimesDim);
  const valueDim = intSetting(c, s.get('value_dim'), dim, 'value_dim', LIMITS.headsTimesDim);
  if (dim === undefined && !s.get('dim')) c.diags.push(diag('HW020', 'attention needs `dim` (the head width)', span));
  if (heads === undefined || kvHeads === undefined || dim === undefined || valueDim === undefined) return undefined;
  if (heads % kvHeads !== 0) {
    c.diags.push(diag('HW025', `heads (${heads}) must be a multiple of kv_heads (${kvHeads})`, s.get('kv_heads')!.span));
    return undefined;
  }
  if (heads * Math.max(dim, valueDim) > LIMITS.headsTimesDim) {
    c.diags.push(diag('HW029', `heads × dim = ${heads * Math.max(dim, valueDim)} is over the limit of ${LIMITS.headsTimesDim}`, span));
    return undefined;
  }
  const d = c.channels.length;
  const map = (name: 'q' | 'k' | 'v', size: number): AffineMap | undefined => {
    const st = s.get(name);
    if (!st) {
      c.diags.push(diag('HW020', `attention needs \`${name} = …\``, span, { hint: ATTENTION[name].help }));
      return undefined;
    }
    // A wrong output count is explained by where the needed size comes from: the head settings.
    const why = name === 'q' ? ['heads', 'dim'] : name === 'k' ? ['kv_heads', 'heads', 'dim'] : ['kv_heads', 'heads', 'value_dim', 'dim'];
    const from = [...new Set(why.filter((w) => s.has(w)).map((w) => s.get(w)!))].map((setting) => ({
      message: `\`${setting.name.name}\` is set here`,
      span: setting.span,
    }));
    return c.guard(() => {
      try {
        return c.markRead(() => affineMap(c.ev, st.value!, c.scope, c.residualInputs, `\`${name}\``, size)).value;
      } catch (e) {
        if (e instanceof EvalError && e.diagnostic?.code === 'HW013' && /outputs? but/.test(e.diagnostic.message)) {
          e.diagnostic.related = [...(e.diagnostic.related ?? []), ...from];
        }
        throw e;
      }
    });
  };
  const q = map('q', heads * dim);
  const k = map('k', kvHeads * dim);
  const v = map('v', kvHeads * valueDim);
  const pre = normSetting(c, s.get('pre'), d, 'pre norm');
  const post = normSetting(c, s.get('post'), d, 'post norm');
  const qk = normSetting(c, s.get('qk_norm'), dim, 'qk norm');
  const qNorm = s.get('q_norm') ? normSetting(c, s.get('q_norm'), dim, 'q norm') : qk;
  const kNorm = s.get('k_norm') ? normSetting(c, s.get('k_norm'), dim, 'k norm') : qk;
  if (s.get('qk_norm') && (s.get('q_norm') || s.get('k_norm'))) {
    c.diags.push(diag('HW025', 'set either `qk_norm` or `q_norm`/`k_norm`, not both', s.get('qk_norm')!.span));
  }
  const rope = s.get('rope') ? ropeTable(c, s.get('rope')!, dim) : undefined;
  const scaleSetting = s.get('scale');
  let scaleDeps: ParamSet[] | undefined;
  const scale = scaleSetting
    ? c.guard(() => {
        const tracked = c.markRead(() => c.evaluateTracked(scaleSetting.value!)).value;
        const v = tracked.value;
        if (tracked.deps) scaleDeps = entryParams(tracked.deps);
        if (typeof v !== 'number') throw c.ev.error('HW021', 'the score scale must be a single number', scaleSetting.value!.span);
        if (!Number.isFinite(v)) throw c.ev.error('HW014', 'the score scale is not finite', scaleSetting.value!.span);
        return v;
      })
    : 1 / Math.sqrt(dim);
  const causal = s.has('causal');
  // The causal mask is a score table too (a bias table is limited in biasTable), built per head.
  if (causal && !s.get('bias') && heads * c.context * c.context > LIMITS.tableEntries) {
    c.diags.push(diag('HW029', `the causal mask would have ${heads * c.context * c.context} entries (limit ${LIMITS.tableEntries})`, s.get('causal')!.span, {
      hint: `${heads} head${heads === 1 ? '' : 's'} × context ${c.context}²`,
    }));
  }
  const biasSetting = s.get('bias');
  const biasReadsN = biasSetting !== undefined && biasReadsLength(c, biasSetting);
  const scoreBiasLength = biasSetting && biasReadsN ? lengthBias(c, biasSetting, heads, causal) : undefined;
  const scoreBias = biasSetting && !biasReadsN ? biasTable(c, biasSetting, heads, causal) : undefined;
  const out = writeMap(c, writes, { size: heads * valueDim, scalars: [], vectors: [{ name: 'out', start: 0, length: heads * valueDim }] }, span, 'attention');
  if (c.diags.slice(before).some((x) => x.severity === 'error')) return undefined;
  if (!q || !k || !v || !pre || !post || !qNorm || !kNorm || scale === undefined || !out) return undefined;
  const spec: AttentionSpec = {
    kind: 'attention', heads, kvHeads, dim, valueDim, pre, post, q, k, v, qNorm, kNorm, rope, scale, causal,
    scoreBias: scoreBias ?? (causal ? causalTable(heads, c.context) : undefined),
    scoreBiasLength,
    softmax1: s.has('softmax1'), out, span,
  };
  // The score scale is one number, logged under its block (a default scale reads nothing).
  c.ev.log?.record(spec, scaleDeps ?? [NO_PARAMS]);
  return spec;
}

function causalTable(heads: number, context: number): Float64Array {
  const t = new Float64Array(heads * context * context);
  for (let h = 0; h < heads; h++) for (let i = 0; i < context; i++) for (let j = i + 1; j < context; j++) t[(h * context + i) * context + j] = -Infinity;
  return t;
}

function ropeTable(c: CheckContext, st: Setting, dim: number) {
  if (dim % 2 !== 0) {
    c.diags.push(diag('HW025', `RoPE rotates pairs of head dims, but dim is ${dim}`, st.span));
    return undefined;
  }
  const params = st.params!.map((p) => p.name);
  if (params.length < 1 || params.length > 2) {
    c.diags.push(diag('HW012', 'rope takes the position and optionally the pair index: `rope(p) = …` or `rope(p, i) = …`', st.span));
    return undefined;
  }
  if (c.context < 1) {
    c.diags.push(diag('HW020', 'RoPE needs a context length', st.span, { hint: 'add a task (prompt + decode) or `context N`' }));
    return undefined;
  }
  const pairs = dim / 2;
  return c.guard(() => c.markRead(() => {
    const angles = new Float64Array(c.context * pairs);
    for (let p = 0; p < c.context; p++) {
      for (let i = 0; i < pairs; i++) {
        const scope = c.scope.child();
        scope.set(params[0], p);
        if (params[1]) scope.set(params[1], i);
        const v = c.evaluate(st.value!, scope);
        if (typeof v !== 'number' || !Number.isFinite(v)) throw c.ev.error('HW014', `the RoPE angle at position ${p}, pair ${i} is not a finite number`, st.value!.span);
        angles[p * pairs + i] = v;
      }
    }
    return { angles, pairs, span: st.span };
  }).value);
}

/** A score bias is a table over head × query × key: it needs a context and must fit the limit. */
function scoreTableFits(c: CheckContext, st: Setting, heads: number, n: number): boolean {
  if (n < 1) {
    c.diags.push(diag('HW020', 'a score bias needs a context length', st.span, { hint: 'add a task (prompt + decode) or `context N`' }));
    return false;
  }
  if (heads * n * n > LIMITS.tableEntries) {
    c.diags.push(diag('HW029', `the score table would have ${heads * n * n} entries (limit ${LIMITS.tableEntries})`, st.span));
    return false;
  }
  return true;
}

function biasTable(c: CheckContext, st: Setting, heads: number, causal: boolean): Float64Array | undefined {
  const params = st.params!.map((p) => p.name);
  if (params.length !== 3) {
    c.diags.push(diag('HW012', 'bias takes the head, query position and key position: `bias(h, i, j) = …`', st.span));
    return undefined;
  }
  const n = c.context;
  if (!scoreTableFits(c, st, heads, n)) return undefined;
  return c.guard(() => c.markRead(() => {
    const t = new Float64Array(heads * n * n);
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const idx = (h * n + i) * n + j;
          if (causal && j > i) {
            t[idx] = -Infinity;
            continue;
          }
          const scope = c.scope.child();
          scope.set(params[0], h);
          scope.set(params[1], i);
          scope.set(params[2], j);
          const v = c.evaluate(st.value!, scope);
          if (typeof v !== 'number' || Number.isNaN(v) || v === Infinity) {
            throw c.ev.error('HW014', `the score bias at head ${h}, query ${i}, key ${j} is ${String(v)}: it must be a number or -inf`, st.value!.span);
          }
          t[idx] = v;
        }
      }
    }
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < n; i++) {
        let any = false;
        for (let j = 0; j < n; j++) if (t[(h * n + i) * n + j] !== -Infinity) any = true;
        if (!any) throw c.ev.error('HW025', `head ${h} at query position ${i} excludes every key`, st.value!.span, 'each query must see at least one key');
      }
    }
    return t;
  }).value);
}

function biasReadsLength(c: CheckContext, st: Setting): boolean {
  const params = st.params?.map((p) => p.name) ?? [];
  if (params.length !== 3 || !st.value) return false;
  const scope = c.scope.child();
  for (const p of params) scope.set(p, 0);
  return readsLength(st.value, scope);
}

/** A score bias that reads N (the sequence length): split into float64 tables over
 * head × query × key and the operations that combine them with N at run time (length-formula.ts).
 * A causal block keeps its mask as the fixed table, so keys after the query are never evaluated. */
function lengthBias(c: CheckContext, st: Setting, heads: number, causal: boolean): LengthExpr | undefined {
  const [hName, iName, jName] = st.params!.map((p) => p.name) as [string, string, string];
  const n = c.context;
  if (!scoreTableFits(c, st, heads, n)) return undefined;
  if (heads * n * n > LIMITS.lengthTableEntries) {
    c.diags.push(diag('HW029', `a score bias that reads N is built from tables of ${heads * n * n} entries (limit ${LIMITS.lengthTableEntries}: heads × context² for a length-aware bias)`, st.span, {
      hint: 'lower the context, or write the bias without N',
    }));
    return undefined;
  }
  const at = (pt: number) => ({ h: Math.floor(pt / (n * n)), i: Math.floor(pt / n) % n, j: pt % n });
  const points = {
    count: heads * n * n,
    bind: (scope: Scope, pt: number) => {
      const { h, i, j } = at(pt);
      scope.set(hName, h);
      scope.set(iName, i);
      scope.set(jName, j);
    },
    ignored: (pt: number) => causal && at(pt).j > at(pt).i,
  };
  return c.guard(() => c.markRead(() => {
    const expr = stageLength(c, st.value!, c.scope, points);
    // At the longest length every score a query can see must be a number or −inf.
    for (let pt = 0; pt < points.count; pt++) {
      if (points.ignored(pt)) continue;
      const v = evaluateLength(expr, pt, n);
      if (Number.isNaN(v) || v === Infinity) {
        const { h, i, j } = at(pt);
        throw c.ev.error('HW014', `the score bias at head ${h}, query ${i}, key ${j} is ${String(v)} at length N = ${n}: it must be a number or -inf`, st.value!.span);
      }
    }
    return expr;
  }).value);
}

function checkMlp(c: CheckContext, settings: Setting[], writes: WriteStmt[], span: ComponentAst['span']): MlpSpec | undefined {
  const s = collectSettings(settings, MLP, 'mlp', c.diags);
  const before = c.diags.length;
  const d = c.channels.length;
  const pre = normSetting(c, s.get('pre'), d, 'pre norm');
  const post = normSetting(c, s.get('post'), d, 'post norm');
  const actSetting = s.get('act');
  let act: Activation = 'relu';
  if (!actSetting) c.diags.push(diag('HW020', 'mlp needs `act` (its activation)', span, { hint: MLP.act.help }));
  else {
    const v = actSetting.value!;
    const name = v.kind === 'name' ? v.name : undefined;
    if (!name || !ACTIVATIONS.includes(name as Activation)) {
      c.diags.push(diag('HW019', `unknown activation${name ? ` \`${name}\`` : ''}`, v.span, { hint: MLP.act.help }));
    } else act = name as Activation;
  }
  const width = intSetting(c, s.get('width'), undefined, 'width', LIMITS.headsTimesDim);
  const m = (name: 'in' | 'gate' | 'up') => {
    const st = s.get(name);
    if (!st) return undefined;
    return c.guard(() => c.markRead(() => affineMap(c.ev, st.value!, c.scope, c.residualInputs, `\`${name}\``, width)).value);
  };
  const gated = s.has('gate') || s.has('up');
  if (gated && s.has('in')) c.diags.push(diag('HW025', 'an mlp has either `in` or `gate` and `up`, not both', s.get('in')!.span));
  if (gated && !(s.has('gate') && s.has('up'))) c.diags.push(diag('HW020', 'a gated mlp needs both `gate` and `up`', span));
  if (!gated && !s.has('in')) c.diags.push(diag('HW020', 'mlp needs `in = …` (or `gate` and `up`)', span, { hint: MLP.in.help }));
  const inMap = m('in');
  const gate = m('gate');
  const up = m('up');
  const hiddenWidth = width ?? (inMap ?? gate)?.weight.rows;
  // Without `width` the maps set the width; it has the same limit as a written one.
  if (hiddenWidth !== undefined && hiddenWidth > LIMITS.headsTimesDim) {
    c.diags.push(diag('HW029', `the mlp has ${hiddenWidth} hidden units (limit ${LIMITS.headsTimesDim})`, (inMap ?? gate)?.span ?? span));
    return undefined;
  }
  if (gate && up && gate.weight.rows !== up.weight.rows) {
    c.diags.push(diag('HW013', `gate has ${gate.weight.rows} outputs but up has ${up.weight.rows}`, up.span, { related: [{ message: 'gate is here', span: gate.span }] }));
  }
  if (hiddenWidth === undefined) return undefined;
  const out = writeMap(c, writes, { size: hiddenWidth, scalars: [], vectors: [{ name: 'h', start: 0, length: hiddenWidth }] }, span, 'mlp');
  if (c.diags.slice(before).some((x) => x.severity === 'error')) return undefined;
  if (!pre || !post || !out) return undefined;
  return { kind: 'mlp', pre, post, act, width: hiddenWidth, in: inMap, gate, up, out, span };
}

function normSetting(c: CheckContext, st: Setting | undefined, size: number, what: string): NormSpec | undefined {
  if (!st) return { kind: 'none' };
  return c.guard(() => checkNorm(c, st.value!, size, what));
}

/** `none`, `rms(weight: w, eps: e)` or `layernorm(weight: w, bias: b, eps: e)` over `size` values. */
export function checkNorm(c: CheckContext, e: Expr, size: number, what: string): NormSpec {
  if (e.kind === 'name' && e.name === 'none') return { kind: 'none' };
  const normName = e.kind === 'name' ? e.name : undefined;
  const named = normName !== undefined ? c.namedNorm(normName) : undefined;
  if (named) {
    // One declaration, many uses: a mismatch is reported at the use, with the declaration as a note.
    try {
      const spec = checkNorm(c, named.value, size, what);
      return spec.kind === 'none' ? spec : { ...spec, span: e.span };
    } catch (err) {
      if (err instanceof EvalError && err.diagnostic) {
        const first = err.diagnostic;
        throw c.ev.error(first.code as Parameters<typeof diag>[0], `the norm \`${normName}\` does not fit the ${what}: ${first.message}`, e.span, first.hint, [
          { message: `\`${normName}\` is declared here`, span: first.span },
          ...(first.related ?? []),
        ]);
      }
      throw err;
    }
  }
  if (e.kind === 'name') {
    throw c.ev.error('HW021', `${what}: \`${e.name}\` is not a norm`, e.span, `${NORM_HELP}, or declare one: \`let ${e.name} = rms(eps: 1e-6)\``);
  }
  if (e.kind !== 'call' || (e.callee !== 'rms' && e.callee !== 'layernorm')) {
    throw c.ev.error('HW021', `${what}: expected a norm`, e.span, NORM_HELP);
  }
  const allowed = e.callee === 'rms' ? ['weight', 'eps'] : ['weight', 'bias', 'eps'];
  const args = new Map<string, Expr>();
  for (const a of e.args) {
    if (!a.name) throw c.ev.error('HW021', `${e.callee} arguments are named, e.g. \`eps: 1e-6\``, a.span, NORM_HELP);
    if (!allowed.includes(a.name)) throw c.ev.error('HW019', `unknown ${e.callee} argument \`${a.name}\``, a.span, `${e.callee} takes ${allowed.join(', ')}`);
    args.set(a.name, a.value);
  }
  const vector = (name: string): Float64Array | undefined => {
    const ex = args.get(name);
    if (!ex) return undefined;
    const tracked = c.markRead(() => c.evaluateTracked(ex)).value;
    const v = flatten(tracked.value);
    if (v.length !== size) throw c.ev.error('HW013', `${what} ${name} has ${v.length} entries but normalises ${size} values`, ex.span);
    if (v.some((x) => !Number.isFinite(x))) throw c.ev.error('HW014', `${what} ${name} is not finite`, ex.span);
    const out = Float64Array.from(v);
    if (tracked.deps) c.ev.log?.record(out, entryParams(tracked.deps));
    return out;
  };
  const epsExpr = args.get('eps');
  let eps = e.callee === 'rms' ? 1e-6 : 1e-5;
  if (epsExpr) {
    const v = c.markRead(() => c.evaluate(epsExpr)).value;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw c.ev.error('HW021', 'eps must be a number ≥ 0', epsExpr.span);
    eps = v;
  }
  const weight = vector('weight');
  if (e.callee === 'rms') return { kind: 'rms', eps, weight, span: e.span };
  return { kind: 'layernorm', eps, weight, bias: vector('bias'), span: e.span };
}

export { EvalError, Scope };
