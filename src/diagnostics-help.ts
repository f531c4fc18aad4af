// The long form of every diagnostic code: what the problem is, why handwire refuses it, and an
// example of the mistake with its fix. `handwire explain HWnnn` prints an entry, and
// docs/diagnostics.md is generated from all of them (scripts/diagnostics-doc.ts; a test keeps it
// current). Codes, severities and titles stay in diagnostics.ts, which every stage loads; these
// texts are only read when a person asks, so they live apart.
//
// Each example is a fragment of a model: `wrong` in place of `right`. test/diagnostics-help.test.ts
// puts both into one small model and checks that `wrong` gives the code and `right` does not.
import { DIAGNOSTICS, type DiagnosticCode, type Severity } from './diagnostics.ts';
import { LIMITS } from './limits.ts';

export interface DiagnosticHelp {
  explanation: string;
  /** A mistake and its fix, as model fragments; absent for a code no source text can cause. */
  example?: { wrong: string; right: string };
}

export const DIAGNOSTIC_HELP: Record<DiagnosticCode, DiagnosticHelp> = {
  HW001: {
    explanation:
      'The lexer met text that is no token of the language: a character handwire does not use (`$`, `@`, a non-ASCII letter), ' +
      'a string without its closing quote, or a malformed number such as `1e` or `1.2.3`. Names are ASCII letters, digits and `_`; ' +
      'an exponent needs digits (`1e-6`), and `2 e` with a space multiplies by the constant e.',
    example: { wrong: 'param w = 3 $', right: 'param w = 3' },
  },
  HW002: {
    explanation:
      'The tokens do not fit the grammar (grammar/handwire.ebnf): a missing `=`, `}` or `]`, an operator without an operand, ' +
      'or an item the model does not have. The message says what was expected and what was found; several syntax errors are ' +
      'reported in one run. A formula nested so deeply that the parser cannot follow it is reported here too: split it into `let`s.',
    example: { wrong: 'let theta 2 pi / sqrt(361)', right: 'let theta = 2 pi / sqrt(361)' },
  },
  HW003: {
    explanation:
      'An item that a model (or a block) has at most once is given twice: `vocab`, `residual`, `embed`, `head`, `task`, or a ' +
      'setting such as `heads` in one attention block. handwire does not guess which one you meant; keep one.',
    example: { wrong: 'head tied E\n  head tied E', right: 'head tied E' },
  },
  HW010: {
    explanation:
      'A formula reads a name that is not defined: no `param`, `let`, function parameter, built-in constant (`pi`, `e`, `tau`, `inf`) ' +
      'or, in a projection, residual channel of that name. Names are defined before they are used. For a write, the target ' +
      'must be a residual channel. The hint suggests the closest defined name.',
    example: { wrong: 'v = [wv digit, 0]', right: 'v = [w digit, 0]' },
  },
  HW011: {
    explanation:
      'One name is defined twice: two declarations, two residual channels, two parameters of one function, two task inputs, ' +
      'or a declaration that reuses a residual channel name. `x`, `out` and `h` cannot name channels: projections use them ' +
      'for their whole input.',
    example: { wrong: 'residual [big, digit, big]', right: 'residual [big, digit]' },
  },
  HW012: {
    explanation:
      'A function is called with the wrong number of arguments: a built-in (`sqrt` takes one, `atan2` two) or a function you ' +
      'defined with `let f(a, b) = …`. `rope` takes the position and optionally the pair index; a score `bias` takes the head, ' +
      'query and key position.',
    example: { wrong: 'let theta = 2 pi / sqrt(361, 2)', right: 'let theta = 2 pi / sqrt(361)' },
  },
  HW013: {
    explanation:
      'Two sizes that must agree do not. A projection must give as many outputs as its block needs (`q`: heads × dim, `k`: ' +
      'kv_heads × dim, `v`: kv_heads × value_dim), an embedding row one entry per residual channel, a norm weight one per value ' +
      'it normalises; vectors added or multiplied must have fitting shapes. The message names both sizes, and the related ' +
      'notes point at the settings the needed size comes from.',
    example: { wrong: 'q = [big, 0, 0]', right: 'q = [big, 0]' },
  },
  HW014: {
    explanation:
      'A value that must be a finite number is infinite or NaN: a parameter, an embedding or position entry, a RoPE angle, a ' +
      'norm weight or a projection coefficient. Overflow (`1e308 * 10`) and logarithms of 0 are the usual causes. Only a ' +
      'score bias may be `-inf` (a key that is never attended to), and only a head bias may give a token `-inf`.',
    example: { wrong: 'embed E[d] = [1, ln(d)]', right: 'embed E[d] = [1, ln(d + 1)]' },
  },
  HW015: {
    explanation:
      'A formula divides by zero (or takes a remainder modulo zero) for some value it is evaluated at. Tables such as `embed`, ' +
      '`position`, `rope` and `bias` are evaluated at every index, so a divisor that is 0 at index 0 is reported too. The span ' +
      'is the divisor.',
    example: { wrong: 'let f(p) = theta / p', right: 'let f(p) = theta / (p + 1)' },
  },
  HW016: {
    explanation:
      'A size or count written in the model is zero, negative, or over the limit handwire sets so that checking and ' +
      `compiling stay within time and memory: \`vocab\` 1..${LIMITS.vocab}, a channel group up to ${LIMITS.channels} ` +
      `channels, \`context\` 1..${LIMITS.context}, \`heads\`, \`kv_heads\`, \`dim\`, \`value_dim\` and \`width\` 1..${LIMITS.headsTimesDim}, ` +
      `a \`repeat\` count 1..${LIMITS.layers}, and in a task 1..15 digits per input, string lengths up to ` +
      '100000, prompt repeats and `decode` 1..10000. The number itself is refused: change it. A size computed from several ' +
      'numbers that are each in range is HW029.',
    example: { wrong: 'heads 0, dim 2', right: 'heads 1, dim 2' },
  },
  HW017: {
    explanation:
      'A `param` is declared but nothing reads it. It is a warning, not an error: the model still compiles. It matters because ' +
      'the parameter audit counts every declared parameter, so an unused one inflates the total; remove it, or use it.',
    example: { wrong: 'param w = 3\n  param spare = 5', right: 'param w = 3' },
  },
  HW018: {
    explanation:
      'A projection (`q`, `k`, `v`, `in`, `gate`, `up`, `head`) or a write must be an affine map of its inputs: it may add ' +
      'inputs and scale them by numbers, plus a constant. handwire reads the matrix off the formula and then checks it on two ' +
      'probe inputs; products of two inputs, powers of an input or functions of it (`big^2`, `big digit`, `exp(big)`) are ' +
      'not linear and cannot be a matrix multiplication.',
    example: { wrong: 'q = [big^2, 0]', right: 'q = [big, 0]' },
  },
  HW019: {
    explanation:
      'A setting, activation, norm argument or head form has a name handwire does not know, usually a typo. The hint lists the ' +
      'closest known name, or all of them: attention takes heads, kv_heads, dim, value_dim, pre, q, k, v, qk_norm, q_norm, ' +
      'k_norm, rope, scale, causal, bias and softmax1; an mlp takes pre, act, width, in, gate and up.',
    example: { wrong: 'act rleu', right: 'act relu' },
  },
  HW020: {
    explanation:
      'Something the model needs is not there: `vocab`, `residual`, `embed` or `head` at the top level, `dim` or a projection ' +
      'in an attention block, `act` or `in` in an mlp, a write in a block, or a context length for a position table, RoPE or ' +
      'a score bias (a task or `context N` gives one).',
    example: { wrong: 'heads 1\n      q = [big, 0]', right: 'heads 1, dim 2\n      q = [big, 0]' },
  },
  HW021: {
    explanation:
      'A value has the wrong kind for where it is used: a true/false value where a number is needed, a function used as a ' +
      'value, a complex result (`sqrt(-1)`), a fractional count, or a setting written in the wrong form (`act = relu` instead ' +
      'of `act relu`; projections are written with `=`).',
    example: { wrong: 'act = relu', right: 'act relu' },
  },
  HW022: {
    explanation: 'The model names a float type handwire cannot compile to. `dtype` is `float32` (the default) or `float64`.',
    example: { wrong: 'dtype float16', right: 'dtype float32' },
  },
  HW023: {
    explanation:
      'A formula calls a function that is neither a built-in (sqrt, exp, ln, log, sin, cos, atan2, abs, min, max, sum, dot, ' +
      'zeros, ones, …) nor one defined ' +
      'with `let f(x) = …`. The hint suggests the closest known name.',
    example: { wrong: 'let theta = 2 pi / sqr(361)', right: 'let theta = 2 pi / sqrt(361)' },
  },
  HW024: {
    explanation:
      'An index or slice is outside what it indexes: `v[i]` needs 0 ≤ i < length, `v[i:j]` needs 0 ≤ i < j ≤ length, and a ' +
      'channel group `g[i]` only has the channels it was declared with. Block outputs are `out` (attention) and `h` (mlp).',
    example: { wrong: 'write digit += out[5]', right: 'write digit += out[0]' },
  },
  HW025: {
    explanation:
      'Settings that are each valid contradict each other: heads not a multiple of kv_heads, RoPE on an odd head dim, both ' +
      '`qk_norm` and `q_norm`/`k_norm`, an mlp with both `in` and `gate`/`up`, a channel written twice in one write, a score ' +
      'bias that excludes every key of a query, or a `context` shorter than the task needs (prompt + decode − 1).',
    example: { wrong: 'context 4', right: 'context 8' },
  },
  HW026: {
    explanation:
      'The task block does not describe a task handwire can run. A digit task: inputs are written `input a, b: 10 digits`, ' +
      'the prompt lists token numbers, token names and inputs with a digit order (`a lsb`, `b msb`), `decode` says how many ' +
      'tokens are generated, `answer` is lsb or msb, and `expect` is the right answer as a formula of the inputs; the ' +
      'vocabulary must hold the digits 0..9. A token-string task: inputs are written `input s: ["0", "1"] length 1..12` over ' +
      'named tokens, the prompt places each string by its name (`prompt ["BOS", s]`), `answer` is `tokens` (generated, with ' +
      '`decode N` and optionally `stop "EOS"`), `class` (the last position) or `each` (every input position), and the right ' +
      'answer is `expect FORMULA` or `data "FILE"`.',
    example: { wrong: 'answer middle', right: 'answer lsb' },
  },
  HW027: {
    explanation:
      'A line of a dataset file (`data "FILE"` in the task, or `verify --dataset FILE`) is not a case of the task: each line ' +
      'is `input -> output` (or `IN: input OUT: output`, as SCAN writes it) with token names separated by spaces; the input ' +
      'must be in the input\'s alphabet and length range, and the output one token for `answer class`, one label per input ' +
      'token for `answer each`. Blank lines and lines starting with # are skipped. Nothing is run when a line is malformed. ' +
      'For example `0 1 1 => 0` is refused; `0 1 1 -> 0` is a line.',
  },
  HW028: {
    explanation:
      'A vocabulary of named tokens lists none (`vocab []`), or a string input of a task has an empty alphabet ' +
      '(`input s: [] length 1..4`). A model needs at least one token to embed and predict, and an input needs at least ' +
      'one token to be made of. Name the tokens, or write the vocabulary as a count (`vocab 10`).',
    example: { wrong: 'vocab []', right: 'vocab 10' },
  },
  HW029: {
    explanation:
      'Each number is within its own range, but a size handwire computes from several of them is over a limit: ' +
      `residual channels in all up to ${LIMITS.channels}, layers in all (a \`repeat\` count × the layers it repeats) up ` +
      `to ${LIMITS.layers}, heads × dim (and heads × value_dim) up to ${LIMITS.headsTimesDim}, the hidden units an mlp's ` +
      `maps give it when \`width\` is not written up to ${LIMITS.headsTimesDim}, a task's prompt up to 10000 tokens and ` +
      `its prompt + decode − 1 positions up to the context limit of ${LIMITS.context}, and every table that is built ` +
      '(the embedding, vocab × channels; a causal mask or score bias, heads × context²; a projection matrix, outputs × ' +
      `inputs) up to ${LIMITS.tableEntries} entries. The size is refused before anything is allocated. Make one of its ` +
      'factors smaller: fewer heads, a shorter context, a smaller vocabulary.',
    example: { wrong: 'context 8192', right: 'context 8' },
  },
  HW030: {
    explanation:
      'A formula would build a value too large to hold while checking: a vector or matrix of more than 10,000,000 ' +
      'entries (`zeros(1e6, 1e6)`, an outer product of two long vectors), a range of over a million items, or nested ' +
      'ranges whose product runs over 10,000,000 steps. It is refused before the value is built. Tables the model needs ' +
      'are evaluated one entry at a time (`embed E[d] = …`), so a formula rarely needs to build a whole table itself.',
    example: { wrong: 'let T = [[i j for i in 0..9999] for j in 0..9999]', right: 'let T = [[i j for i in 0..99] for j in 0..99]' },
  },
  HW031: {
    explanation:
      'Evaluating a formula went too deep: it nests more than 1000 levels deep (a chain of thousands of operators, such ' +
      'as `1 + 1 + … + 1`), or user functions call each other more than 200 deep, which is nearly always a function ' +
      'that calls itself with no case that stops. Split a long formula into several `let`s, and give a recursive ' +
      'function a condition that ends it, or write it without recursion.',
    example: { wrong: 'let f(p) = f(p + 1) / (p + 1)', right: 'let f(p) = theta / (p + 1)' },
  },
  HW099: {
    explanation:
      'handwire itself failed while parsing or checking: this is a bug in handwire, not a mistake in the model. Please report ' +
      'it with the source file. No source text is meant to cause it; the tests feed the checker broken and mutated files to ' +
      'make sure of that.',
  },
};

/** One entry as text, for the terminal (`handwire explain`). */
export function explainText(code: DiagnosticCode): string {
  const d: { severity: Severity; title: string } = DIAGNOSTICS[code];
  const help = DIAGNOSTIC_HELP[code];
  const lines = [`${code} ${d.title} (${d.severity})`, '', ...wrap(help.explanation, 78)];
  if (help.example) {
    const indent = (s: string) => s.split('\n').map((l) => `    ${l.trimStart()}`);
    lines.push('', 'For example, this:', ...indent(help.example.wrong), 'is fixed by:', ...indent(help.example.right));
  }
  return `${lines.join('\n')}\n`;
}

/** docs/diagnostics.md: every entry, in code order. */
export function diagnosticsMarkdown(): string {
  const out = [
    '# Diagnostics',
    '',
    '<!-- Generated from src/diagnostics-help.ts by `npm run docs:diagnostics`: edit that file, not this one. -->',
    '',
    'Every problem handwire reports has a stable code. `handwire explain HWnnn` prints the entry for one code in the terminal.',
    'Examples are fragments of a model: the first block is the mistake, the second its fix.',
    '',
    '| code | severity | title |',
    '| --- | --- | --- |',
    ...codes().map((c) => `| [${c}](#${c.toLowerCase()}) | ${DIAGNOSTICS[c].severity} | ${DIAGNOSTICS[c].title} |`),
  ];
  for (const c of codes()) {
    const help = DIAGNOSTIC_HELP[c];
    out.push('', `## ${c}`, '', `**${DIAGNOSTICS[c].title}** (${DIAGNOSTICS[c].severity})`, '', help.explanation);
    if (help.example) {
      const block = (s: string) => ['```', ...s.split('\n').map((l) => l.trimStart()), '```'];
      out.push('', 'Wrong:', '', ...block(help.example.wrong), '', 'Fixed:', '', ...block(help.example.right));
    }
  }
  return `${out.join('\n')}\n`;
}

function codes(): DiagnosticCode[] {
  return (Object.keys(DIAGNOSTICS) as DiagnosticCode[]).sort();
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
