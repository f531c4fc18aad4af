// The first half of the formatter (format.ts): a source's tokens and comments grouped into the
// lines they are on, with the space each token gets before it. Line breaks are the author's: the
// grammar reads them (implicit multiplication and a setting's bare value stop at the end of a
// line), so the formatter never adds or removes one between two tokens. Spacing within a line is
// canonical, except where the parser or the reader tells `v[i]` from `v [i]` and `f(x)` from `C (x)`:
// there the author's choice of no space or a space is kept.
import type { IToken } from 'chevrotain';

/** One line of the output, before indentation and alignment (format.ts adds both). */
export interface FormatLine {
  tokens: IToken[];
  /** spaces[i]: the spaces before tokens[i] (spaces[0] is replaced by the indentation). */
  spaces: number[];
  /** A comment at the end of the line, or the whole line when there are no tokens. */
  comment?: string;
  /** A blank line came before this one in the source (runs of blank lines become one). */
  blankBefore: boolean;
  /** How many brackets and braces are open where the line starts. */
  depth: number;
  /** The kind of block the line starts in (for alignment: `about` entries, settings). */
  block: BlockKind;
  /** Where the line's alignment goes, if it takes part in one (format.ts lines up runs of these). */
  align?: { key: 'header' | 'about' | 'assign'; at: number };
}

export type BlockKind = 'top' | 'model' | 'settings' | 'about' | 'paren' | 'vector' | 'index';

interface Frame {
  kind: BlockKind;
  /** `?`s in this frame still waiting for their `:`. */
  questions: number;
}

const OPERAND_END = new Set(['Identifier', 'NumberLit', 'StringLit', 'RParen', 'RBracket']);
const SIGN = new Set(['Minus', 'Plus']);
const TIGHT = new Set(['Caret', 'DotDot']);
const HEADER = new Set(['Kw_vocab', 'Kw_dtype', 'Kw_residual', 'Kw_context']);

/** A colon's role decides its spacing: `c ? a : b`, `M[i:j]`, `rms(eps: 1e-6)`. */
type ColonRole = 'ternary' | 'slice' | 'label';

/** Groups `tokens` (in source order) and the comments between them into lines, and decides the
 * spacing inside each line. `source` is the text the tokens were lexed from. */
export function formatLines(source: string, tokens: readonly IToken[]): FormatLine[] {
  const lines: FormatLine[] = [];
  const stack: Frame[] = [{ kind: 'top', questions: 0 }];
  const colonRoles = new Map<IToken, ColonRole>();
  const unarySigns = new Set<IToken>();
  let line: FormatLine | undefined;
  let previousEnd = 0;

  const startLine = (gap: string) => {
    const top = stack.at(-1)!;
    line = { tokens: [], spaces: [], blankBefore: /\n[ \t\r]*\n/.test(gap), depth: stack.length - 1, block: top.kind };
    lines.push(line);
  };
  // The text between two tokens holds only whitespace and comments (a file with anything else
  // does not parse, and is not formatted).
  const takeGap = (gap: string) => {
    let rest = gap;
    for (;;) {
      const hash = rest.indexOf('#');
      const before = hash < 0 ? rest : rest.slice(0, hash);
      if (hash < 0) return rest;
      if (line === undefined || before.includes('\n')) startLine(before);
      const end = rest.indexOf('\n', hash);
      line!.comment = rest.slice(hash, end < 0 ? undefined : end).trimEnd();
      rest = end < 0 ? '' : rest.slice(end);
    }
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const gap = takeGap(source.slice(previousEnd, t.startOffset));
    if (line === undefined || line.comment !== undefined || gap.includes('\n')) startLine(gap);
    const prev = i > 0 ? tokens[i - 1] : undefined;
    const type = t.tokenType.name;
    const top = stack.at(-1)!;

    if (SIGN.has(type) && (prev === undefined || !OPERAND_END.has(prev.tokenType.name) || startsSetting(tokens, i - 1, source, top))) {
      unarySigns.add(t);
    }
    if (type === 'Question') top.questions++;
    if (type === 'Colon') {
      const role: ColonRole = top.questions > 0 ? 'ternary' : top.kind === 'index' ? 'slice' : 'label';
      if (role === 'ternary') top.questions--;
      colonRoles.set(t, role);
    }

    const first = line!.tokens.length === 0;
    line!.spaces.push(first ? 0 : spaceBetween(prev!, t, unarySigns, colonRoles));
    line!.tokens.push(t);

    if (type === 'LBrace') stack.push({ kind: braceKind(tokens, i), questions: 0 });
    else if (type === 'LParen') stack.push({ kind: 'paren', questions: 0 });
    else if (type === 'LBracket') stack.push({ kind: prev && OPERAND_END.has(prev.tokenType.name) && adjacent(prev, t) ? 'index' : 'vector', questions: 0 });
    else if ((type === 'RBrace' || type === 'RParen' || type === 'RBracket') && stack.length > 1) stack.pop();
    previousEnd = t.startOffset + t.image.length;
  }
  takeGap(source.slice(previousEnd));
  for (const l of lines) l.align = alignmentOf(l);
  return lines;
}

function spaceBetween(a: IToken, b: IToken, unary: Set<IToken>, colons: Map<IToken, ColonRole>): number {
  const at = a.tokenType.name;
  const bt = b.tokenType.name;
  if (at === 'LParen' || at === 'LBracket') return 0;
  if (bt === 'RParen' || bt === 'RBracket' || bt === 'Comma' || bt === 'Semicolon') return 0;
  if (at === 'LBrace' && bt === 'RBrace') return 0;
  // `- -x`, not `--x`: a run of signs keeps them apart.
  if (unary.has(a)) return SIGN.has(bt) ? 1 : 0;
  if (TIGHT.has(at) || TIGHT.has(bt)) return 0;
  if (bt === 'LParen' || bt === 'LBracket') {
    // `v[i]` indexes and `v [i]` multiplies; `f(x)` and `C (x)` parse alike but read differently.
    if (OPERAND_END.has(at)) return adjacent(a, b) ? 0 : 1;
    return 1;
  }
  if (bt === 'Colon') return colons.get(b) === 'ternary' ? 1 : 0;
  if (at === 'Colon') return colons.get(a) === 'slice' ? 0 : 1;
  return 1;
}

function adjacent(a: IToken, b: IToken): boolean {
  return b.startOffset === a.startOffset + a.image.length;
}

/** `attention {`, `mlp {` and `task NAME {` hold settings; `about {` holds entries. */
function braceKind(tokens: readonly IToken[], i: number): BlockKind {
  const before = tokens[i - 1]?.tokenType.name;
  if (before === 'Kw_attention' || before === 'Kw_mlp' || tokens[i - 2]?.tokenType.name === 'Kw_task') return 'settings';
  if (before === 'Kw_about') return 'about';
  return 'model';
}

/** Whether tokens[i] is the name that starts a setting (`scale` in `scale -1`), after which a sign
 * starts the value: a name first in a settings block, after `,` or `;`, or first on its line after
 * a complete value (a formula never continues onto a new line with a bare name). */
function startsSetting(tokens: readonly IToken[], i: number, source: string, top: Frame): boolean {
  const t = tokens[i]!;
  if (top.kind !== 'settings' || t.tokenType.name !== 'Identifier') return false;
  const before = tokens[i - 1];
  if (before === undefined) return false;
  const bt = before.tokenType.name;
  if (bt === 'LBrace' || bt === 'Comma' || bt === 'Semicolon') return true;
  const onNewLine = source.slice(before.startOffset + before.image.length, t.startOffset).includes('\n');
  return onNewLine && (OPERAND_END.has(bt) || bt === 'RBrace');
}

/** Runs of header items (`vocab`, `residual`…) line up their values, `about` entries their text,
 * and declarations and settings with `=` their `=`. Only lines that start a statement take part. */
function alignmentOf(l: FormatLine): FormatLine['align'] {
  const first = l.tokens[0];
  if (first === undefined || l.tokens.length < 2) return undefined;
  if (l.block !== 'model' && l.block !== 'settings' && l.block !== 'about') return undefined;
  const type = first.tokenType.name;
  if (type === 'RBrace') return undefined;
  if (HEADER.has(type)) return { key: 'header', at: 1 };
  if (l.block === 'about' && type === 'Identifier') return { key: 'about', at: 1 };
  let depth = 0;
  for (let i = 0; i < l.tokens.length; i++) {
    const name = l.tokens[i]!.tokenType.name;
    if (name === 'LParen' || name === 'LBracket' || name === 'LBrace') depth++;
    else if (name === 'RParen' || name === 'RBracket' || name === 'RBrace') depth--;
    else if (depth === 0 && name === 'Equals') return { key: 'assign', at: i };
    if (depth < 0) return undefined;
  }
  return undefined;
}
