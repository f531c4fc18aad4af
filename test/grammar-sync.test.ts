// grammar/handwire.ebnf is the grammar for people; src/syntax/parser.ts is the grammar the compiler
// runs. This test keeps them in step, rule for rule: the same rule names, and in every rule the same
// sub-rules and the same tokens (read from Chevrotain's grammar model, getGAstProductions()). Every
// keyword and punctuation token of tokens.ts must appear quoted in the EBNF, and every quoted
// terminal must lex as exactly one token.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NonTerminal, Terminal, type IProduction, type TokenType } from 'chevrotain';
import { parserInstance } from '../src/syntax/parser.ts';
import { ALL_TOKENS, handwireLexer, KEYWORDS } from '../src/syntax/tokens.ts';

const EBNF = readFileSync(new URL('../grammar/handwire.ebnf', import.meta.url), 'utf8');

/** Upper-case EBNF productions name tokens whose pattern is not a fixed text. */
const LEXICAL: Record<string, string> = {
  NAME: 'Identifier',
  NUMBER: 'NumberLit',
  STRING: 'StringLit',
  MALFORMED_NUMBER: 'MalformedNumber',
  COMMENT: 'Comment',
  WHITESPACE: 'WhiteSpace',
};

/** The fixed text of a token (`model`, `+=`, `(`), or undefined when its pattern is a real regex. */
function literalText(t: TokenType): string | undefined {
  const pattern = t.PATTERN;
  if (!(pattern instanceof RegExp)) return typeof pattern === 'string' ? pattern : undefined;
  const source = pattern.source.replace(/\\b$/, '');
  if (!/^(?:\\[^A-Za-z0-9]|[^\\[\](){}.*+?^$|])+$/.test(source)) return undefined;
  return source.replace(/\\(.)/g, '$1');
}

/** How a token is written in the EBNF: `'text'` for fixed texts, the upper-case name otherwise. */
function ebnfNameOf(t: TokenType): string {
  const text = literalText(t);
  if (text !== undefined) return `'${text}'`;
  const lexical = Object.keys(LEXICAL).find((k) => LEXICAL[k] === t.name);
  return lexical ?? `<token ${t.name} has no EBNF production>`;
}

interface Production {
  name: string;
  body: string;
}

function productions(text: string): Production[] {
  const clean = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
  const out: Production[] = [];
  const starts = [...clean.matchAll(/^([A-Za-z_]\w*)\s*::=/gm)];
  starts.forEach((m, i) => {
    const bodyStart = m.index! + m[0].length;
    const bodyEnd = i + 1 < starts.length ? starts[i + 1].index! : clean.length;
    out.push({ name: m[1], body: clean.slice(bodyStart, bodyEnd) });
  });
  return out;
}

const isSyntactic = (name: string) => /^[a-z]/.test(name);

interface RuleUse {
  rules: Set<string>;
  tokens: Set<string>;
  problems: string[];
}

/** Sub-rules and tokens one EBNF production refers to; anything it cannot read is a problem. */
function readBody(p: Production): RuleUse {
  const use: RuleUse = { rules: new Set(), tokens: new Set(), problems: [] };
  const pieces = p.body.match(/'[^']*'|"[^"]*"|[A-Za-z_]\w*|\S/g) ?? [];
  for (const piece of pieces) {
    if (/^'.*'$/.test(piece)) {
      const text = piece.slice(1, -1);
      const lexed = handwireLexer.tokenize(text);
      const visible = lexed.tokens;
      const hidden = Object.values(lexed.groups).flat();
      if (lexed.errors.length > 0 || hidden.length > 0 || visible.length !== 1 || visible[0].image !== text) {
        use.problems.push(`${p.name}: the terminal ${piece} is not exactly one token`);
        continue;
      }
      use.tokens.add(ebnfNameOf(visible[0].tokenType));
    } else if (/^[A-Z]/.test(piece)) {
      if (!(piece in LEXICAL)) use.problems.push(`${p.name}: unknown token name ${piece}`);
      else use.tokens.add(piece);
    } else if (/^[a-z_]/.test(piece)) {
      use.rules.add(piece);
    } else if (!/^[()|?*+]$/.test(piece)) {
      use.problems.push(`${p.name}: unexpected ${JSON.stringify(piece)}`);
    }
  }
  return use;
}

/** Sub-rules and tokens of one parser rule, from Chevrotain's grammar model. */
function readRule(definition: IProduction[]): { rules: Set<string>; tokens: Set<string> } {
  const out = { rules: new Set<string>(), tokens: new Set<string>() };
  const walk = (nodes: IProduction[]) => {
    for (const node of nodes) {
      if (node instanceof NonTerminal) {
        // Its `definition` is the referenced rule's body: not part of this rule.
        out.rules.add(node.nonTerminalName);
        continue;
      }
      if (node instanceof Terminal) out.tokens.add(ebnfNameOf(node.terminalType));
      const separator = (node as { separator?: TokenType }).separator;
      if (separator) out.tokens.add(ebnfNameOf(separator));
      const inner = (node as { definition?: IProduction[] }).definition;
      if (Array.isArray(inner)) walk(inner);
    }
  };
  walk(definition);
  return out;
}

const sorted = (s: Iterable<string>) => [...s].sort();

/** Every way the EBNF text and the parser disagree (empty when they are in step). */
function disagreements(ebnfText: string): string[] {
  const problems: string[] = [];
  const gast = parserInstance.getGAstProductions();
  const ebnf = productions(ebnfText).filter((p) => isSyntactic(p.name));
  const ebnfNames = ebnf.map((p) => p.name);
  for (const name of ebnfNames) if (ebnfNames.indexOf(name) !== ebnfNames.lastIndexOf(name)) problems.push(`${name} is defined twice in the EBNF`);
  for (const name of Object.keys(gast)) if (!ebnfNames.includes(name)) problems.push(`parser rule ${name} is missing from the EBNF`);
  for (const p of ebnf) {
    const rule = gast[p.name];
    if (!rule) {
      problems.push(`EBNF rule ${p.name} is not a parser rule`);
      continue;
    }
    const written = readBody(p);
    problems.push(...written.problems);
    const parsed = readRule(rule.definition);
    if (sorted(written.rules).join() !== sorted(parsed.rules).join()) {
      problems.push(`${p.name}: the EBNF uses rules [${sorted(written.rules)}], the parser [${sorted(parsed.rules)}]`);
    }
    if (sorted(written.tokens).join(' ') !== sorted(parsed.tokens).join(' ')) {
      problems.push(`${p.name}: the EBNF uses tokens [${sorted(written.tokens).join(' ')}], the parser [${sorted(parsed.tokens).join(' ')}]`);
    }
  }
  return problems;
}

describe('grammar/handwire.ebnf and the parser', () => {
  it('have the same rule names', () => {
    const ebnfRules = productions(EBNF).filter((p) => isSyntactic(p.name)).map((p) => p.name);
    expect(sorted(ebnfRules)).toEqual(sorted(Object.keys(parserInstance.getGAstProductions())));
  });

  it('agree rule for rule on sub-rules and tokens', () => {
    expect(disagreements(EBNF)).toEqual([]);
  });

  it('every keyword of tokens.ts appears quoted in the EBNF', () => {
    const quoted = new Set(productions(EBNF).filter((p) => isSyntactic(p.name)).flatMap((p) => [...readBody(p).tokens]));
    expect(KEYWORDS.length).toBeGreaterThan(10);
    for (const k of KEYWORDS) expect(quoted, `keyword ${k.name}`).toContain(`'${literalText(k)}'`);
  });

  it('every fixed-text token (keyword or punctuation) appears quoted, and every other token has a production', () => {
    const syntactic = productions(EBNF).filter((p) => isSyntactic(p.name));
    const quoted = new Set(syntactic.flatMap((p) => [...readBody(p).tokens]));
    for (const t of ALL_TOKENS) {
      const text = literalText(t);
      if (text !== undefined) expect(quoted, `token ${t.name}`).toContain(`'${text}'`);
      else expect(Object.values(LEXICAL), `token ${t.name}`).toContain(t.name);
    }
    const lexical = productions(EBNF).filter((p) => !isSyntactic(p.name)).map((p) => p.name);
    expect(sorted(lexical)).toEqual(sorted(Object.keys(LEXICAL)));
  });

  it('every quoted terminal in a rule is exactly one token', () => {
    const problems = productions(EBNF).filter((p) => isSyntactic(p.name)).flatMap((p) => readBody(p).problems);
    expect(problems).toEqual([]);
  });

  it('notices drift: a rule added, removed or changed on one side only', () => {
    // Each edit below must make the comparison fail, or the test above could never fail.
    const added = `${EBNF}\nextraRule ::= NAME\n`;
    expect(disagreements(added)).toContain('EBNF rule extraRule is not a parser rule');
    const removed = EBNF.replace(/^indexVar\s*::=.*$/m, '');
    expect(disagreements(removed)).toContain('parser rule indexVar is missing from the EBNF');
    const changedRules = EBNF.replace("attention      ::= 'attention' settingsBlock", "attention      ::= 'attention' setting");
    expect(disagreements(changedRules).some((d) => d.startsWith('attention: the EBNF uses rules'))).toBe(true);
    const changedTokens = EBNF.replace("channelDecl    ::= NAME ( '[' NUMBER ']' )?", "channelDecl    ::= NAME ( '[' NAME ']' )?");
    expect(changedTokens).not.toBe(EBNF);
    expect(disagreements(changedTokens).some((d) => d.startsWith('channelDecl: the EBNF uses tokens'))).toBe(true);
    const notAToken = EBNF.replace("'+=' | '-='", "'+=' | '-=' | '*='");
    expect(disagreements(notAToken)).toContain("writeStmt: the terminal '*=' is not exactly one token");
  });
});
