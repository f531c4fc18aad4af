// Turns Chevrotain's concrete syntax tree into the typed AST. Chevrotain groups a node's children by
// kind, not by order, so sequences (operators between operands, items in a block) are put back in
// source order by their offsets. The children are read through the CST types generated from the
// grammar (cst.generated.ts, `npm run gen:cst`), so a renamed rule, label or token is a tsc error here.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type {
  AboutAst, Arg, AttentionAst, BinaryOp, ChannelRef, ComponentAst, Expr, Ident, LayerAst, MlpAst,
  ModelAst, PromptItem, RepeatAst, Setting, Span, TaskAst, TaskInputAst, WriteLoop, WriteStmt,
} from './ast.ts';
import { diag, NO_SPAN, type Diagnostic } from '../diagnostics.ts';
import type { LineIndex } from './spans.ts';
import type {
  AboutCstNode, AdditiveCstNode, AndExprCstNode, AttentionCstNode, CallOrNameCstNode, ChannelRefCstNode, CompareCstNode,
  ExprCstNode, ItemCstChildren, ItemCstNode, LayerCstNode, MlpCstNode, MultiplicativeCstNode, NotExprCstNode, OrExprCstNode,
  ParamListCstNode, PostfixCstNode, PowerCstNode, PrimaryCstNode, ProgramCstNode, PromptItemCstNode, SettingCstNode,
  StringListCstNode, TaskCstNode, UnaryCstNode, VectorCstNode, WriteLoopCstNode, WriteStmtCstNode,
} from './cst.generated.ts';

/** A node that can be an item of the model (`vocab …`, `layer { … }`, `task …`): one per rule. */
type ItemNode = NonNullable<ItemCstChildren[keyof ItemCstChildren]>[number];

/** The nodes of the operator-precedence levels, read by `chain`. */
type ChainNode = OrExprCstNode | AndExprCstNode | NotExprCstNode | CompareCstNode | AdditiveCstNode | MultiplicativeCstNode | UnaryCstNode | PowerCstNode;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

/** Where a node or token starts, and where it ends (inclusive). A node error recovery left
 * without a location stands for its first token. */
function offsetOf(e: CstElement): number {
  if (isToken(e)) return e.startOffset;
  const l = e.location;
  return l && !Number.isNaN(l.startOffset) ? l.startOffset : (firstToken(e)?.startOffset ?? 0);
}

function endOffsetOf(e: CstElement): number {
  if (isToken(e)) return e.endOffset ?? e.startOffset;
  const l = e.location;
  if (!l || Number.isNaN(l.startOffset)) {
    const t = firstToken(e);
    return t ? (t.endOffset ?? t.startOffset) : 0;
  }
  return Number.isNaN(l.endOffset ?? NaN) ? l.startOffset : (l.endOffset as number);
}

function firstToken(n: CstNode): IToken | undefined {
  for (const list of Object.values(n.children)) {
    for (const e of list ?? []) {
      if (isToken(e) && !Number.isNaN(e.startOffset)) return e;
      if (!isToken(e)) return firstToken(e);
    }
  }
  return undefined;
}

function join(a: Span, b: Span): Span {
  return { line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol, offset: a.offset, endOffset: b.endOffset };
}

// Error recovery can leave out any child, even one the grammar requires (the generated types call
// it present), so every child list is read through these, as possibly absent.

function first<T>(list: readonly T[] | undefined): T | undefined {
  return list?.[0];
}

function all<T>(list: readonly T[] | undefined): T[] {
  return list ? [...list] : [];
}

/** The children of several lists in source order. */
function ordered<T extends CstElement>(...lists: (readonly T[] | undefined)[]): T[] {
  // Most calls have one non-empty list, and Chevrotain appends children in the order it parses
  // them: such a list is copied without sorting (the profile's hottest function on a 10 MB source).
  let single: readonly T[] | undefined;
  let nonEmpty = 0;
  for (const l of lists) {
    if (l !== undefined && l.length > 0) {
      single = l;
      nonEmpty++;
    }
  }
  if (nonEmpty === 0) return [];
  if (nonEmpty === 1 && inSourceOrder(single!)) return single!.slice();
  return lists.flatMap((l) => all(l)).sort((a, b) => offsetOf(a) - offsetOf(b));
}

/** True when sorting `list` by offset (a stable sort) would leave it as it is. */
function inSourceOrder(list: readonly CstElement[]): boolean {
  for (let i = 1; i < list.length; i++) if (offsetOf(list[i - 1]!) > offsetOf(list[i]!)) return false;
  return true;
}

/** A case the generated types say cannot happen: a grammar rule the builder does not handle yet
 * makes this call a tsc error. */
function unhandled(n: never): never {
  throw new Error(`the AST builder does not handle CST node \`${(n as CstNode).name}\``);
}

function unquote(s: string): string {
  return s.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Builds the AST; problems that are syntactic but only visible here (a negative count, an item
 * given twice) are returned as diagnostics. Recovery may leave holes: missing pieces are skipped. */
export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  /** `lines` is the line index of the text the CST was parsed from. */
  constructor(private readonly lines: LineIndex) {}

  private nodeSpan(n: CstNode): Span {
    const start = offsetOf(n);
    return this.lines.span(start, Math.max(start, endOffsetOf(n)));
  }

  private tokenSpan(t: IToken): Span {
    return this.lines.tokenSpan(t);
  }

  private ident(t: IToken): Ident {
    return { name: t.image, span: this.tokenSpan(t) };
  }

  /** Each distinct number text once: the lexer makes a new string for every token, and a source
   * repeats few number texts many times. (Names are not: a large source has many distinct ones,
   * and a table of them cost more time than the memory it saved.) */
  private readonly texts = new Map<string, string>();

  private text(t: IToken): string {
    const known = this.texts.get(t.image);
    if (known !== undefined) return known;
    this.texts.set(t.image, t.image);
    return t.image;
  }

  /** The items handed over so far (by `addItem`, during parsing, or by `model`). */
  private readonly items: ModelAst = { name: { name: 'model', span: NO_SPAN }, decls: [], body: [], span: NO_SPAN, repeats: [] };

  /** One item of the model, in source order: parse.ts hands each over as soon as it is parsed. */
  addItem(item: CstNode): void {
    // One alternative per item; Object.values keeps this complete when an item rule is added
    // (and `item` below then fails to compile until it handles it).
    const inner = ordered(...(Object.values((item as ItemCstNode).children) as ItemNode[][]))[0];
    if (inner) this.item(this.items, inner);
  }

  /** `program` is the tree the parser's `program` rule built (the one place its type is asserted).
   * Items already handed over by `addItem` were emptied there; the rest are read here. */
  model(program: CstNode): ModelAst | undefined {
    const m = first((program as ProgramCstNode).children.model);
    if (!m) return undefined;
    for (const item of all(m.children.item)) this.addItem(item);
    const nameTok = first(m.children.Identifier);
    return { ...this.items, name: nameTok ? this.ident(nameTok) : { name: 'model', span: this.nodeSpan(m) }, span: this.nodeSpan(m) };
  }

  private once<K extends keyof ModelAst>(ast: ModelAst, key: K, value: ModelAst[K], span: Span, what: string): void {
    if (ast[key] !== undefined) {
      ast.repeats.push({ what, span });
      this.diagnostics.push(diag('HW003', `\`${what}\` is given more than once`, span, { hint: 'keep one and remove the others' }));
      return;
    }
    ast[key] = value;
  }

  private item(ast: ModelAst, n: ItemNode): void {
    const span = this.nodeSpan(n);
    switch (n.name) {
      case 'about':
        this.once(ast, 'about', this.about(n), span, 'about');
        break;
      case 'vocab': {
        const c = n.children;
        const num = first(c.NumberLit);
        const list = first(c.stringList);
        const v = num ? { size: Number(num.image), span } : { names: list ? this.strings(list) : [], span };
        this.once(ast, 'vocab', v, span, 'vocab');
        break;
      }
      case 'dtype': {
        const t = first(n.children.Identifier);
        if (t) this.once(ast, 'dtype', this.ident(t), span, 'dtype');
        break;
      }
      case 'residual': {
        // Error recovery can leave a channel without its name (`[tok, 1, c]`): already reported.
        const channels = all(n.children.channelDecl).flatMap((ch) => {
          const name = first(ch.children.Identifier);
          const count = first(ch.children.NumberLit);
          return name ? [{ name: this.ident(name), count: count ? Number(count.image) : undefined, span: this.nodeSpan(ch) }] : [];
        });
        this.once(ast, 'residual', { channels, span }, span, 'residual');
        break;
      }
      case 'context': {
        const value = first(n.children.expr);
        if (value) this.once(ast, 'context', { value: this.expr(value), span }, span, 'context');
        break;
      }
      case 'letDecl': {
        const c = n.children;
        const name = first(c.Identifier);
        const value = first(c.expr);
        if (!name || !value) return;
        const pl = first(c.paramList);
        ast.decls.push({ kind: 'let', name: this.ident(name), params: pl ? this.paramList(pl) : undefined, value: this.expr(value), span });
        break;
      }
      case 'paramDecl': {
        const name = first(n.children.Identifier);
        const value = first(n.children.expr);
        if (!name || !value) return;
        ast.decls.push({ kind: 'param', name: this.ident(name), value: this.expr(value), span });
        break;
      }
      case 'embed': {
        const c = n.children;
        const name = first(c.Identifier);
        const value = first(c.expr);
        const iv = first(c.indexVar);
        if (!name || !value) return;
        const indexVar = iv ? first(iv.children.Identifier) : undefined;
        this.once(ast, 'embed', { name: this.ident(name), indexVar: indexVar ? this.ident(indexVar) : undefined, value: this.expr(value), span }, span, 'embed');
        break;
      }
      case 'position': {
        const c = n.children;
        const name = first(c.Identifier);
        const value = first(c.expr);
        const iv = first(c.indexVar);
        const indexVar = iv ? first(iv.children.Identifier) : undefined;
        if (!name || !value || !indexVar) return;
        this.once(ast, 'position', { name: this.ident(name), indexVar: this.ident(indexVar), value: this.expr(value), span }, span, 'position');
        break;
      }
      case 'layer':
        ast.body.push(this.layer(n));
        break;
      case 'repeat': {
        const count = first(n.children.count);
        const halt = first(n.children.halt);
        if (!count) return;
        const countExpr = this.expr(count);
        const r: RepeatAst = {
          count: countExpr,
          halt: halt ? this.expr(halt) : undefined,
          timesSpan: countExpr.span,
          layers: all(n.children.layer).map((l) => this.layer(l)),
          span,
        };
        ast.body.push(r);
        break;
      }
      case 'final': {
        const value = first(n.children.expr);
        if (value) this.once(ast, 'final', { value: this.expr(value), span }, span, 'final');
        break;
      }
      case 'head': {
        const value = first(n.children.expr);
        const ids = all(n.children.Identifier);
        if (value) {
          this.once(ast, 'head', { value: this.expr(value), span }, span, 'head');
        } else if (ids.length === 2) {
          if (ids[0].image !== 'tied') {
            this.diagnostics.push(diag('HW019', `unknown head form \`${ids[0].image}\``, this.tokenSpan(ids[0]), {
              hint: 'write `head tied E` or `head = <linear map of the residual>`',
            }));
            return;
          }
          this.once(ast, 'head', { tied: this.ident(ids[1]), span }, span, 'head');
        }
        break;
      }
      case 'task':
        this.once(ast, 'task', this.task(n), span, 'task');
        break;
      default:
        unhandled(n);
    }
  }

  private about(n: AboutCstNode): AboutAst {
    const entries = all(n.children.aboutEntry).map((e) => {
      const key = first(e.children.Identifier)!;
      const str = first(e.children.StringLit);
      const list = first(e.children.stringList);
      return { key: this.ident(key), value: str ? unquote(str.image) : list ? this.strings(list) : '', span: this.nodeSpan(e) };
    });
    return { entries, span: this.nodeSpan(n) };
  }

  private strings(n: StringListCstNode): string[] {
    return all(n.children.StringLit).map((t) => unquote(t.image));
  }

  private paramList(n: ParamListCstNode): Ident[] {
    return all(n.children.Identifier).map((t) => this.ident(t));
  }

  private layer(n: LayerCstNode): LayerAst {
    const name = first(n.children.Identifier);
    const components: ComponentAst[] = ordered<AttentionCstNode | MlpCstNode>(n.children.attention, n.children.mlp)
      .map((e) => this.component(e));
    return { name: name ? this.ident(name) : undefined, components, span: this.nodeSpan(n) };
  }

  private component(n: AttentionCstNode | MlpCstNode): AttentionAst | MlpAst {
    const block = first(n.children.settingsBlock);
    const settings = block ? all(block.children.setting).map((s) => this.setting(s)) : [];
    const writes = block ? this.writes(block.children.writeStmt, block.children.writeLoop, []) : [];
    return { kind: n.name === 'attention' ? 'attention' : 'mlp', settings, writes, span: this.nodeSpan(n) } as AttentionAst | MlpAst;
  }

  setting(n: SettingCstNode): Setting {
    const c = n.children;
    const name = first(c.Identifier)!;
    const pl = first(c.paramList);
    const value = first(c.expr);
    return {
      name: this.ident(name),
      params: pl ? this.paramList(pl) : undefined,
      value: value ? this.expr(value) : undefined,
      assigned: all(c.Equals).length > 0,
      span: this.nodeSpan(n),
    };
  }

  /** The writes of a block or loop body in source order (the order their sums are taken in), each
   * with the loops around it. */
  private writes(stmts: WriteStmtCstNode[] | undefined, loops: WriteLoopCstNode[] | undefined, around: WriteLoop[]): WriteStmt[] {
    return ordered<WriteStmtCstNode | WriteLoopCstNode>(stmts, loops).flatMap((n) => {
      if (n.name === 'writeStmt') return [this.write(n, around)];
      const c = n.children;
      const variable = first(c.Identifier);
      const from = first(c.from);
      const to = first(c.to);
      // A loop header broken by a syntax error is reported already; its body is left out.
      if (!variable || !from || !to) return [];
      const loop: WriteLoop = { variable: this.ident(variable), from: this.expr(from), to: this.expr(to), span: this.nodeSpan(n) };
      return this.writes(c.writeStmt, c.writeLoop, [...around, loop]);
    });
  }

  private write(n: WriteStmtCstNode, loops: WriteLoop[]): WriteStmt {
    const c = n.children;
    const target = first(c.writeTarget);
    const targets = target
      ? all(target.children.channelRef).filter((r) => all(r.children.Identifier).length > 0).map((r) => this.channelRef(r))
      : [];
    const value = first(c.expr);
    return {
      targets,
      op: all(c.MinusEq).length > 0 ? '-=' : '+=',
      value: value ? this.expr(value) : { kind: 'num', value: 0, text: '0', span: this.nodeSpan(n) },
      loops,
      span: this.nodeSpan(n),
    };
  }

  private channelRef(n: ChannelRefCstNode): ChannelRef {
    const name = first(n.children.Identifier)!;
    const index = first(n.children.index);
    const end = first(n.children.end);
    return { name: this.ident(name), index: index ? this.expr(index) : undefined, end: end ? this.expr(end) : undefined, span: this.nodeSpan(n) };
  }

  private task(n: TaskCstNode): TaskAst {
    const c = n.children;
    const name = first(c.Identifier);
    const inputs = all(c.taskInput).map((i): TaskInputAst => {
      const ic = i.children;
      const ids = all(ic.Identifier);
      const digits = first(ic.NumberLit);
      const list = first(ic.stringList);
      // ids[0] is the word `input`, the last is the unit (`digits`, or `length` after an alphabet).
      const base = { names: ids.slice(1, -1).map((t) => this.ident(t)), digits: digits ? Number(digits.image) : 0, unit: this.ident(ids[ids.length - 1]), span: this.nodeSpan(i) };
      if (!list) return base;
      const lo = first(ic.lengthMin);
      const hi = first(ic.lengthMax) ?? lo;
      const min = lo ? Number(lo.image) : 0;
      return {
        ...base,
        alphabet: { tokens: this.strings(list), span: this.nodeSpan(list) },
        length: { min, max: hi ? Number(hi.image) : min, span: lo && hi ? join(this.tokenSpan(lo), this.tokenSpan(hi)) : base.span },
      };
    });
    const p = first(c.taskPrompt);
    const prompt = p ? { items: all(p.children.promptItem).map((i) => this.promptItem(i)), span: this.nodeSpan(p) } : undefined;
    return {
      name: name ? this.ident(name) : { name: 'task', span: this.nodeSpan(n) },
      inputs,
      prompt,
      settings: all(c.setting).map((s) => this.setting(s)),
      span: this.nodeSpan(n),
    };
  }

  private promptItem(n: PromptItemCstNode): PromptItem {
    const c = n.children;
    const nums = all(c.NumberLit);
    const str = first(c.StringLit);
    const ids = all(c.Identifier);
    const hasStar = all(c.Star).length > 0;
    const span = this.nodeSpan(n);
    // After error recovery an item can have `*` and no count (the syntax error is already reported).
    if (ids.length === 2) {
      return { kind: 'operand', operand: this.ident(ids[0]), order: this.ident(ids[1]), repeat: hasStar && nums[0] ? Number(nums[0].image) : 1, span };
    }
    if (ids.length === 1) return { kind: 'string', operand: this.ident(ids[0]), repeat: hasStar && nums[0] ? Number(nums[0].image) : 1, span };
    if (str) return { kind: 'token', token: unquote(str.image), repeat: hasStar && nums[0] ? Number(nums[0].image) : 1, span };
    return { kind: 'token', token: Number(nums[0]?.image ?? 0), repeat: hasStar && nums[1] ? Number(nums[1].image) : 1, span };
  }

  // ---- expressions ----

  expr(n: ExprCstNode): Expr {
    const c = n.children;
    const test = this.chain(first(c.orExpr));
    const then = first(c.then);
    const otherwise = first(c.else);
    if (then && otherwise) {
      return { kind: 'cond', test, then: this.expr(then), else: this.expr(otherwise), span: this.nodeSpan(n) };
    }
    return test;
  }

  /** The precedence levels; orExpr, andExpr, compare, additive and multiplicative are
   * left-associative chains. */
  private chain(n: ChainNode | undefined): Expr {
    if (!n) return { kind: 'num', value: NaN, text: '?', span: { line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 } };
    switch (n.name) {
      case 'orExpr':
        return this.fold(ordered(n.children.andExpr), ordered(n.children.Kw_or));
      case 'andExpr':
        return this.fold(ordered(n.children.notExpr), ordered(n.children.Kw_and));
      case 'notExpr':
        return this.prefixed(all(n.children.Kw_not), this.chain(first(n.children.compare)));
      case 'compare': {
        const c = n.children;
        return this.fold(ordered(c.additive), ordered(c.EqEq, c.NotEq, c.LessEq, c.GreaterEq, c.Less, c.Greater));
      }
      case 'additive':
        return this.fold(ordered(n.children.multiplicative), ordered(n.children.Plus, n.children.Minus));
      case 'multiplicative': {
        const c = n.children;
        return this.fold(ordered<UnaryCstNode | PowerCstNode>(c.unary, c.implicit), ordered(c.Star, c.Slash, c.Percent, c.Kw_mod));
      }
      case 'unary':
        return this.prefixed(ordered(n.children.Minus, n.children.Plus), this.chain(first(n.children.power)));
      case 'power':
        return this.power(n);
      default:
        return unhandled(n);
    }
  }

  /** Prefix operators (`-`, `+`, `not`) in source order applied to their operand, the last one
   * innermost. A loop, so a chain thousands long builds without deep recursion. */
  private prefixed(ops: IToken[], operand: Expr): Expr {
    let acc = operand;
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i].image === 'not' ? 'not' : ops[i].image === '-' ? '-' : '+';
      acc = { kind: 'unary', op, operand: acc, span: join(this.tokenSpan(ops[i]), acc.span) };
    }
    return acc;
  }

  /** `a ^ -b ^ c` is a ^ (-(b ^ c)): built from the right, each operand's signs applied to the rest
   * of the chain after it. */
  private power(n: PowerCstNode): Expr {
    const operands = all(n.children.postfix);
    if (operands.length === 0) return this.chain(undefined);
    const carets = all(n.children.Caret);
    const signs = ordered(n.children.Minus, n.children.Plus);
    let acc = this.postfix(operands[operands.length - 1]);
    let nextSign = signs.length; // signs[nextSign..] belong to operands already built
    for (let i = operands.length - 1; i >= 1; i--) {
      const after = carets[i - 1]?.startOffset ?? endOffsetOf(operands[i - 1]);
      const end = nextSign;
      while (nextSign > 0 && signs[nextSign - 1].startOffset > after) nextSign--;
      acc = this.prefixed(signs.slice(nextSign, end), acc);
      const base = this.postfix(operands[i - 1]);
      acc = { kind: 'binary', op: '^', left: base, right: acc, span: join(base.span, acc.span) };
    }
    return acc;
  }

  /** Operands and operators in source order; an operand with no operator before it is implicit
   * multiplication. */
  private fold(operands: ChainNode[], ops: IToken[]): Expr {
    let acc = this.chain(operands[0]);
    for (let i = 1; i < operands.length; i++) {
      const operand = operands[i];
      const start = offsetOf(operand);
      const prevEnd = endOffsetOf(operands[i - 1]);
      const op = ops.find((t) => t.startOffset > prevEnd && t.startOffset < start);
      const right = this.chain(operand);
      const implicit = op === undefined;
      const opText = implicit ? '*' : op.image === 'mod' ? '%' : (op.image as BinaryOp);
      acc = { kind: 'binary', op: opText as BinaryOp, left: acc, right, implicit: implicit || undefined, span: join(acc.span, right.span) };
    }
    return acc;
  }

  private postfix(n: PostfixCstNode | undefined): Expr {
    if (!n) return this.chain(undefined);
    const c = n.children;
    let acc = this.primary(first(c.primary));
    const indexes = all(c.index);
    const ends = all(c.end);
    const closes = all(c.RBracket);
    for (let i = 0; i < indexes.length; i++) {
      const idx = indexes[i];
      const close = closes[i];
      const end = ends.find((e) => offsetOf(e) > offsetOf(idx) && (!close || offsetOf(e) < close.startOffset));
      acc = {
        kind: 'index',
        target: acc,
        index: this.expr(idx),
        end: end ? this.expr(end) : undefined,
        span: close ? join(acc.span, this.tokenSpan(close)) : acc.span,
      };
    }
    return acc;
  }

  private primary(n: PrimaryCstNode | undefined): Expr {
    if (!n) return this.chain(undefined);
    const c = n.children;
    const span = this.nodeSpan(n);
    const num = first(c.NumberLit);
    if (num) return { kind: 'num', value: Number(num.image), text: this.text(num), span };
    const str = first(c.StringLit);
    if (str) return { kind: 'str', value: unquote(str.image), span };
    const con = first(c.callOrName);
    if (con) return this.callOrName(con);
    const inner = first(c.expr);
    // `(a + b)`: the parentheses belong to the span, so `(a + b) c` is reported from its `(`.
    if (inner) return { ...this.expr(inner), span };
    const vec = first(c.vector);
    if (vec) return this.vector(vec);
    return this.chain(undefined);
  }

  private callOrName(n: CallOrNameCstNode): Expr {
    const c = n.children;
    const name = first(c.Identifier)!;
    if (all(c.LParen).length === 0) return { kind: 'name', name: name.image, span: this.tokenSpan(name) };
    const args: Arg[] = all(c.argument).map((a) => {
      const argName = first(a.children.argName);
      const value = first(a.children.expr);
      return { name: argName?.image, value: value ? this.expr(value) : this.chain(undefined), span: this.nodeSpan(a) };
    });
    return { kind: 'call', callee: name.image, calleeSpan: this.tokenSpan(name), args, span: this.nodeSpan(n) };
  }

  private vector(n: VectorCstNode): Expr {
    const c = n.children;
    const span = this.nodeSpan(n);
    const variable = first(c.Identifier);
    const from = first(c.from);
    const to = first(c.to);
    const body = first(c.expr);
    if (variable && from && to && body) {
      return { kind: 'comprehension', body: this.expr(body), variable: variable.image, from: this.expr(from), to: this.expr(to), span };
    }
    return { kind: 'vector', items: all(c.expr).map((e) => this.expr(e)), span };
  }
}
