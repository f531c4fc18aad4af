// Turns Chevrotain's concrete syntax tree into the typed AST. Chevrotain groups a node's children by
// kind, not by order, so sequences (operators between operands, items in a block) are put back in
// source order by their offsets.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type {
  AboutAst, Arg, AttentionAst, BinaryOp, ChannelRef, ComponentAst, Expr, Ident, LayerAst, MlpAst,
  ModelAst, PromptItem, RepeatAst, Setting, Span, TaskAst, WriteStmt,
} from './ast.ts';
import { diag, type Diagnostic } from '../diagnostics.ts';
import { tokenSpan } from './spans.ts';

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function nodeSpan(n: CstNode): Span {
  const l = n.location;
  if (!l || Number.isNaN(l.startOffset)) return firstTokenSpan(n);
  return {
    line: l.startLine ?? 1,
    col: l.startColumn ?? 1,
    endLine: l.endLine ?? l.startLine ?? 1,
    endCol: l.endColumn ?? l.startColumn ?? 1,
    offset: l.startOffset,
    endOffset: Number.isNaN(l.endOffset ?? NaN) ? l.startOffset : (l.endOffset as number),
  };
}

function firstTokenSpan(n: CstNode): Span {
  for (const list of Object.values(n.children)) {
    for (const e of list ?? []) {
      if (isToken(e) && !Number.isNaN(e.startOffset)) return tokenSpan(e);
      if (!isToken(e)) return firstTokenSpan(e);
    }
  }
  return { line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 };
}

function spanOf(e: CstElement): Span {
  return isToken(e) ? tokenSpan(e) : nodeSpan(e);
}

function join(a: Span, b: Span): Span {
  return { line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol, offset: a.offset, endOffset: b.endOffset };
}

function offsetOf(e: CstElement): number {
  return spanOf(e).offset;
}

function tokens(c: Children, name: string): IToken[] {
  return (c[name] ?? []).filter(isToken);
}

function nodes(c: Children, name: string): CstNode[] {
  return (c[name] ?? []).filter((e): e is CstNode => !isToken(e));
}

function ordered(c: Children, names: string[]): CstElement[] {
  return names.flatMap((n) => c[n] ?? []).sort((a, b) => offsetOf(a) - offsetOf(b));
}

function ident(t: IToken): Ident {
  return { name: t.image, span: tokenSpan(t) };
}

function unquote(s: string): string {
  return s.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Builds the AST; problems that are syntactic but only visible here (a negative count, an item
 * given twice) are returned as diagnostics. Recovery may leave holes: missing pieces are skipped. */
export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  model(program: CstNode): ModelAst | undefined {
    const m = nodes(program.children, 'model')[0];
    if (!m) return undefined;
    const nameTok = tokens(m.children, 'Identifier')[0];
    const ast: ModelAst = {
      name: nameTok ? ident(nameTok) : { name: 'model', span: nodeSpan(m) },
      decls: [],
      body: [],
      span: nodeSpan(m),
      repeats: [],
    };
    for (const item of nodes(m.children, 'item')) {
      const inner = ordered(item.children, Object.keys(item.children))[0];
      if (!inner || isToken(inner)) continue;
      this.item(ast, inner);
    }
    return ast;
  }

  private once<K extends keyof ModelAst>(ast: ModelAst, key: K, value: ModelAst[K], span: Span, what: string): void {
    if (ast[key] !== undefined) {
      ast.repeats.push({ what, span });
      this.diagnostics.push(diag('HW003', `\`${what}\` is given more than once`, span, { hint: 'keep one and remove the others' }));
      return;
    }
    ast[key] = value;
  }

  private item(ast: ModelAst, n: CstNode): void {
    const c = n.children;
    const span = nodeSpan(n);
    switch (n.name) {
      case 'about':
        this.once(ast, 'about', this.about(n), span, 'about');
        break;
      case 'vocab': {
        const num = tokens(c, 'NumberLit')[0];
        const list = nodes(c, 'stringList')[0];
        const v = num ? { size: Number(num.image), span } : { names: list ? this.strings(list) : [], span };
        this.once(ast, 'vocab', v, span, 'vocab');
        break;
      }
      case 'dtype': {
        const t = tokens(c, 'Identifier')[0];
        if (t) this.once(ast, 'dtype', ident(t), span, 'dtype');
        break;
      }
      case 'residual': {
        // Error recovery can leave a channel without its name (`[tok, 1, c]`): already reported.
        const channels = nodes(c, 'channelDecl').flatMap((ch) => {
          const name = tokens(ch.children, 'Identifier')[0];
          const count = tokens(ch.children, 'NumberLit')[0];
          return name ? [{ name: ident(name), count: count ? Number(count.image) : undefined, span: nodeSpan(ch) }] : [];
        });
        this.once(ast, 'residual', { channels, span }, span, 'residual');
        break;
      }
      case 'context': {
        const t = tokens(c, 'NumberLit')[0];
        if (t) this.once(ast, 'context', { value: Number(t.image), span }, span, 'context');
        break;
      }
      case 'letDecl': {
        const name = tokens(c, 'Identifier')[0];
        const value = nodes(c, 'expr')[0];
        if (!name || !value) return;
        const pl = nodes(c, 'paramList')[0];
        ast.decls.push({ kind: 'let', name: ident(name), params: pl ? this.paramList(pl) : undefined, value: this.expr(value), span });
        break;
      }
      case 'paramDecl': {
        const name = tokens(c, 'Identifier')[0];
        const value = nodes(c, 'expr')[0];
        if (!name || !value) return;
        ast.decls.push({ kind: 'param', name: ident(name), value: this.expr(value), span });
        break;
      }
      case 'embed': {
        const name = tokens(c, 'Identifier')[0];
        const value = nodes(c, 'expr')[0];
        const iv = nodes(c, 'indexVar')[0];
        if (!name || !value) return;
        const indexVar = iv ? tokens(iv.children, 'Identifier')[0] : undefined;
        this.once(ast, 'embed', { name: ident(name), indexVar: indexVar ? ident(indexVar) : undefined, value: this.expr(value), span }, span, 'embed');
        break;
      }
      case 'position': {
        const name = tokens(c, 'Identifier')[0];
        const value = nodes(c, 'expr')[0];
        const iv = nodes(c, 'indexVar')[0];
        const indexVar = iv ? tokens(iv.children, 'Identifier')[0] : undefined;
        if (!name || !value || !indexVar) return;
        this.once(ast, 'position', { name: ident(name), indexVar: ident(indexVar), value: this.expr(value), span }, span, 'position');
        break;
      }
      case 'layer':
        ast.body.push(this.layer(n));
        break;
      case 'repeat': {
        const t = tokens(c, 'NumberLit')[0];
        const r: RepeatAst = {
          times: t ? Number(t.image) : 1,
          timesSpan: t ? tokenSpan(t) : span,
          layers: nodes(c, 'layer').map((l) => this.layer(l)),
          span,
        };
        ast.body.push(r);
        break;
      }
      case 'final': {
        const value = nodes(c, 'expr')[0];
        if (value) this.once(ast, 'final', { value: this.expr(value), span }, span, 'final');
        break;
      }
      case 'head': {
        const value = nodes(c, 'expr')[0];
        const ids = tokens(c, 'Identifier');
        if (value) {
          this.once(ast, 'head', { value: this.expr(value), span }, span, 'head');
        } else if (ids.length === 2) {
          if (ids[0].image !== 'tied') {
            this.diagnostics.push(diag('HW019', `unknown head form \`${ids[0].image}\``, tokenSpan(ids[0]), {
              hint: 'write `head tied E` or `head = <linear map of the residual>`',
            }));
            return;
          }
          this.once(ast, 'head', { tied: ident(ids[1]), span }, span, 'head');
        }
        break;
      }
      case 'task':
        this.once(ast, 'task', this.task(n), span, 'task');
        break;
    }
  }

  private about(n: CstNode): AboutAst {
    const entries = nodes(n.children, 'aboutEntry').map((e) => {
      const key = tokens(e.children, 'Identifier')[0];
      const str = tokens(e.children, 'StringLit')[0];
      const list = nodes(e.children, 'stringList')[0];
      return { key: ident(key), value: str ? unquote(str.image) : list ? this.strings(list) : '', span: nodeSpan(e) };
    });
    return { entries, span: nodeSpan(n) };
  }

  private strings(n: CstNode): string[] {
    return tokens(n.children, 'StringLit').map((t) => unquote(t.image));
  }

  private paramList(n: CstNode): Ident[] {
    return tokens(n.children, 'Identifier').map(ident);
  }

  private layer(n: CstNode): LayerAst {
    const name = tokens(n.children, 'Identifier')[0];
    const components: ComponentAst[] = ordered(n.children, ['attention', 'mlp'])
      .filter((e): e is CstNode => !isToken(e))
      .map((e) => this.component(e));
    return { name: name ? ident(name) : undefined, components, span: nodeSpan(n) };
  }

  private component(n: CstNode): AttentionAst | MlpAst {
    const block = nodes(n.children, 'settingsBlock')[0];
    const settings = block ? nodes(block.children, 'setting').map((s) => this.setting(s)) : [];
    const writes = block ? nodes(block.children, 'writeStmt').map((w) => this.write(w)) : [];
    return { kind: n.name === 'attention' ? 'attention' : 'mlp', settings, writes, span: nodeSpan(n) } as AttentionAst | MlpAst;
  }

  setting(n: CstNode): Setting {
    const c = n.children;
    const name = tokens(c, 'Identifier')[0];
    const pl = nodes(c, 'paramList')[0];
    const value = nodes(c, 'expr')[0];
    return {
      name: ident(name),
      params: pl ? this.paramList(pl) : undefined,
      value: value ? this.expr(value) : undefined,
      assigned: tokens(c, 'Equals').length > 0,
      span: nodeSpan(n),
    };
  }

  private write(n: CstNode): WriteStmt {
    const c = n.children;
    const target = nodes(c, 'writeTarget')[0];
    const targets = target
      ? nodes(target.children, 'channelRef').filter((r) => tokens(r.children, 'Identifier').length > 0).map((r) => this.channelRef(r))
      : [];
    const value = nodes(c, 'expr')[0];
    return {
      targets,
      op: tokens(c, 'MinusEq').length > 0 ? '-=' : '+=',
      value: value ? this.expr(value) : { kind: 'num', value: 0, text: '0', span: nodeSpan(n) },
      span: nodeSpan(n),
    };
  }

  private channelRef(n: CstNode): ChannelRef {
    const name = tokens(n.children, 'Identifier')[0];
    const nums = tokens(n.children, 'NumberLit').map((t) => Number(t.image));
    return { name: ident(name), index: nums[0], end: nums[1], span: nodeSpan(n) };
  }

  private task(n: CstNode): TaskAst {
    const c = n.children;
    const name = tokens(c, 'Identifier')[0];
    const inputs = nodes(c, 'taskInput').map((i) => {
      const ids = tokens(i.children, 'Identifier');
      const digits = tokens(i.children, 'NumberLit')[0];
      // ids[0] is the word `input`, the last is the unit (`digits`).
      return { names: ids.slice(1, -1).map(ident), digits: digits ? Number(digits.image) : 0, unit: ident(ids[ids.length - 1]), span: nodeSpan(i) };
    });
    const p = nodes(c, 'taskPrompt')[0];
    const prompt = p ? { items: nodes(p.children, 'promptItem').map((i) => this.promptItem(i)), span: nodeSpan(p) } : undefined;
    return {
      name: name ? ident(name) : { name: 'task', span: nodeSpan(n) },
      inputs,
      prompt,
      settings: nodes(c, 'setting').map((s) => this.setting(s)),
      span: nodeSpan(n),
    };
  }

  private promptItem(n: CstNode): PromptItem {
    const c = n.children;
    const nums = tokens(c, 'NumberLit');
    const str = tokens(c, 'StringLit')[0];
    const ids = tokens(c, 'Identifier');
    const hasStar = tokens(c, 'Star').length > 0;
    const span = nodeSpan(n);
    // After error recovery an item can have `*` and no count (the syntax error is already reported).
    if (ids.length === 2) {
      return { kind: 'operand', operand: ident(ids[0]), order: ident(ids[1]), repeat: hasStar && nums[0] ? Number(nums[0].image) : 1, span };
    }
    if (str) return { kind: 'token', token: unquote(str.image), repeat: hasStar && nums[0] ? Number(nums[0].image) : 1, span };
    return { kind: 'token', token: Number(nums[0]?.image ?? 0), repeat: hasStar && nums[1] ? Number(nums[1].image) : 1, span };
  }

  // ---- expressions ----

  expr(n: CstNode): Expr {
    const c = n.children;
    const test = this.chain(nodes(c, 'orExpr')[0]);
    const then = nodes(c, 'then')[0];
    const otherwise = nodes(c, 'else')[0];
    if (then && otherwise) {
      return { kind: 'cond', test, then: this.expr(then), else: this.expr(otherwise), span: nodeSpan(n) };
    }
    return test;
  }

  /** Left-associative chains: orExpr, andExpr, additive, multiplicative. */
  private chain(n: CstNode | undefined): Expr {
    if (!n) return { kind: 'num', value: NaN, text: '?', span: { line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, endOffset: 0 } };
    const c = n.children;
    switch (n.name) {
      case 'orExpr':
        return this.fold(c, ['andExpr'], ['Kw_or']);
      case 'andExpr':
        return this.fold(c, ['notExpr'], ['Kw_and']);
      case 'notExpr': {
        const inner = nodes(c, 'notExpr')[0];
        if (inner) return { kind: 'unary', op: 'not', operand: this.chain(inner), span: nodeSpan(n) };
        return this.chain(nodes(c, 'compare')[0]);
      }
      case 'compare':
        return this.fold(c, ['additive'], ['EqEq', 'NotEq', 'LessEq', 'GreaterEq', 'Less', 'Greater']);
      case 'additive':
        return this.fold(c, ['multiplicative'], ['Plus', 'Minus']);
      case 'multiplicative':
        return this.fold(c, ['unary', 'implicit'], ['Star', 'Slash', 'Percent', 'Kw_mod']);
      case 'unary': {
        const inner = nodes(c, 'unary')[0];
        if (inner) {
          const op = tokens(c, 'Minus').length ? '-' : '+';
          return { kind: 'unary', op, operand: this.chain(inner), span: nodeSpan(n) };
        }
        return this.chain(nodes(c, 'power')[0]);
      }
      case 'power': {
        const base = this.postfix(nodes(c, 'postfix')[0]);
        const exp = nodes(c, 'unary')[0];
        if (!exp) return base;
        return { kind: 'binary', op: '^', left: base, right: this.chain(exp), span: nodeSpan(n) };
      }
      case 'expr':
        return this.expr(n);
      default:
        return this.postfix(n);
    }
  }

  private fold(c: Children, operandNames: string[], opNames: string[]): Expr {
    const operands = ordered(c, operandNames).filter((e): e is CstNode => !isToken(e));
    const ops = ordered(c, opNames).filter(isToken);
    let acc = this.chain(operands[0]);
    for (let i = 1; i < operands.length; i++) {
      const operand = operands[i];
      const start = offsetOf(operand);
      const prevEnd = spanOf(operands[i - 1]).endOffset;
      const op = ops.find((t) => t.startOffset > prevEnd && t.startOffset < start);
      const right = this.chain(operand);
      const implicit = op === undefined;
      const opText = implicit ? '*' : op.image === 'mod' ? '%' : (op.image as BinaryOp);
      acc = { kind: 'binary', op: opText as BinaryOp, left: acc, right, implicit: implicit || undefined, span: join(acc.span, right.span) };
    }
    return acc;
  }

  private postfix(n: CstNode | undefined): Expr {
    if (!n) return this.chain(undefined);
    if (n.name !== 'postfix') return this.primary(n);
    const c = n.children;
    let acc = this.primary(nodes(c, 'primary')[0]);
    const indexes = nodes(c, 'index');
    const ends = nodes(c, 'end');
    const closes = tokens(c, 'RBracket');
    for (let i = 0; i < indexes.length; i++) {
      const idx = indexes[i];
      const close = closes[i];
      const end = ends.find((e) => offsetOf(e) > offsetOf(idx) && (!close || offsetOf(e) < close.startOffset));
      acc = {
        kind: 'index',
        target: acc,
        index: this.expr(idx),
        end: end ? this.expr(end) : undefined,
        span: close ? join(acc.span, tokenSpan(close)) : acc.span,
      };
    }
    return acc;
  }

  private primary(n: CstNode | undefined): Expr {
    if (!n) return this.chain(undefined);
    const c = n.children;
    const span = nodeSpan(n);
    const num = tokens(c, 'NumberLit')[0];
    if (num) return { kind: 'num', value: Number(num.image), text: num.image, span };
    const con = nodes(c, 'callOrName')[0];
    if (con) return this.callOrName(con);
    const inner = nodes(c, 'expr')[0];
    // `(a + b)`: the parentheses belong to the span, so `(a + b) c` is reported from its `(`.
    if (inner) return { ...this.expr(inner), span };
    const vec = nodes(c, 'vector')[0];
    if (vec) return this.vector(vec);
    return this.chain(undefined);
  }

  private callOrName(n: CstNode): Expr {
    const c = n.children;
    const name = tokens(c, 'Identifier')[0];
    if (tokens(c, 'LParen').length === 0) return { kind: 'name', name: name.image, span: tokenSpan(name) };
    const args: Arg[] = nodes(c, 'argument').map((a) => {
      const argName = tokens(a.children, 'argName')[0];
      const value = nodes(a.children, 'expr')[0];
      return { name: argName?.image, value: value ? this.expr(value) : this.chain(undefined), span: nodeSpan(a) };
    });
    return { kind: 'call', callee: name.image, calleeSpan: tokenSpan(name), args, span: nodeSpan(n) };
  }

  private vector(n: CstNode): Expr {
    const c = n.children;
    const span = nodeSpan(n);
    const variable = tokens(c, 'Identifier')[0];
    const from = nodes(c, 'from')[0];
    const to = nodes(c, 'to')[0];
    const body = nodes(c, 'expr')[0];
    if (variable && from && to && body) {
      return { kind: 'comprehension', body: this.expr(body), variable: variable.image, from: this.expr(from), to: this.expr(to), span };
    }
    return { kind: 'vector', items: nodes(c, 'expr').map((e) => this.expr(e)), span };
  }
}
