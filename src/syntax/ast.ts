// The typed AST of a .hw file. Every node carries the span of source it came from, so the checker
// can point at exactly the text a diagnostic is about.

import type { Span } from '../diagnostics.ts';

// A span is where a diagnostic points as much as where a node came from; it is defined with the
// diagnostics (a leaf every stage may import) and re-exported for the AST's many readers.
export type { Span };

export type Expr =
  | { kind: 'num'; value: number; text: string; span: Span }
  /** A token named by its text, `"BOS"`: its value is the token's id in the model's vocabulary. */
  | { kind: 'str'; value: string; span: Span }
  | { kind: 'name'; name: string; span: Span }
  | { kind: 'call'; callee: string; calleeSpan: Span; args: Arg[]; span: Span }
  | { kind: 'unary'; op: '-' | '+' | 'not'; operand: Expr; span: Span }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; implicit?: boolean; span: Span }
  | { kind: 'cond'; test: Expr; then: Expr; else: Expr; span: Span }
  | { kind: 'index'; target: Expr; index: Expr; end?: Expr; span: Span }
  | { kind: 'vector'; items: Expr[]; span: Span }
  | { kind: 'comprehension'; body: Expr; variable: string; from: Expr; to: Expr; span: Span };

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

export interface Arg {
  name?: string;
  value: Expr;
  span: Span;
}

export interface Ident {
  name: string;
  span: Span;
}

/** `name = expr`, `name(a, b) = expr`, `name expr` or a bare `name` inside a block. */
export interface Setting {
  name: Ident;
  params?: Ident[];
  value?: Expr;
  /** True for `name = expr` / `name(a) = expr`, false for `name expr`. */
  assigned: boolean;
  span: Span;
}

/** `name`, `name[index]` or `name[index:end]`: the indices are formulas (a literal, or `k + 1` over
 * the variables of enclosing `for` loops), resolved by the checker to whole numbers. */
export interface ChannelRef {
  name: Ident;
  index?: Expr;
  end?: Expr;
  span: Span;
}

/** `for variable in from..to { … }` around writes (both ends included). */
export interface WriteLoop {
  variable: Ident;
  from: Expr;
  to: Expr;
  span: Span;
}

export interface WriteStmt {
  targets: ChannelRef[];
  op: '+=' | '-=';
  value: Expr;
  /** The `for` loops the write sits in, outermost first (empty when it sits in none): the checker
   * makes one write per combination of their values. */
  loops: WriteLoop[];
  span: Span;
}

export interface AttentionAst {
  kind: 'attention';
  settings: Setting[];
  writes: WriteStmt[];
  span: Span;
}

export interface MlpAst {
  kind: 'mlp';
  settings: Setting[];
  writes: WriteStmt[];
  span: Span;
}

export type ComponentAst = AttentionAst | MlpAst;

export interface LayerAst {
  name?: Ident;
  components: ComponentAst[];
  span: Span;
}

/** A group of layers applied in sequence with shared weights: `count` times (a formula the checker
 * evaluates), or with `halt`, at most `count` times, each position stopping once `halt` holds. */
export interface RepeatAst {
  count: Expr;
  halt?: Expr;
  timesSpan: Span;
  layers: LayerAst[];
  span: Span;
}

export interface LetDecl {
  kind: 'let';
  name: Ident;
  params?: Ident[];
  value: Expr;
  span: Span;
}

export interface ParamDecl {
  kind: 'param';
  name: Ident;
  value: Expr;
  span: Span;
}

export type PromptItem =
  | { kind: 'token'; token: number | string; repeat: number; span: Span }
  | { kind: 'operand'; operand: Ident; order: Ident; repeat: number; span: Span }
  /** A token-string input, placed as it is. */
  | { kind: 'string'; operand: Ident; repeat: number; span: Span };

/** `input a, b: 10 digits` (numbers as digit strings), or `input s: ["0", "1"] length 0..12`
 * (token strings over an alphabet, of a length in a range). */
export interface TaskInputAst {
  names: Ident[];
  digits: number;
  /** `digits` for numbers; `length` for token strings. */
  unit: Ident;
  alphabet?: { tokens: string[]; span: Span };
  length?: { min: number; max: number; span: Span };
  span: Span;
}

export interface TaskAst {
  name: Ident;
  inputs: TaskInputAst[];
  prompt?: { items: PromptItem[]; span: Span };
  settings: Setting[];
  span: Span;
}

export interface AboutAst {
  entries: { key: Ident; value: string | string[]; span: Span }[];
  span: Span;
}

export interface ModelAst {
  name: Ident;
  about?: AboutAst;
  vocab?: { size?: number; names?: string[]; span: Span };
  dtype?: Ident;
  residual?: { channels: { name: Ident; count?: number; span: Span }[]; span: Span };
  /** `context N`: a formula of the declarations, evaluated by the checker to a whole number. */
  context?: { value: Expr; span: Span };
  decls: (LetDecl | ParamDecl)[];
  embed?: { name: Ident; indexVar?: Ident; value: Expr; span: Span };
  position?: { name: Ident; indexVar: Ident; value: Expr; span: Span };
  /** Layers in order; a `repeat` block is kept as one entry so sharing stays visible. */
  body: (LayerAst | RepeatAst)[];
  final?: { value: Expr; span: Span };
  head?: { tied?: Ident; value?: Expr; span: Span };
  task?: TaskAst;
  span: Span;
  /** Items that may appear once, seen twice: the builder reports them. */
  repeats: { what: string; span: Span }[];
}
