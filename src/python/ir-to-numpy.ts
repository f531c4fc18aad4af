// IR → a self-contained Python file (numpy only) in the AdderBoard submission format:
// `build_model()` → (model, metadata) and `add(model, a, b)` → int.
//
// The forward pass is a transcription of the IR graph, one numpy line per node in graph order,
// with every constant written out as a named array literal (exact float64 decimals, cast to the
// graph's dtype as the ONNX initializers are). Decoding is a generic greedy loop (argmax of the last
// position, append, full recompute) outside the forward pass; the only task-specific code is the
// prompt encoding and answer read-back, generated from the model's task contract. Everything the
// file needs (header, parameter count, task) comes from the graph's metadata, so the IR alone is
// enough to export.
import type { TaskContract } from '../check/model.ts';
import { METADATA_KEYS } from '../ir/metadata.ts';
import type { IrConst, IrGraph, IrNode, SourceRef } from '../ir/types.ts';
import { emitNode, HELPER_ORDER, HELPER_SOURCE, UnsupportedNodeError, type HelperName, type ValueKind } from './numpy-ops.ts';
import { comment, IdentifierTable, LINE_WIDTH, nestedList, pyFloat, pyInt, pyString } from './python-literals.ts';

export interface NumpyExportOptions {
  /** The .hw source text: each node's comment then quotes its source line. */
  source?: string;
  /** The source file's name for the header (a base name keeps exports machine-independent). */
  sourceName?: string;
}

/** The graph cannot be exported (no task contract, an unsupported shape of graph or node). */
export class NumpyExportError extends Error {
  override name = 'NumpyExportError';
}

/** Names the generated module defines at top level; IR names must not shadow them. */
const MODULE_NAMES = [
  'np', 'math', 'DTYPE', 'METADATA', 'OPERANDS', 'BASE', 'PROMPT', 'DECODE_STEPS', 'ANSWER_ORDER',
  'forward', 'Model', 'build_model', 'encode_prompt', 'greedy_decode', 'read_answer', 'add',
  ...HELPER_ORDER,
];

export function irToNumpy(graph: IrGraph, opts: NumpyExportOptions = {}): string {
  const header = readHeader(graph);
  const task = readTask(graph);
  if (graph.inputs.length !== 1 || graph.inputs[0]!.elem !== 'int64') {
    throw new NumpyExportError('the numpy export needs exactly one int64 input (token ids)');
  }
  if (graph.outputs.length !== 1) throw new NumpyExportError('the numpy export needs exactly one output (logits)');

  const ids = new IdentifierTable();
  ids.reserve(...MODULE_NAMES);
  const sourceLines = opts.source?.split(/\r?\n/);
  const usedHelpers = new Set<HelperName>();
  const forwardBody = forwardLines(graph, ids, usedHelpers, sourceLines);

  const parts = [
    moduleDocstring(graph, header, opts.sourceName),
    usedHelpers.has('erf') ? 'import math\n\nimport numpy as np' : 'import numpy as np',
    `# The model's float type: every float constant and every float computation below uses it.\nDTYPE = np.${graph.dtype}`,
    metadataBlock(header),
    constantsBlock(graph, ids, sourceLines),
    HELPER_ORDER.filter((h) => usedHelpers.has(h)).map((h) => HELPER_SOURCE[h]).join('\n\n\n'),
    forwardBody,
    TASK_AND_DECODING_INTRO + taskBlock(task),
    RUNTIME_SOURCE,
  ].filter((p) => p !== '');
  return parts.join('\n\n\n') + '\n';
}

// ---------------------------------------------------------------- header and task contract

export interface Header {
  name: string;
  author: string;
  params: number;
  architecture: string;
  tricks: string[];
  source?: string;
  paramLines: string[];
}

function parseJson(graph: IrGraph, key: string): unknown {
  const text = graph.metadata[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new NumpyExportError(`the graph's metadata ${key} is not valid JSON`);
  }
}

export function readHeader(graph: IrGraph): Header {
  const about = (parseJson(graph, METADATA_KEYS.about) ?? {}) as Record<string, string | string[]>;
  const manifest = parseJson(graph, METADATA_KEYS.params) as
    | { count: number; params: { name: string; shape: number[]; count: number; values: number[]; line: number }[] }
    | undefined;
  const text = (key: string): string | undefined => {
    const v = about[key];
    return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : v;
  };
  // An explicit `params` in the header is the author's own count; otherwise every declared
  // parameter value counts (the compiler's manifest).
  const declared = text('params');
  const params = declared !== undefined && /^\d+$/.test(declared.trim()) ? Number(declared.trim()) : manifest?.count ?? 0;
  const tricks = about['tricks'];
  return {
    name: text('name') ?? graph.name,
    author: text('author') ?? 'unknown',
    params,
    architecture: text('arch') ?? text('architecture') ?? '',
    tricks: tricks === undefined ? [] : Array.isArray(tricks) ? tricks : [tricks],
    source: text('source'),
    paramLines: (manifest?.params ?? []).map((p) => {
      const list = p.values.map(pyFloat);
      const shown = p.shape.length === 0 ? list[0] : p.values.length <= 12 ? `[${list.join(', ')}]` : `${p.count} values`;
      return `${p.name}${p.shape.length ? ` [${p.shape.join('×')}]` : ''} = ${shown}   (.hw line ${p.line})`;
    }),
  };
}

function readTask(graph: IrGraph): TaskContract {
  const task = parseJson(graph, METADATA_KEYS.task) as TaskContract | undefined;
  if (!task) throw new NumpyExportError('the model has no task block, so there is no prompt format or answer to export');
  if (task.operands.length !== 2) {
    throw new NumpyExportError(`AdderBoard's add(model, a, b) takes two operands; task ${task.name} has ${task.operands.length}`);
  }
  return task;
}

function moduleDocstring(graph: IrGraph, h: Header, sourceName: string | undefined): string {
  const lines = [
    `${h.name} by ${h.author}: an AdderBoard submission (numpy only).`,
    '',
    ...(h.architecture ? [h.architecture, ''] : []),
    `Exported by handwire (\`handwire export FILE --format numpy-graph\`) from ${sourceName ?? `model ${graph.name}`}${h.source ? `, after ${h.source}` : ''}.`,
    `forward() is the compiled graph transcribed node by node (token ids [batch, seq] in, logits`,
    `[batch, seq, vocab] out, computed in ${graph.dtype}); each constant is written out in full. Answers`,
    'come from generic greedy decoding: argmax at the last position, append, recompute the whole',
    'sequence. Only the prompt encoding and the answer read-back are specific to the task.',
  ];
  if (h.paramLines.length) lines.push('', `Parameters (${h.params} counted):`, ...h.paramLines.map((l) => `    ${l}`));
  return `"""${lines.map(docstringSafe).join('\n')}\n"""`;
}

export function docstringSafe(line: string): string {
  return line.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
}

/** Items joined by ", ", as many to a line as fit; the first line starts after `indent` columns of
 * other text, the others are indented by as much. Each line but the last ends without its comma. */
function wrapItems(items: readonly string[], indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line !== '' && indent + line.length + 2 + item.length + 2 > LINE_WIDTH) {
      lines.push(line);
      line = item;
    } else line = line === '' ? item : `${line}, ${item}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : ' '.repeat(indent) + l));
}

export function metadataBlock(h: Header): string {
  const tricks = h.tricks.map(pyString);
  const inline = `    "tricks": [${tricks.join(', ')}],`;
  return [
    'METADATA = {  # what AdderBoard prints about the submission (from the .hw `about` block)',
    `    "name": ${pyString(h.name)}, "author": ${pyString(h.author)}, "params": ${h.params},`,
    `    "architecture": ${pyString(h.architecture)},`,
    // The tricks on one line when they fit, else several to a line.
    inline.length <= LINE_WIDTH ? inline : `    "tricks": [${wrapItems(tricks, '    "tricks": ['.length).join(',\n')}],`,
    '}',
  ].join('\n');
}

export function taskBlock(task: TaskContract): string {
  return [
    `OPERANDS = [${task.operands.map((o) => `(${pyString(o.name)}, ${o.digits})`).join(', ')}]  # (name, digits) in add()'s order, from \`task ${task.name}\``,
    `BASE = ${task.base}`,
    '# Per prompt position: ("token", t) is the fixed token t, ("digit", x, i) the digit of BASE**i in x.',
    `PROMPT = ${promptExpr(task.prompt)}`,
    `DECODE_STEPS = ${task.decode}`,
    `ANSWER_ORDER = ${pyString(task.answer)}  # the generated digits, ${task.answer === 'lsb' ? 'least' : 'most'} significant first`,
  ].join('\n');
}

/** The prompt as runs, the way one would write it by hand: a fixed token repeated k times is
 * `[("token", t)] * k`, consecutive places of one operand are a comprehension over a range. A
 * 31-entry AdderBoard prompt is then five terms, not six rows of tuples. */
function promptExpr(prompt: TaskContract['prompt']): string {
  const terms: string[] = [];
  for (let i = 0; i < prompt.length; ) {
    const s = prompt[i]!;
    let j = i + 1;
    if (s.kind === 'token') {
      while (j < prompt.length && prompt[j]!.kind === 'token' && (prompt[j] as typeof s).token === s.token) j++;
      terms.push(`[("token", ${s.token})]${j - i > 1 ? ` * ${j - i}` : ''}`);
    } else {
      const next = prompt[j];
      const step = next?.kind === 'digit' && next.operand === s.operand && Math.abs(next.place - s.place) === 1 ? next.place - s.place : 0;
      if (step !== 0) {
        while (j < prompt.length) {
          const d = prompt[j]!;
          if (d.kind !== 'digit' || d.operand !== s.operand || d.place !== s.place + (j - i) * step) break;
          j++;
        }
      }
      const op = pyString(s.operand);
      if (j - i === 1) terms.push(`[("digit", ${op}, ${s.place})]`);
      else {
        const end = s.place + (j - i) * step;
        const range = step === 1 ? (s.place === 0 ? `range(${end})` : `range(${s.place}, ${end})`) : `range(${s.place}, ${end}, -1)`;
        terms.push(`[("digit", ${op}, i) for i in ${range}]`);
      }
    }
    i = j;
  }
  if (terms.length === 0) return '[]';
  const lines: string[] = [];
  let line = '';
  for (const t of terms) {
    const piece = line === '' ? t : ` + ${t}`;
    if (line !== '' && 4 + line.length + piece.length + 2 > LINE_WIDTH) {
      lines.push(line + ' +');
      line = t;
    } else line += piece;
  }
  lines.push(line);
  return lines.length === 1 ? lines[0]! : `(\n    ${lines.join('\n    ')}\n)`;
}

// ---------------------------------------------------------------- constants

function constantsBlock(graph: IrGraph, ids: IdentifierTable, sourceLines: string[] | undefined): string {
  const intro = comment(
    "Constants of the compiled graph, one per IR constant. Float values are the compiler's float64 " +
      'values written as shortest round-trip decimals and cast to DTYPE, exactly as the ONNX ' +
      'initializers are; -np.inf in a score table excludes that key.',
    0,
  );
  const blocks = graph.consts.map((c) => {
    const notes = [c.role, c.doc, sourceNote(c.source, sourceLines)].filter((s): s is string => !!s);
    const name = ids.get(c.name);
    const lead = `${name} = `;
    return [...comment(`${c.name}: ${notes.join('; ')}`, 0), lead + constExpr(c, lead.length)].join('\n');
  });
  return [intro.join('\n'), ...blocks].join('\n\n');
}

function constExpr(c: IrConst, indent: number): string {
  const size = c.shape.reduce((a, b) => a * b, 1);
  if (c.data.length !== size) throw new NumpyExportError(`constant ${c.name}: shape [${c.shape.join(', ')}] needs ${size} values, has ${c.data.length}`);
  const dtype = c.elem === 'int64' ? 'np.int64' : 'DTYPE';
  if (size === 0) return `np.zeros(${tupleText(c.shape)}, dtype=${dtype})`;
  const values = Array.from(c.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? pyInt(v) : c.elem === 'int64' ? pyInt(v) : pyFloat(v)));
  const body = nestedList(values, c.shape, indent + 'np.array('.length);
  return `np.array(${body}, dtype=${dtype})`;
}

function tupleText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function sourceNote(source: SourceRef | undefined, sourceLines: string[] | undefined): string | undefined {
  if (!source) return undefined;
  const text = sourceLines?.[source.line - 1]?.trim();
  return text ? `.hw line ${source.line}: ${text}` : `.hw line ${source.line}`;
}

// ---------------------------------------------------------------- forward pass

function forwardLines(graph: IrGraph, ids: IdentifierTable, usedHelpers: Set<HelperName>, sourceLines: string[] | undefined): string {
  const kinds = new Map<string, ValueKind>();
  const intValues = new Map<string, string>();
  const intConsts = new Map<string, number[]>();
  for (const c of graph.consts) {
    kinds.set(c.name, c.elem === 'int64' ? 'int64' : 'float');
    if (c.elem === 'int64' && c.shape.length === 1) intConsts.set(c.name, Array.from(c.data as BigInt64Array, Number));
    if (c.elem === 'int64' && c.data.length <= 8) intValues.set(c.name, `[${Array.from(c.data as BigInt64Array, String).join(', ')}]`);
  }
  const input = graph.inputs[0]!;
  kinds.set(input.name, 'int64');
  const ctx = {
    id: (v: string) => ids.get(v),
    kind: (v: string) => {
      const k = kinds.get(v);
      if (k === undefined) throw new NumpyExportError(`value '${v}' is used before it is defined`);
      return k;
    },
    helper: (h: HelperName) => {
      usedHelpers.add(h);
      return h;
    },
    intConst: (v: string) => intConsts.get(v),
  };

  const inputId = ids.get(input.name);
  const pad = ' '.repeat(8);
  const body: string[] = [];
  // A .hw line usually lowers to several nodes in a row: it is quoted once, above the first.
  let lastSourceLine: number | undefined;
  for (const node of graph.nodes) {
    let emitted;
    try {
      emitted = emitNode(node, ctx);
    } catch (e) {
      if (e instanceof UnsupportedNodeError) throw new NumpyExportError(e.message);
      throw e;
    }
    const out = node.outputs[0]!;
    kinds.set(out, emitted.kind);
    if (node.source && node.source.line !== lastSourceLine) {
      body.push(...comment(sourceNote(node.source, sourceLines)!, 8));
      lastSourceLine = node.source.line;
    }
    const note = nodeNote(node, intValues);
    if (note) body.push(...comment(note, 8));
    body.push(`${pad}${ids.get(out)} = ${emitted.expr}`);
  }
  const output = graph.outputs[0]!;
  if (!kinds.has(output.name)) throw new NumpyExportError(`graph output '${output.name}' is never produced`);
  const shapeText = (s: IrGraph['inputs'][number]['shape']) => `[${s.join(', ')}]`;
  return [
    `def forward(${inputId}):`,
    `    """Token ids ${shapeText(input.shape)} (integers) -> ${output.name} ${shapeText(output.shape)} (DTYPE).`,
    '',
    '    The compiled graph, one line per node in graph order; each comment gives the node\'s note',
    '    and the .hw line it came from."""',
    `    ${inputId} = np.asarray(${inputId}, dtype=np.int64)`,
    '    # IEEE results (inf from exp overflow, 0 from underflow) as ONNX Runtime gives them, without warnings.',
    '    with np.errstate(all="ignore"):',
    ...body,
    `    return ${ids.get(output.name)}`,
  ].join('\n');
}

/** The node's own note and the values of the small int constants it reads (shapes, axes). */
function nodeNote(node: IrNode, intValues: Map<string, string>): string {
  const parts: string[] = [];
  if (node.doc) parts.push(node.doc);
  // Axes of these ops are written inline in the code line already.
  const inlined = node.op === 'ReduceSum' || node.op === 'Unsqueeze' || node.op === 'Squeeze';
  const consts = inlined ? [] : [...new Set(node.inputs.filter((i) => intValues.has(i)))].map((i) => `${i} = ${intValues.get(i)}`);
  if (consts.length) parts.push(consts.join(', '));
  return parts.join('; ');
}

// ---------------------------------------------------------------- generic runtime

const TASK_AND_DECODING_INTRO = `# ---------------------------------------------------------------- task contract and decoding
`;

const RUNTIME_SOURCE = `class Model:
    """The network as AdderBoard sees it: calling it maps token ids to logits."""

    def __call__(self, input_ids):
        return forward(input_ids)


def build_model():
    return Model(), dict(METADATA)


def encode_prompt(operands):
    """The prompt for the given operand values, one token per PROMPT entry."""
    tokens = []
    for slot in PROMPT:
        if slot[0] == "token":
            tokens.append(slot[1])
        else:
            _, name, place = slot
            tokens.append(operands[name] // BASE**place % BASE)
    return tokens


def greedy_decode(model, prompt, steps):
    """Generic greedy decoding by full recompute: run the whole sequence, append the argmax of the
    last position's logits (the lowest token on a tie), repeat. Returns the generated tokens."""
    tokens = list(prompt)
    for _ in range(steps):
        last = model(np.array([tokens], dtype=np.int64))[0, -1]
        if np.isnan(last).any():
            raise FloatingPointError("NaN logit after %d tokens" % len(tokens))
        tokens.append(int(np.argmax(last)))
    return tokens[len(prompt):]


def read_answer(generated):
    """The generated digits as an integer."""
    digits = generated if ANSWER_ORDER == "msb" else generated[::-1]
    value = 0
    for d in digits:
        if not 0 <= d < BASE:
            raise ValueError("generated token %d is not a digit" % d)
        value = value * BASE + d
    return value


def add(model, a, b):
    operands = {}
    for (name, digits), value in zip(OPERANDS, (a, b)):
        value = int(value)
        if not 0 <= value < BASE**digits:
            raise ValueError("%s = %d does not fit in %d digits" % (name, value, digits))
        operands[name] = value
    return read_answer(greedy_decode(model, encode_prompt(operands), DECODE_STEPS))`;
