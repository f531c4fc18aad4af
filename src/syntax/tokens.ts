// Tokens of the handwire language. Only the words that open a top-level item are reserved;
// settings inside blocks (`heads`, `q`, `causal`, …) are plain identifiers that the AST builder
// matches by name, so a user can still call a parameter `k` or `scale`, and a misspelt setting gets
// a "did you mean" instead of a parse error.
import { createToken, Lexer, type TokenType } from 'chevrotain';
import { SKIP_GRAMMAR_VALIDATION } from './grammar-validated.ts';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n]*/, group: Lexer.SKIPPED });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function keyword(word: string): TokenType {
  return createToken({ name: `Kw_${word}`, pattern: new RegExp(`${word}\\b`), longer_alt: Identifier });
}

export const Model = keyword('model');
export const About = keyword('about');
export const Vocab = keyword('vocab');
export const DType = keyword('dtype');
export const Residual = keyword('residual');
export const Context = keyword('context');
export const Let = keyword('let');
export const Param = keyword('param');
export const Embed = keyword('embed');
export const Position = keyword('position');
export const Layer = keyword('layer');
export const Repeat = keyword('repeat');
// Reserved although it opens no item: `repeat 8 until done > 0.5` ends the count's formula at it,
// where a plain name would read as an implicit product (`8 until`).
export const Until = keyword('until');
export const Attention = keyword('attention');
export const Mlp = keyword('mlp');
export const Final = keyword('final');
export const Head = keyword('head');
export const Task = keyword('task');
export const Write = keyword('write');
export const For = keyword('for');
export const In = keyword('in');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');
export const Mod = keyword('mod');

export const NumberLit = createToken({
  name: 'NumberLit',
  pattern: /(?:\d+\.\d+|\d+|\.\d+)(?:[eE][+-]?\d+)?/,
});
/** A number run into `e`/`E` without exponent digits (`1e`, `2exp(1)`) or a second decimal point
 * (`1.2.3`). Left alone these would lex as a number times `e` or as two numbers multiplied, so they
 * are collected as lexing errors instead (group `errors`, never seen by the parser). */
export const MalformedNumber = createToken({
  name: 'MalformedNumber',
  // The lookaheads keep the leading number maximal, so `10.3` or `0.5e-11` can never match by
  // backtracking into a shorter number.
  pattern: /(?:\d+\.\d+|\d+(?!\.\d)|\.\d+)(?!\d)(?:[eE][+-]?\d+)?(?:\.\d|[eE](?![+-]?\d))(?:[A-Za-z0-9_]|\.\d)*/,
  group: 'errors',
});
export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n]|\\.)*"/ });

export const DotDot = createToken({ name: 'DotDot', pattern: /\.\./ });
export const PlusEq = createToken({ name: 'PlusEq', pattern: /\+=/ });
export const MinusEq = createToken({ name: 'MinusEq', pattern: /-=/ });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/ });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/ });
export const LessEq = createToken({ name: 'LessEq', pattern: /<=/ });
export const GreaterEq = createToken({ name: 'GreaterEq', pattern: />=/ });
export const Less = createToken({ name: 'Less', pattern: /</ });
export const Greater = createToken({ name: 'Greater', pattern: />/ });
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Plus = createToken({ name: 'Plus', pattern: /\+/ });
export const Minus = createToken({ name: 'Minus', pattern: /-/ });
export const Star = createToken({ name: 'Star', pattern: /\*/ });
export const Slash = createToken({ name: 'Slash', pattern: /\// });
export const Percent = createToken({ name: 'Percent', pattern: /%/ });
export const Caret = createToken({ name: 'Caret', pattern: /\^/ });
export const Question = createToken({ name: 'Question', pattern: /\?/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/ });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/ });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/ });

export const KEYWORDS = [
  Model, About, Vocab, DType, Residual, Context, Let, Param, Embed, Position, Layer, Repeat, Until,
  Attention, Mlp, Final, Head, Task, Write, For, In, And, Or, Not, Mod,
];

// Order matters: longer operators before their prefixes, keywords before identifiers.
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, Comment, StringLit, MalformedNumber, NumberLit, DotDot,
  PlusEq, MinusEq, EqEq, NotEq, LessEq, GreaterEq, Less, Greater, Equals,
  Plus, Minus, Star, Slash, Percent, Caret, Question, Colon, Comma, Semicolon,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  ...KEYWORDS, Identifier,
];

// Only \n ends a line (a \r before it is trailing text), as in the CLI's source excerpts. Chevrotain's
// default also counts a lone \r, but not one inside a comment or string, so later lines were misnumbered.
export const handwireLexer = new Lexer(ALL_TOKENS, {
  // Offsets only: lines and columns are looked up when a span is made (spans.ts).
  positionTracking: 'onlyOffset',
  ensureOptimizations: false,
  skipValidations: SKIP_GRAMMAR_VALIDATION,
  lineTerminatorsPattern: /\n/g,
  lineTerminatorCharacters: ['\n'],
});
