// Stage 2: AST → CheckedModel. Resolves names, evaluates every formula (through mathjs), infers and
// checks shapes, and reports problems as diagnostics. An error in one declaration is reported once;
// names that depend on it are skipped silently so one mistake does not cascade.
import type { Expr, ModelAst, RepeatAst, Span } from '../syntax/ast.ts';
import { diag, type Diagnostic, hasErrors, NO_SPAN } from '../diagnostics.ts';
import { CONSTANTS, EvalError, Evaluator, flatten, Scope, shapeOf, type Value } from './evaluate.ts';
import type { InputNames } from './linear-map.ts';
import type { CheckedModel, FloatDType, HaltSpec, LayerSpec, LoopSpec, Matrix, NamedValue } from './model.ts';
import { checkComponent, checkNorm } from './check-blocks.ts';
import { affineMap } from './linear-map.ts';
import { checkAnyTask } from './check-task.ts';
import { stringTaskPositions } from './check-string-task.ts';
import { LIMITS } from '../limits.ts';
import type { CheckContext } from './context.ts';
import { evaluateLength, lengthsToCheck, readsLength, stageLength } from './length-formula.ts';
import type { LengthColumn } from './model.ts';
import { DependencyLog, entryParams, NO_PARAMS, parameterDeps, unionEntries, type Deps, type ParamSet } from './dependencies.ts';


/** The shape of a scalar and the parameters behind a value that has none: one shared empty list
 * (frozen: nothing may add to it), not one per declaration, as a large source has many. */
const NO_NAMES_OR_SIZES: never[] = Object.freeze([]) as never[];

export interface CheckOptions {
  /** Record every weight formula's fixed constants (for the parameter audit). */
  logFormulas?: boolean;
  /** Keep the dependency log: for every weight entry, the parameters it was computed from (for the
   * parameter audit; see ./dependencies.ts). */
  logDependencies?: boolean;
}

export interface LiteralUse {
  value: number;
  span: Span;
  /** The `let` the value was read through, when it was not written inline. */
  via?: string;
}

export interface FormulaLog {
  reads: string[];
  params: string[];
  literals: LiteralUse[];
}

export interface CheckResult {
  model?: CheckedModel;
  diagnostics: Diagnostic[];
  /** The checker itself: the audit reads its formula and dependency logs. */
  checker: ModelChecker;
}

export function checkModel(ast: ModelAst, source: string, opts: CheckOptions = {}): CheckResult {
  const c = new ModelChecker(ast, source, opts);
  let model: CheckedModel | undefined;
  try {
    model = c.run();
  } catch (err) {
    // A fault in the checker, not in the model: reported as data, never as a stack trace.
    const message = err instanceof Error ? err.message : String(err);
    c.diags.push(diag('HW099', `internal error while checking: ${message}`, NO_SPAN, { hint: 'this is a bug in handwire: please report it with this source file' }));
  }
  return { model: hasErrors(c.diags) ? undefined : model, diagnostics: c.diags, checker: c };
}

export class ModelChecker implements CheckContext {
  readonly diags: Diagnostic[] = [];
  readonly ev = new Evaluator();
  private reads = new Set<string>();
  readonly scope = new Scope(undefined, (name) => this.reads.add(name));
  readonly values = new Map<string, NamedValue>();
  channels: string[] = [];
  residualInputs: InputNames = { size: 0, scalars: [], vectors: [] };
  channelGroups = new Map<string, { start: number; length: number }>();
  context = 0;
  /** Items whose declaration was refused: checks that depend on them stay silent, so one mistake
   * gives one error (the vocabulary size feeds the task, embedding and head; the residual's width
   * every table and projection). */
  private readonly refused = new Set<'vocab' | 'residual'>();

  /** Formulas evaluated for weights (after the declarations), with what they read: the audit uses
   * this to find fixed constants written into parameter-dependent formulas. */
  readonly formulas: FormulaLog[] = [];
  private literals: LiteralUse[] | undefined;

  constructor(readonly ast: ModelAst, readonly source: string, readonly opts: CheckOptions = {}) {
    if (opts.logDependencies) this.ev.log = new DependencyLog();
  }

  /** Evaluates in the global scope (or `scope`), with the dependencies of every number when the
   * dependency log is kept. */
  evaluateTracked(e: Expr, scope: Scope = this.scope): { value: Value; deps?: Deps } {
    return this.ev.log ? this.ev.evaluateTracked(e, scope) : { value: this.ev.evaluate(e, scope) };
  }

  run(): CheckedModel | undefined {
    const ast = this.ast;
    const about: Record<string, string | string[]> = {};
    for (const e of ast.about?.entries ?? []) about[e.key.name] = e.value;

    const { vocab, tokenNames } = this.vocab();
    const dtype = this.dtype();
    this.residual();
    this.ev.tokenNames = tokenNames;
    // A refused vocabulary size is unknown, not 1: the task is checked as if every token existed.
    const taskVocab = this.refused.has('vocab') ? Number.MAX_SAFE_INTEGER : vocab;
    const { task, stringTask } = ast.task ? checkAnyTask(this, ast.task, taskVocab, tokenNames) : {};
    const needs = task ? { prompt: task.prompt.length, decode: task.decode } : stringTask ? stringTaskPositions(stringTask) : undefined;
    this.declarations();
    this.declarationsDone = true;
    // After the declarations: `context` may be a formula of them (`context 2 max_len + 1`).
    this.context = this.contextLength(needs?.prompt, needs?.decode);
    // A task with errors sets no context; a placeholder of 1 keeps RoPE, positions and masks from
    // reporting "needs a context length" for a context the task would have set.
    if (ast.task && !task && !stringTask && this.context === 0) this.context = 1;
    if (this.opts.logFormulas) {
      this.ev.literalSink = (value, span, via) => this.literals?.push({ value, span, via });
      for (const v of this.values.values()) if (v.kind === 'let') this.ev.constantNames.add(v.name);
    }

    // Everything below is sized by the residual; the tables and the head also by the vocabulary.
    // After either was refused they are not checked (their errors would all follow from that one).
    if (this.refused.has('residual')) {
      if (ast.embed) this.ev.poisoned.add(ast.embed.name.name);
      return undefined;
    }
    const embedding = this.refused.has('vocab') ? undefined : this.embedding(vocab);
    if (!embedding && ast.embed) this.ev.poisoned.add(ast.embed.name.name);
    const positions = this.position();
    const { layers, loops } = this.layers();
    const final = ast.final ? this.guard(() => checkNorm(this, ast.final!.value, this.channels.length, 'final norm')) : { kind: 'none' as const };
    const head = this.refused.has('vocab') ? undefined : this.head(vocab, embedding);
    // An error can end a step before it reads every parameter: "never used" would then be false.
    if (!hasErrors(this.diags)) this.unusedParams();
    if (!embedding || !head || !final || hasErrors(this.diags)) return undefined;

    return {
      name: ast.name.name,
      about,
      vocab,
      tokenNames,
      dtype,
      channels: this.channels,
      dModel: this.channels.length,
      context: this.context,
      embedding,
      embeddingName: ast.embed!.name.name,
      position: positions?.table,
      positionLength: positions?.length,
      layers,
      ...(loops.length ? { loops } : {}),
      final,
      head,
      task,
      ...(stringTask ? { stringTask } : {}),
      values: [...this.values.values()],
    };
  }

  /** Runs one checking step; an EvalError becomes a diagnostic and the step yields undefined. */
  guard<T>(f: () => T): T | undefined {
    try {
      return f();
    } catch (err) {
      if (err instanceof EvalError) {
        if (err.diagnostic) this.diags.push(err.diagnostic);
        return undefined;
      }
      throw err;
    }
  }

  /** Evaluates a formula in the global scope, recording which names it read. */
  evaluate(e: Expr, scope: Scope = this.scope): Value {
    return this.ev.evaluate(e, scope);
  }

  markRead<T>(f: () => T): { value: T; reads: Set<string> } {
    const saved = this.reads;
    const savedLiterals = this.literals;
    const outermost = savedLiterals === undefined;
    this.reads = new Set();
    if (outermost) this.literals = [];
    try {
      const value = f();
      return { value, reads: this.reads };
    } finally {
      const mine = this.reads;
      this.reads = saved;
      for (const r of mine) saved.add(r);
      for (const r of mine) {
        const v = this.values.get(r);
        if (v) v.used = true;
      }
      if (outermost) {
        if (this.opts.logFormulas && this.declarationsDone) {
          this.formulas.push({ reads: [...mine], params: this.paramsBehind(mine), literals: this.literals! });
        }
        this.literals = undefined;
      }
    }
  }

  private declarationsDone = false;
  private readonly norms = new Map<string, { value: Expr; span: Span }>();

  namedNorm(name: string): { value: Expr; span: Span } | undefined {
    const n = this.norms.get(name);
    const v = this.values.get(name);
    if (n && v) v.used = true;
    return n;
  }

  private vocab(): { vocab: number; tokenNames?: string[] } {
    const v = this.ast.vocab;
    if (!v) {
      this.diags.push(diag('HW020', 'the model has no `vocab`', this.ast.name.span, { hint: 'add e.g. `vocab 10` (tokens 0..9)' }));
      this.refused.add('vocab');
      return { vocab: 1 };
    }
    if (v.names) {
      const seen = new Set<string>();
      for (const n of v.names) {
        if (seen.has(n)) this.diags.push(diag('HW011', `token name "${n}" appears twice in the vocabulary`, v.span));
        seen.add(n);
      }
      if (v.names.length === 0) {
        this.diags.push(diag('HW028', 'the vocabulary is empty', v.span));
        this.refused.add('vocab');
      }
      return { vocab: Math.max(1, v.names.length), tokenNames: v.names };
    }
    const size = v.size ?? 0;
    if (!Number.isInteger(size) || size < 1 || size > LIMITS.vocab) {
      this.diags.push(diag('HW016', `vocabulary size ${size} is out of range (1..${LIMITS.vocab})`, v.span));
      this.refused.add('vocab');
      return { vocab: 1 };
    }
    return { vocab: size };
  }

  private dtype(): FloatDType {
    const d = this.ast.dtype;
    if (!d) return 'float32';
    if (d.name !== 'float32' && d.name !== 'float64') {
      this.diags.push(diag('HW022', `unknown dtype \`${d.name}\``, d.span, { hint: 'use float32 or float64' }));
      return 'float32';
    }
    return d.name;
  }

  private residual(): void {
    const r = this.ast.residual;
    if (!r) {
      this.diags.push(diag('HW020', 'the model has no `residual` stream', this.ast.name.span, {
        hint: 'name its channels, e.g. `residual [big, digit]`',
      }));
      this.refused.add('residual');
      return;
    }
    const seen = new Map<string, Span>();
    for (const ch of r.channels) {
      const name = ch.name.name;
      if (seen.has(name)) {
        this.diags.push(diag('HW011', `channel \`${name}\` is declared twice`, ch.name.span, { related: [{ message: 'first declared here', span: seen.get(name)! }] }));
        this.refused.add('residual');
        continue;
      }
      if (name === 'x' || name === 'out' || name === 'h') {
        this.diags.push(diag('HW011', `\`${name}\` cannot name a channel: projections use it for the whole input`, ch.name.span));
        this.refused.add('residual');
        continue;
      }
      seen.set(name, ch.name.span);
      const start = this.channels.length;
      if (ch.count !== undefined) {
        // A group over the limit by itself is a number out of range (HW016); one that only overflows
        // the channels before it is a total over the limit (HW029), fixed by shrinking any group.
        const outOfRange = !Number.isInteger(ch.count) || ch.count < 1 || ch.count > LIMITS.channels;
        if (outOfRange || start + ch.count > LIMITS.channels) {
          this.diags.push(outOfRange
            ? diag('HW016', `channel group size ${ch.count} is out of range (1..${LIMITS.channels})`, ch.span)
            : diag('HW029', `${start} channels before it and ${ch.count} in this group are ${start + ch.count} residual channels, over the limit of ${LIMITS.channels}`, ch.span));
          this.refused.add('residual');
          this.ev.poisoned.add(name);
          continue;
        }
        for (let i = 0; i < ch.count; i++) this.channels.push(`${name}[${i}]`);
        this.channelGroups.set(name, { start, length: ch.count });
        this.residualInputs.vectors.push({ name, start, length: ch.count });
      } else {
        this.channels.push(name);
        this.channelGroups.set(name, { start, length: 1 });
        this.residualInputs.scalars.push({ name, index: start });
      }
    }
    if (this.channels.length > LIMITS.channels) {
      this.diags.push(diag('HW029', `${this.channels.length} residual channels is over the limit of ${LIMITS.channels}`, r.span));
      this.refused.add('residual');
    }
    this.residualInputs.size = this.channels.length;
    this.residualInputs.vectors.push({ name: 'x', start: 0, length: this.channels.length });
  }

  private contextLength(promptLength: number | undefined, decode: number | undefined): number {
    const needed = promptLength !== undefined && decode !== undefined ? promptLength + decode - 1 : undefined;
    const given = this.ast.context ? this.givenContext(this.ast.context.value) : undefined;
    if (given === 'refused') return needed ?? 1;
    if (given) {
      const span = this.ast.context!.span;
      // A formula is shown with its value: `context 2 n + 1` (= 11).
      const text = this.text(this.ast.context!.value.span);
      const shown = given.formula && text !== String(given.value) ? `context ${text} (= ${given.value})` : `context ${given.value}`;
      if (given.value < 1 || given.value > LIMITS.context) {
        this.diags.push(diag('HW016', `${shown} is out of range (1..${LIMITS.context})`, span));
        return needed ?? 1;
      }
      if (needed !== undefined && given.value < needed) {
        this.diags.push(diag('HW025', `${shown} is shorter than the task needs (${needed} = prompt + decode − 1)`, span));
      }
      return Math.max(given.value, needed ?? 0);
    }
    if (needed !== undefined && needed > LIMITS.context) {
      this.diags.push(this.taskTooLong(needed, promptLength!, decode!));
      // The model is refused; a context of 1 keeps the position, RoPE and mask tables that depend
      // on it small and silent, so this one mistake gives one error.
      return 1;
    }
    if (needed !== undefined) return Math.max(needed, 1);
    return 0;
  }

  /** The value of `context FORMULA`: a whole number computed from numbers and `let` constants, never
   * from a parameter (the context sizes the model, and parameters are weights). 'refused' after a
   * diagnostic. */
  private givenContext(e: Expr): { value: number; formula: boolean } | 'refused' {
    if (e.kind === 'num') {
      if (!Number.isInteger(e.value)) {
        this.diags.push(diag('HW016', `context ${e.text} is out of range (1..${LIMITS.context})`, this.ast.context!.span, { hint: 'the context is a whole number of positions' }));
        return 'refused';
      }
      return { value: e.value, formula: false };
    }
    const r = this.guard(() => this.markRead(() => this.ev.selectorInteger(e, this.scope, 'the context')));
    if (!r) return 'refused';
    const params = this.paramsBehind(r.reads);
    if (params.length > 0) {
      this.diags.push(diag('HW021', `the context may not depend on parameter${params.length === 1 ? '' : 's'} ${params.map((p) => `\`${p}\``).join(', ')}`, e.span, {
        hint: 'the context is the model\'s size, not a weight: compute it from numbers and `let` constants',
      }));
      return 'refused';
    }
    return { value: r.value, formula: true };
  }

  /** A task whose prompt and decoding need more positions than any model may have: reported at
   * whichever of the prompt and `decode` asks for more, with the other as a note. */
  private taskTooLong(needed: number, promptLength: number, decode: number): Diagnostic {
    const task = this.ast.task!;
    const prompt = task.prompt ? { message: `the prompt has ${promptLength} tokens`, span: task.prompt.span } : undefined;
    const decodeSetting = task.settings.find((st) => st.name.name === 'decode');
    const steps = decodeSetting ? { message: `\`decode ${decode}\` is set here`, span: decodeSetting.span } : undefined;
    const [at, other] = promptLength >= decode ? [prompt, steps] : [steps, prompt];
    return diag('HW029', `the task needs ${needed} positions (prompt ${promptLength} + decode ${decode} − 1), over the context limit of ${LIMITS.context}`, at?.span ?? task.span, {
      related: other ? [other] : undefined,
      hint: `shorten the prompt or decode fewer tokens: prompt + decode may be at most ${LIMITS.context + 1}`,
    });
  }

  private declarations(): void {
    for (const d of this.ast.decls) {
      const name = d.name.name;
      const previous = this.values.get(name) ?? (this.scope.has(name) ? undefined : undefined);
      if (previous || this.channelGroups.has(name) || (this.scope.has(name) && !this.values.has(name))) {
        const where = previous?.span ?? NO_SPAN;
        this.diags.push(diag('HW011', `\`${name}\` is already defined`, d.name.span, {
          related: previous ? [{ message: 'first defined here', span: where }] : undefined,
          hint: this.channelGroups.has(name) ? `\`${name}\` is a residual channel` : undefined,
        }));
        this.ev.poisoned.add(name);
        continue;
      }
      if (d.kind === 'let' && !d.params && isNormCall(d.value)) {
        // A named norm is checked where it is used: its weight must fit each place's width.
        this.norms.set(name, { value: d.value, span: d.name.span });
        this.ev.normNames.add(name);
        this.values.set(name, { name, kind: 'let', shape: [], values: [], span: d.name.span, uses: [], used: false });
        continue;
      }
      if (d.kind === 'let' && d.params) {
        const params = d.params.map((p) => p.name);
        const twice = d.params.find((p, i) => params.indexOf(p.name) < i);
        if (twice) {
          this.diags.push(diag('HW011', `\`${name}\` has two parameters called \`${twice.name}\``, twice.span));
          this.ev.poisoned.add(name);
          continue;
        }
        this.scope.set(name, { kind: 'function', name, params, body: d.value, span: d.span });
        this.values.set(name, { name, kind: 'let', shape: [], values: [], span: d.name.span, uses: [], used: false });
        continue;
      }
      const result = this.guard(() => this.markRead(() => this.evaluateTracked(d.value)));
      if (!result) {
        this.ev.poisoned.add(name);
        continue;
      }
      const { value, deps } = result.value;
      const flat = flatten(value);
      if (typeof value === 'boolean' || flat.some((x) => typeof x !== 'number' || Number.isNaN(x))) {
        this.diags.push(diag('HW021', `\`${name}\` must be a number, vector or matrix`, d.value.span));
        this.ev.poisoned.add(name);
        continue;
      }
      if (d.kind === 'param' && flat.some((x) => !Number.isFinite(x))) {
        this.diags.push(diag('HW014', `parameter \`${name}\` is not finite`, d.value.span, { hint: `its value is ${showValue(value)}` }));
        this.ev.poisoned.add(name);
        continue;
      }
      // A parameter's entries come from the parameter, whatever formula wrote its value.
      this.scope.set(name, value, deps && (d.kind === 'param' ? parameterDeps(value, name) : deps));
      this.values.set(name, {
        name,
        kind: d.kind,
        shape: Array.isArray(value) ? shapeOf(value) : NO_NAMES_OR_SIZES,
        values: flat,
        span: d.name.span,
        uses: this.paramsBehind(result.reads),
        used: false,
      });
    }
  }

  /** The parameters a set of names depends on, following lets transitively. */
  paramsBehind(reads: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const r of reads) {
      const v = this.values.get(r);
      if (!v) continue;
      if (v.kind === 'param') out.add(r);
      else for (const u of v.uses) out.add(u);
    }
    return out.size === 0 ? NO_NAMES_OR_SIZES : [...out].sort();
  }

  private embedding(vocab: number): Matrix | undefined {
    const e = this.ast.embed;
    const d = this.channels.length;
    if (!e) {
      this.diags.push(diag('HW020', 'the model has no `embed` table', this.ast.name.span, { hint: 'e.g. `embed E[d] = [1000 - 0.001 d^2, -d]`' }));
      return undefined;
    }
    if (this.values.has(e.name.name)) {
      this.diags.push(diag('HW011', `\`${e.name.name}\` is already defined`, e.name.span));
      return undefined;
    }
    // Vocab and channels are each within their limits, but their product can still be gigabytes.
    if (vocab * d > LIMITS.tableEntries) {
      this.diags.push(diag('HW029', `the embedding table would have ${vocab} × ${d} = ${vocab * d} entries (limit ${LIMITS.tableEntries})`, e.span));
      return undefined;
    }
    return this.guard(() => this.markRead(() => {
      const data = new Float64Array(vocab * d);
      // The embedding's dependencies, row by row: the log's entry for the table, and the table's
      // when a later formula (a head) reads it by name.
      const rowDeps: Deps[] = [];
      if (e.indexVar) {
        for (let t = 0; t < vocab; t++) {
          const s = this.scope.child();
          s.set(e.indexVar.name, t);
          const tracked = this.evaluateTracked(e.value, s);
          const row = flatten(tracked.value);
          if (row.length !== d) throw this.ev.error('HW013', `embedding row ${t} has ${row.length} entries but the residual has ${d} channels`, e.value.span, `channels: ${this.channels.join(', ')}`);
          row.forEach((v, i) => (data[t * d + i] = v));
          if (tracked.deps) rowDeps.push(tracked.deps);
        }
      } else {
        const tracked = this.evaluateTracked(e.value);
        const m = tracked.value;
        const shape = shapeOf(m);
        if (shape.length !== 2 || shape[0] !== vocab || shape[1] !== d) {
          throw this.ev.error('HW013', `the embedding must be ${vocab} × ${d} (vocab × channels), not ${shape.join(' × ') || 'a scalar'}`, e.value.span);
        }
        flatten(m).forEach((v, i) => (data[i] = v));
        if (tracked.deps) rowDeps.push(...(tracked.deps as Deps[]));
      }
      for (const v of data) if (!Number.isFinite(v)) throw this.ev.error('HW014', 'the embedding has an entry that is not finite', e.value.span);
      const tracked = this.ev.log !== undefined;
      if (tracked) this.ev.log!.record(data, entryParams(rowDeps));
      this.scope.set(e.name.name, Array.from({ length: vocab }, (_, t) => Array.from(data.subarray(t * d, (t + 1) * d))), tracked ? rowDeps : undefined);
      return { rows: vocab, cols: d, data };
    }))?.value;
  }

  private position(): { table: Matrix; length?: LengthColumn[] } | undefined {
    const p = this.ast.position;
    if (!p) return undefined;
    const d = this.channels.length;
    if (this.context < 1) {
      this.diags.push(diag('HW020', 'a position table needs a context length', p.span, { hint: 'add a task (prompt + decode) or `context N`' }));
      return undefined;
    }
    const rowScope = this.scope.child();
    rowScope.set(p.indexVar.name, 0);
    if (readsLength(p.value, rowScope)) return this.guard(() => this.markRead(() => this.lengthPosition(p.value, p.indexVar.name)))?.value;
    return this.guard(() => this.markRead(() => {
      const data = new Float64Array(this.context * d);
      for (let pos = 0; pos < this.context; pos++) {
        const s = this.scope.child();
        s.set(p.indexVar.name, pos);
        const row = flatten(this.evaluate(p.value, s));
        if (row.length !== d) throw this.ev.error('HW013', `position row ${pos} has ${row.length} entries but the residual has ${d} channels`, p.value.span);
        row.forEach((v, i) => {
          if (!Number.isFinite(v)) throw this.ev.error('HW014', `position ${pos} has an entry that is not finite`, p.value.span);
          data[pos * d + i] = v;
        });
      }
      return { table: { rows: this.context, cols: d, data } };
    }))?.value;
  }

  /** A position row that reads N: its N-free entries become the fixed table, the others formulas
   * the IR computes at run time; the table holds their values at the longest length. */
  private lengthPosition(value: Expr, indexVar: string): { table: Matrix; length: LengthColumn[] } {
    const d = this.channels.length;
    const context = this.context;
    if (value.kind !== 'vector') {
      throw this.ev.error('HW021', 'a position row that reads N must be written as a vector `[a, b, …]`, one entry per channel (or per group)', value.span);
    }
    const points = { count: context, bind: (s: Scope, pt: number) => s.set(indexVar, pt) };
    const data = new Float64Array(context * d);
    const length: LengthColumn[] = [];
    let channel = 0;
    for (const item of value.items) {
      const probe = this.scope.child();
      probe.set(indexVar, 0);
      if (readsLength(item, probe)) {
        const expr = stageLength(this, item, this.scope, points);
        if (channel < d) length.push({ channel, expr });
        channel++;
        continue;
      }
      // N-free entries may be vectors (a group's channels); evaluated row by row as usual.
      const width = flatten(this.evaluate(item, withIndex(this.scope, indexVar, 0))).length;
      for (let pos = 0; pos < context; pos++) {
        const entries = flatten(this.evaluate(item, withIndex(this.scope, indexVar, pos)));
        if (entries.length !== width) throw this.ev.error('HW013', `this entry has ${entries.length} values at position ${pos} but ${width} at position 0`, item.span);
        entries.forEach((v, k) => {
          if (!Number.isFinite(v)) throw this.ev.error('HW014', `position ${pos} has an entry that is not finite`, item.span);
          if (channel + k < d) data[pos * d + channel + k] = v;
        });
      }
      channel += width;
    }
    if (channel !== d) throw this.ev.error('HW013', `a position row has ${channel} entries but the residual has ${d} channels`, value.span);
    // Every length from 1 to the context, at every position it has: each value must be finite.
    for (const { channel: ch, expr } of length) {
      for (const n of lengthsToCheck(context)) {
        for (let pos = 0; pos < n; pos++) {
          const v = evaluateLength(expr, pos, n);
          if (!Number.isFinite(v)) throw this.ev.error('HW014', `position ${pos} has an entry that is not finite at length N = ${n} (channel \`${this.channels[ch]}\`: ${v})`, value.span);
        }
      }
      for (let pos = 0; pos < context; pos++) data[pos * d + ch] = evaluateLength(expr, pos, context);
    }
    return { table: { rows: context, cols: d, data }, length };
  }

  private layers(): { layers: LayerSpec[]; loops: LoopSpec[] } {
    const out: LayerSpec[] = [];
    const loops: LoopSpec[] = [];
    let count = 0;
    for (const item of this.ast.body) {
      if ('count' in item) {
        const times = this.repeatCount(item);
        const halt = item.halt ? this.guard(() => this.markRead(() => this.haltCondition(item.halt!)).value) : undefined;
        // The body is checked even when the count or the condition is wrong: its own mistakes are
        // reported, and the parameters it reads are not then reported unused.
        const specs = item.layers.map((l, i) => this.layer(l, l.name?.name ?? `layer${count + i}`));
        if (times === undefined || (item.halt && !halt)) continue;
        // A loop body maps the residual to itself: every block writes deltas into residual
        // channels, so no body can change the shape it is given, and `specs` can be applied again.
        if (specs.length) loops.push({ start: out.length, length: specs.length, times, halt, span: item.span });
        for (let r = 0; r < times; r++) for (const s of specs) out.push({ ...s, name: `${s.name}.${r}` });
        count += item.layers.length;
      } else {
        out.push(this.layer(item, item.name?.name ?? `layer${count}`));
        count++;
      }
    }
    return { layers: out, loops };
  }

  /** The count of `repeat COUNT` (the maximum with `until`): a formula of the declarations. */
  private repeatCount(item: RepeatAst): number | undefined {
    const value = this.guard(() => this.markRead(() => this.evaluate(item.count)).value);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.diags.push(diag('HW021', `a repeat count must be a whole number, not ${showValue(value)}`, item.timesSpan, {
        hint: item.halt ? 'write the most applications before `until`, e.g. `repeat 16 until done > 0.5`' : 'e.g. `repeat 4 { … }` or `let steps = 4` and `repeat steps { … }`',
      }));
      return undefined;
    }
    if (value < 1 || value > LIMITS.layers) {
      this.diags.push(diag('HW016', `repeat count ${value} is out of range (1..${LIMITS.layers})`, item.timesSpan));
      return undefined;
    }
    if (value * item.layers.length > LIMITS.layers) {
      this.diags.push(diag('HW029', `repeat ${value} × ${item.layers.length} layers is ${value * item.layers.length} layers, over the limit of ${LIMITS.layers}`, item.timesSpan));
      return undefined;
    }
    return value;
  }

  /** `until a > b` (or <, >=, <=) with a and b affine maps of the residual, one value each. */
  private haltCondition(e: Expr): HaltSpec {
    if (e.kind !== 'binary' || !['<', '<=', '>', '>='].includes(e.op)) {
      throw this.ev.error('HW021', 'a halting condition must compare two values of the residual with <, <=, > or >=', e.span, 'e.g. `until done > 0.5`');
    }
    const side = (x: Expr) => affineMap(this.ev, x, this.scope, this.residualInputs, 'each side of a halting condition', 1);
    const left = side(e.left);
    const right = side(e.right);
    // a > b is a − b > 0; a < b is b − a > 0.
    const sign = e.op === '>' || e.op === '>=' ? 1 : -1;
    const weight = left.weight.data.map((w, j) => sign * (w - right.weight.data[j]));
    const halt: HaltSpec = { weight, bias: sign * (left.bias[0] - right.bias[0]), strict: e.op === '>' || e.op === '<', span: e.span };
    const log = this.ev.log;
    if (log) {
      // A difference of the two sides: each entry comes from what either side's entry came from.
      log.record(weight, unionEntries(log.get(left.weight.data) ?? [], log.get(right.weight.data) ?? []));
      log.record(halt, unionEntries(log.get(left.bias) ?? [], log.get(right.bias) ?? []));
    }
    return halt;
  }

  private layer(l: ModelAst['body'][number] & { components: unknown }, name: string): LayerSpec {
    const components = [];
    for (const c of (l as { components: import('../syntax/ast.ts').ComponentAst[] }).components) {
      const spec = checkComponent(this, c);
      if (spec) components.push(spec);
    }
    return { name, components };
  }

  private head(vocab: number, embedding: Matrix | undefined) {
    const h = this.ast.head;
    if (!h) {
      this.diags.push(diag('HW020', 'the model has no `head`', this.ast.name.span, { hint: 'write `head tied E` or `head = …`' }));
      return undefined;
    }
    if (h.tied) {
      const embedName = this.ast.embed?.name.name;
      if (h.tied.name !== embedName) {
        this.diags.push(diag('HW010', `\`${h.tied.name}\` is not the embedding table`, h.tied.span, { hint: embedName ? `the embedding is \`${embedName}\`` : undefined }));
        return undefined;
      }
      if (!embedding) return undefined;
      const bias = new Float64Array(vocab);
      this.ev.log?.record(bias, new Array<ParamSet>(vocab).fill(NO_PARAMS)); // all zeros: from no parameter
      return { weight: embedding, bias, biasIsZero: true, span: h.span };
    }
    return this.guard(() => this.markRead(() => affineMap(this.ev, h.value!, this.scope, this.residualInputs, 'the head', vocab, { allowMinusInfBias: true })).value);
  }

  private unusedParams(): void {
    for (const v of this.values.values()) {
      if (v.kind === 'param' && !v.used) {
        this.diags.push(diag('HW017', `parameter \`${v.name}\` is never used`, v.span, { hint: 'remove it, or it still counts toward the parameter total' }));
      }
    }
  }

  /** Source text of a span (for formulas kept as text, e.g. the task's expected answer). */
  text(span: Span): string {
    return this.source.slice(span.offset, span.endOffset + 1);
  }

  isConstantName(name: string): boolean {
    return name in CONSTANTS;
  }
}

/** `rms(…)`, `layernorm(…)` or `none`: a declaration that names a norm rather than a value. */
function isNormCall(e: Expr): boolean {
  return (e.kind === 'call' && (e.callee === 'rms' || e.callee === 'layernorm')) || (e.kind === 'name' && e.name === 'none');
}

function withIndex(scope: Scope, name: string, value: number): Scope {
  const s = scope.child();
  s.set(name, value);
  return s;
}

/** A value as text, with the non-finite numbers JSON would turn into `null` shown as they are. */
function showValue(v: Value): string {
  return JSON.stringify(v, (_key, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)).replace(/"(-?Infinity|NaN)"/g, '$1');
}
