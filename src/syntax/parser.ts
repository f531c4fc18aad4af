// The grammar of handwire as a Chevrotain CST parser. It only says what is well formed; what the
// pieces mean is decided by the AST builder (cst-to-ast.ts) and the checker. grammar/handwire.ebnf
// is the same grammar written for people, and a test keeps the two in step.
import { createTokenInstance, CstParser, EOF, type CstNode, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.ts';
import { SKIP_GRAMMAR_VALIDATION } from './grammar-validated.ts';
import { LineIndex } from './spans.ts';

/** What the parser reads past the last token. */
const END: IToken = createTokenInstance(EOF, '', NaN, NaN, NaN, NaN, NaN, NaN);

/** handOver drops consumed tokens once there are this many. */
const DROP_BATCH = 4096;

/** Chevrotain's token-vector state (its LexerAdapter trait): not in its type declarations, but its
 * token access (LA, LA_FAST, SKIP_TOKEN, moveToTerminatedState) is meant to be overridden for lazy
 * lexers, and these are the fields those methods read. */
interface TokenVector {
  tokVector: IToken[];
  tokVectorLength: number;
  currIdx: number;
}

export class HandwireParser extends CstParser {
  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: true, maxLookahead: 4, nodeLocationTracking: 'onlyOffset', skipValidations: SKIP_GRAMMAR_VALIDATION });
    this.performSelfAnalysis();
  }

  /** True when the next token starts on the line where the previous one ended: implicit
   * multiplication (`2 pi`) and value-less settings (`causal`) must not run across lines. */
  private sameLine(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    if (prev === undefined || next.tokenType === undefined || Number.isNaN(next.startOffset) || Number.isNaN(prev.startOffset)) return false;
    return this.lines.line(next.startOffset) === this.lines.line(prev.endOffset ?? prev.startOffset);
  }

  /** `IDENT (a, b) =` — a definition with parameters, as opposed to `IDENT (expr)`. */
  private paramListThenEquals(offset: number): boolean {
    if (this.LA(offset).tokenType !== T.LParen) return false;
    let i = offset + 1;
    if (this.LA(i).tokenType === T.RParen) return this.LA(i + 1).tokenType === T.Equals;
    for (;;) {
      if (this.LA(i).tokenType !== T.Identifier) return false;
      i++;
      const t = this.LA(i).tokenType;
      if (t === T.RParen) return this.LA(i + 1).tokenType === T.Equals;
      if (t !== T.Comma) return false;
      i++;
    }
  }

  /** The next token starts right where the previous one ended (no space between them). */
  private adjacent(): boolean {
    const prev = this.LA(0);
    const next = this.LA(1);
    return prev !== undefined && prev.endOffset !== undefined && next.startOffset === prev.endOffset + 1;
  }

  private isMulOp(offset: number): boolean {
    const t = this.LA(offset).tokenType;
    return t === T.Star || t === T.Slash || t === T.Percent || t === T.Mod;
  }

  private isType(offset: number, type: TokenType): boolean {
    return this.LA(offset).tokenType === type;
  }

  /** Given each model item as soon as it is parsed. A large source is mostly items, and an item's
   * CST and tokens are many times the size of its text: the AST builder converts each item here,
   * and its subtree and the tokens before it are dropped, so memory holds the AST and the tokens
   * still ahead, never the CST of the whole file. */
  itemSink?: (item: CstNode) => void;
  /** The line index of the text being parsed (tokens carry offsets only): set with `input`. */
  lines = new LineIndex('');
  /** How many tokens handOver has dropped from the front of `input`: Chevrotain's lexer state
   * (its token index) stays a position in the whole token stream, as its loops compare positions
   * before and after an iteration to tell progress. */
  private dropped = 0;
  /** When set, `input` starts empty and this lexes more of the text as the parser reads ahead:
   * it appends the next tokens to the array it is given, and returns false once the text is
   * used up. Tokens are then made just before the parser reads them and die young, instead of the
   * whole file's (a 10 MB source has about 1.7 million) all being alive at the start. */
  more?: (into: IToken[]) => boolean;

  /** Lexes (with `more`) until token `index` exists or the text is used up. */
  private fill(index: number): IToken {
    const v = this as unknown as TokenVector;
    while (index >= v.tokVectorLength && this.more?.(v.tokVector)) v.tokVectorLength = v.tokVector.length;
    return index < v.tokVectorLength ? v.tokVector[index]! : END;
  }

  /** Chevrotain's own LA_FAST reads past the end into EOF sentinels it appends before parsing; with
   * tokens still to come there are none, so every read checks the bound (a lazy lexer's price). */
  protected override LA_FAST(howMuch: number): IToken {
    const v = this as unknown as TokenVector;
    const index = v.currIdx + howMuch;
    return index < v.tokVectorLength ? v.tokVector[index]! : this.fill(index);
  }

  protected override LA(howMuch: number): IToken {
    const v = this as unknown as TokenVector;
    const index = v.currIdx + howMuch;
    if (index < 0) return END;
    return index < v.tokVectorLength ? v.tokVector[index]! : this.fill(index);
  }

  protected override SKIP_TOKEN(): IToken {
    this.fill((this as unknown as TokenVector).currIdx + 1);
    return super.SKIP_TOKEN();
  }

  /** Error recovery's jump to the end of the input: the end of the whole text. */
  moveToTerminatedState(): void {
    this.fill(Number.MAX_SAFE_INTEGER);
    const v = this as unknown as TokenVector;
    v.currIdx = v.tokVectorLength - 1;
  }

  /** Chevrotain pads the input with EOF sentinels here; a lazy input must stay open for appends. */
  onBeforeParse(ruleName: string): void {
    if (this.more) return;
    (CstParser.prototype as unknown as { onBeforeParse(name: string): void }).onBeforeParse.call(this, ruleName);
  }

  override reset(): void {
    super.reset();
    this.dropped = 0;
  }

  private handOver(item: CstNode): void {
    if (!this.itemSink) return;
    this.itemSink(item);
    for (const key of Object.keys(item.children)) delete item.children[key];
    // Chevrotain has already added the item to the model's node: take it out again, or every
    // (emptied) item node, with its child table and location, stays alive until the end of the file.
    const model = (this as unknown as { CST_STACK: CstNode[] }).CST_STACK.at(-1);
    const items = model?.children.item;
    if (items && items[items.length - 1] === item) items.pop();
    // Everything before the last consumed token is behind the parser for good (no rule backtracks;
    // recovery only skips ahead). The last one stays: sameLine() and adjacent() read it as LA(0).
    // Dropped in batches, so that the tokens still ahead (at most a chunk's) move rarely.
    const v = this as unknown as TokenVector;
    if (v.currIdx < DROP_BATCH) return;
    v.tokVector.splice(0, v.currIdx);
    this.dropped += v.currIdx;
    v.tokVectorLength -= v.currIdx;
    v.currIdx = 0;
  }

  exportLexerState(): number {
    return (this as unknown as TokenVector).currIdx + this.dropped;
  }

  importLexerState(state: number): void {
    (this as unknown as TokenVector).currIdx = state - this.dropped;
  }

  public program = this.RULE('program', () => {
    this.SUBRULE(this.model);
  });

  public model = this.RULE('model', () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      const item = this.SUBRULE(this.item);
      this.ACTION(() => this.handOver(item));
    });
    this.CONSUME(T.RBrace);
  });

  public item = this.RULE('item', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.about) },
      { ALT: () => this.SUBRULE(this.vocab) },
      { ALT: () => this.SUBRULE(this.dtype) },
      { ALT: () => this.SUBRULE(this.residual) },
      { ALT: () => this.SUBRULE(this.context) },
      { ALT: () => this.SUBRULE(this.letDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.embed) },
      { ALT: () => this.SUBRULE(this.position) },
      { ALT: () => this.SUBRULE(this.layer) },
      { ALT: () => this.SUBRULE(this.repeat) },
      { ALT: () => this.SUBRULE(this.final) },
      { ALT: () => this.SUBRULE(this.head) },
      { ALT: () => this.SUBRULE(this.task) },
    ]);
  });

  public about = this.RULE('about', () => {
    this.CONSUME(T.About);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.aboutEntry));
    this.CONSUME(T.RBrace);
  });

  public aboutEntry = this.RULE('aboutEntry', () => {
    this.CONSUME(T.Identifier);
    this.OR([
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.SUBRULE(this.stringList) },
    ]);
  });

  public stringList = this.RULE('stringList', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.StringLit) });
    this.CONSUME(T.RBracket);
  });

  public vocab = this.RULE('vocab', () => {
    this.CONSUME(T.Vocab);
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.SUBRULE(this.stringList) },
    ]);
  });

  public dtype = this.RULE('dtype', () => {
    this.CONSUME(T.DType);
    this.CONSUME(T.Identifier);
  });

  public residual = this.RULE('residual', () => {
    this.CONSUME(T.Residual);
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.channelDecl) });
    this.CONSUME(T.RBracket);
  });

  /** `name` or `name[count]` (a group of channels addressed as name[i] or as a vector). */
  public channelDecl = this.RULE('channelDecl', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.CONSUME(T.NumberLit);
      this.CONSUME(T.RBracket);
    });
  });

  /** `context 64`, or a formula of the declarations: `context 2 max_len + 1`. */
  public context = this.RULE('context', () => {
    this.CONSUME(T.Context);
    this.SUBRULE(this.expr);
  });

  public letDecl = this.RULE('letDecl', () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.paramList));
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
  });

  public paramList = this.RULE('paramList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Identifier) });
    this.CONSUME(T.RParen);
  });

  public paramDecl = this.RULE('paramDecl', () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
  });

  /** `embed E[d] = row formula` or `embed E = matrix expression`. */
  public embed = this.RULE('embed', () => {
    this.CONSUME(T.Embed);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.indexVar));
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
  });

  public indexVar = this.RULE('indexVar', () => {
    this.CONSUME(T.LBracket);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.RBracket);
  });

  public position = this.RULE('position', () => {
    this.CONSUME(T.Position);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.indexVar);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expr);
  });

  /** `repeat 4 {…}`, `repeat steps {…}` (a formula), `repeat 8 until done > 0.5 {…}` (at most 8). */
  public repeat = this.RULE('repeat', () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expr, { LABEL: 'count' });
    this.OPTION(() => {
      this.CONSUME(T.Until);
      this.SUBRULE2(this.expr, { LABEL: 'halt' });
    });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.layer));
    this.CONSUME(T.RBrace);
  });

  public layer = this.RULE('layer', () => {
    this.CONSUME(T.Layer);
    this.OPTION(() => this.CONSUME(T.Identifier));
    this.CONSUME(T.LBrace);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.attention) },
        { ALT: () => this.SUBRULE(this.mlp) },
      ]),
    );
    this.CONSUME(T.RBrace);
  });

  public attention = this.RULE('attention', () => {
    this.CONSUME(T.Attention);
    this.SUBRULE(this.settingsBlock);
  });

  public mlp = this.RULE('mlp', () => {
    this.CONSUME(T.Mlp);
    this.SUBRULE(this.settingsBlock);
  });

  public settingsBlock = this.RULE('settingsBlock', () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.writeStmt) },
        { ALT: () => this.SUBRULE(this.writeLoop) },
        { ALT: () => this.SUBRULE(this.setting) },
      ]);
      this.OPTION(() => this.OR2([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Semicolon) }]));
    });
    this.CONSUME(T.RBrace);
  });

  /** `name`, `name value`, `name = expr`, `name(a, b) = expr`. */
  public setting = this.RULE('setting', () => {
    // `in` is also the comprehension keyword; as a setting name (the MLP's `in = …`) it is a name.
    this.OR4([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.In, { LABEL: "Identifier" }) }]);
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      {
        GATE: () => this.paramListThenEquals(1),
        ALT: () => {
          this.SUBRULE(this.paramList);
          this.CONSUME(T.Equals);
          this.SUBRULE(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Equals);
          this.SUBRULE2(this.expr);
        },
      },
      {
        GATE: () => this.sameLine() && !this.isType(1, T.Comma) && !this.isType(1, T.RBrace) && !this.isType(1, T.Semicolon),
        ALT: () => this.SUBRULE3(this.expr),
      },
      { ALT: () => {} },
    ] });
  });

  public writeStmt = this.RULE('writeStmt', () => {
    this.CONSUME(T.Write);
    this.SUBRULE(this.writeTarget);
    this.OR([{ ALT: () => this.CONSUME(T.PlusEq) }, { ALT: () => this.CONSUME(T.MinusEq) }]);
    this.SUBRULE(this.expr);
  });

  /** `for k in 0..3 { write x[k + 1] += out[k] }`: writes repeated over an inclusive range of
   * whole numbers. The checker unrolls it into one write per value, so it adds nothing to the graph. */
  public writeLoop = this.RULE('writeLoop', () => {
    this.CONSUME(T.For);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.In);
    this.SUBRULE(this.expr, { LABEL: 'from' });
    this.CONSUME(T.DotDot);
    this.SUBRULE2(this.expr, { LABEL: 'to' });
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.writeStmt) },
        { ALT: () => this.SUBRULE(this.writeLoop) },
      ]);
      this.OPTION(() => this.OR2([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Semicolon) }]));
    });
    this.CONSUME(T.RBrace);
  });

  public writeTarget = this.RULE('writeTarget', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.channelRef) });
          this.CONSUME(T.RBracket);
        },
      },
      { ALT: () => this.SUBRULE2(this.channelRef) },
    ]);
  });

  /** `name`, `name[i]` or `name[i:j]` (end exclusive); `i` and `j` are formulas (`k + 1` inside a
   * `for`) that the checker resolves to whole numbers. */
  public channelRef = this.RULE('channelRef', () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.SUBRULE(this.expr, { LABEL: 'index' });
      this.OPTION2(() => {
        this.CONSUME(T.Colon);
        this.SUBRULE2(this.expr, { LABEL: 'end' });
      });
      this.CONSUME(T.RBracket);
    });
  });

  public final = this.RULE('final', () => {
    this.CONSUME(T.Final);
    this.SUBRULE(this.expr);
  });

  /** `head tied E` or `head = linear map of the final residual`. */
  public head = this.RULE('head', () => {
    this.CONSUME(T.Head);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Equals);
          this.SUBRULE(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.CONSUME2(T.Identifier);
        },
      },
    ]);
  });

  public task = this.RULE('task', () => {
    this.CONSUME(T.Task);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
        { GATE: () => this.LA(1).image === 'input', ALT: () => this.SUBRULE(this.taskInput) },
        { GATE: () => this.LA(1).image === 'prompt', ALT: () => this.SUBRULE(this.taskPrompt) },
        { ALT: () => this.SUBRULE(this.setting) },
      ] });
      this.OPTION(() => this.OR2([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Semicolon) }]));
    });
    this.CONSUME(T.RBrace);
  });

  /** `input a, b: 10 digits`, or a token string: `input s: ["0", "1"] length 1..1000`. */
  public taskInput = this.RULE('taskInput', () => {
    this.CONSUME(T.Identifier);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier) });
    this.CONSUME(T.Colon);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.NumberLit);
          this.CONSUME3(T.Identifier);
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.stringList);
          this.CONSUME4(T.Identifier);
          this.CONSUME2(T.NumberLit, { LABEL: 'lengthMin' });
          this.OPTION(() => {
            this.CONSUME(T.DotDot);
            this.CONSUME3(T.NumberLit, { LABEL: 'lengthMax' });
          });
        },
      },
    ]);
  });

  /** `prompt [0, a lsb, 0 * 9, b lsb, "="]`. */
  public taskPrompt = this.RULE('taskPrompt', () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.promptItem) });
    this.CONSUME(T.RBracket);
  });

  public promptItem = this.RULE('promptItem', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      {
        // `a lsb` (a number's digits in an order), or a bare `s` (a token string as it is).
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OPTION2({ GATE: () => this.sameLine(), DEF: () => this.CONSUME2(T.Identifier) });
        },
      },
    ]);
    this.OPTION(() => {
      this.CONSUME(T.Star);
      this.CONSUME2(T.NumberLit);
    });
  });

  // ---- expressions, loosest binding first ----

  public expr = this.RULE('expr', () => {
    this.SUBRULE(this.orExpr);
    this.OPTION(() => {
      this.CONSUME(T.Question);
      this.SUBRULE(this.expr, { LABEL: 'then' });
      this.CONSUME(T.Colon);
      this.SUBRULE2(this.expr, { LABEL: 'else' });
    });
  });

  public orExpr = this.RULE('orExpr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  public andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  // Prefix operators and `^` chains are loops, not recursion: `not not …`, `- - …` and `2^2^…`
  // thousands long then parse in constant stack, and the checker's evaluation limit reports them
  // at the formula that nests too deeply (cst-to-ast.ts builds the nesting).
  public notExpr = this.RULE('notExpr', () => {
    this.MANY(() => this.CONSUME(T.Not));
    this.SUBRULE(this.compare);
  });

  public compare = this.RULE('compare', () => {
    this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.EqEq) },
        { ALT: () => this.CONSUME(T.NotEq) },
        { ALT: () => this.CONSUME(T.LessEq) },
        { ALT: () => this.CONSUME(T.GreaterEq) },
        { ALT: () => this.CONSUME(T.Less) },
        { ALT: () => this.CONSUME(T.Greater) },
      ]);
      this.SUBRULE2(this.additive);
    });
  });

  public additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  /** Explicit `* / % mod`, and implicit multiplication by juxtaposition on the same line. */
  public multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary);
    this.MANY({ GATE: () => this.isMulOp(1) || this.sameLine(), DEF: () => {
      this.OR([
        {
          ALT: () => {
            this.OR2([
              { ALT: () => this.CONSUME(T.Star) },
              { ALT: () => this.CONSUME(T.Slash) },
              { ALT: () => this.CONSUME(T.Percent) },
              { ALT: () => this.CONSUME(T.Mod) },
            ]);
            this.SUBRULE2(this.unary);
          },
        },
        {
          GATE: () => this.sameLine(),
          ALT: () => this.SUBRULE(this.power, { LABEL: 'implicit' }),
        },
      ]);
    } });
  });

  public unary = this.RULE('unary', () => {
    this.MANY(() => this.OR([{ ALT: () => this.CONSUME(T.Minus) }, { ALT: () => this.CONSUME(T.Plus) }]));
    this.SUBRULE(this.power);
  });

  /** `a ^ -b ^ c`: operands with the signs before each; right associative (built in cst-to-ast.ts). */
  public power = this.RULE('power', () => {
    this.SUBRULE(this.postfix);
    this.MANY(() => {
      this.CONSUME(T.Caret);
      this.MANY2(() => this.OR([{ ALT: () => this.CONSUME(T.Minus) }, { ALT: () => this.CONSUME(T.Plus) }]));
      this.SUBRULE2(this.postfix);
    });
  });

  public postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    // `e[0]` indexes; `R(a) [x, y]` (with a space) multiplies by a vector, as in written math.
    this.MANY({ GATE: () => this.adjacent(), DEF: () => {
      this.CONSUME(T.LBracket);
      this.SUBRULE(this.expr, { LABEL: 'index' });
      this.OPTION(() => {
        this.CONSUME(T.Colon);
        this.SUBRULE2(this.expr, { LABEL: 'end' });
      });
      this.CONSUME(T.RBracket);
    } });
  });

  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      // A token named by its text ("BOS", "("): it stands for the token's id.
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.SUBRULE(this.callOrName) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expr);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.vector) },
    ]);
  });

  public callOrName = this.RULE('callOrName', () => {
    this.CONSUME(T.Identifier);
    this.OPTION({
      GATE: () => this.sameLine(),
      DEF: () => {
        this.CONSUME(T.LParen);
        this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
        this.CONSUME(T.RParen);
      },
    });
  });

  /** `expr` or `name: expr` (named arguments, used by norms). */
  public argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'argName' });
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expr);
  });

  /** `[a, b, c]`, or a comprehension `[expr for i in lo..hi]`. */
  public vector = this.RULE('vector', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expr);
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.For);
            this.CONSUME(T.Identifier);
            this.CONSUME(T.In);
            this.SUBRULE2(this.expr, { LABEL: 'from' });
            this.CONSUME(T.DotDot);
            this.SUBRULE3(this.expr, { LABEL: 'to' });
          },
        },
        {
          ALT: () => {
            // One trailing comma is allowed (`[1, 2,]`); an empty item (`[1, , 2]`) is not.
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE4(this.expr);
            });
            this.OPTION2(() => this.CONSUME2(T.Comma));
          },
        },
      ]);
    });
    this.CONSUME(T.RBracket);
  });
}

export const parserInstance = new HandwireParser();
export type { IToken };
