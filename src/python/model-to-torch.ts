// CheckedModel → a self-contained Python file with a PyTorch `nn.Module` of the design.
//
// Unlike the numpy export (a transcription of the IR graph), this one follows the checked model:
// one submodule per thing the .hw file declares (embedding, position table, each layer's attention
// and MLP with their norms, the final norm, the head), holding the design's own matrices, unfolded
// (norm weights, biases and the score scale stay where the .hw file puts them; the IR folds them
// into the projections). Names are the usual ones (`blocks.0.attn.q_proj.weight`), and identity
// submodules mark the values one wants to hook (`blocks.0.attn.scores`, `.pattern`, `mlp.act`).
//
// The weights are written into the file as Python float literals (the shortest decimal that
// round-trips each float64, which Python parses back to the same double) and loaded with
// load_state_dict, so the file is all there is and no pickle is involved. The computations are
// written as the IR lowers them (explicit norm formula, softmax1, silu and gelu from elementary
// ops) so that float64 results agree with onnxruntime's to rounding.
import type { AffineMap, AttentionSpec, CheckedModel, ComponentSpec, LengthExpr, MlpSpec, NormSpec } from '../check/model.ts';
import type { FloatDType } from '../ir/types.ts';
import { modelMetadata } from '../ir/metadata.ts';
import type { Span } from '../syntax/ast.ts';
import { docstringSafe, metadataBlock, readHeader, taskBlock } from './ir-to-numpy.ts';
import { comment, nestedList, pyFloat, pyString } from './python-literals.ts';

export interface TorchExportOptions {
  /** The float type build_model() uses by default (the design's own when absent). */
  dtype?: FloatDType;
  /** The .hw source text: module comments quote their source lines. */
  source?: string;
  /** The source file's name for the header. */
  sourceName?: string;
}

/** A float64 as a Python float literal, exact; `inf` and `nan` are names the generated file defines. */
function lit(v: number): string {
  return pyFloat(v).replace(/np\./g, '');
}

interface Weight {
  key: string;
  shape: number[];
  data: ArrayLike<number>;
}

interface Emit {
  weights: Weight[];
  /** Module paths that are the same module object as an earlier path (a repeated layer). */
  shared: [string, string][];
  sourceLines?: string[];
}

export function modelToTorch(model: CheckedModel, opts: TorchExportOptions = {}): string {
  const dtype = opts.dtype ?? model.dtype;
  const header = readHeader({ name: model.name, metadata: modelMetadata(model, dtype) } as Parameters<typeof readHeader>[0]);
  const e: Emit = { weights: [], shared: [], sourceLines: opts.source?.split(/\r?\n/) };

  const build = buildModelCode(model, e);
  const task = model.task;
  const parts = [
    docstring(model, header, dtype, opts.sourceName),
    'import math\n\nimport torch\nfrom torch import nn',
    [
      `# The default float type of build_model(); every weight below is an exact float64 literal, cast`,
      `# once (round to nearest) when it is loaded, as the ONNX initializers are.`,
      `DTYPE = torch.${dtype}`,
      'inf = math.inf',
      'nan = math.nan',
    ].join('\n'),
    metadataBlock(header),
    LIBRARY_SOURCE,
    build,
    weightsBlock(e),
    LOADER_SOURCE,
    ...(task ? [TASK_INTRO + taskBlock(task), TASK_SOURCE + (task.operands.length === 2 ? ADD_SOURCE : '')] : []),
  ];
  return parts.join('\n\n\n') + '\n';
}

function docstring(model: CheckedModel, h: ReturnType<typeof readHeader>, dtype: FloatDType, sourceName: string | undefined): string {
  const lines = [
    `${h.name} by ${h.author}: a PyTorch module (handwire \`export --format torch\`).`,
    '',
    ...(h.architecture ? [h.architecture, ''] : []),
    `Exported from ${sourceName ?? `model ${model.name}`}${h.source ? `, after ${h.source}` : ''}. build_model() returns`,
    `(model, metadata); model(input_ids [batch, seq]) gives logits [batch, seq, ${model.vocab}] in ${dtype}`,
    `unless build_model(dtype=...) says otherwise. Submodules mirror the .hw file:`,
    '    embed, position (buffer), blocks[i].attn / .mlp (with pre_norm, q_proj, k_proj, v_proj,',
    '    scores, pattern, o_proj / in_proj or gate_proj and up_proj, act, down_proj), final_norm, head.',
    'The weights are the literals in WEIGHTS below (exact float64 decimals).',
  ];
  if (model.task) {
    lines.push('', model.task.operands.length === 2
      ? 'add(model, a, b) answers the task by greedy decoding, as AdderBoard calls it.'
      : 'solve(model, *operands) answers the task by greedy decoding.');
  }
  if (h.paramLines.length) lines.push('', `Parameters (${h.params} counted):`, ...h.paramLines.map((l) => `    ${l}`));
  return `"""${lines.map(docstringSafe).join('\n')}\n"""`;
}

// ---------------------------------------------------------------- the model's structure

function sourceComment(span: Span | undefined, e: Emit, indent: number): string[] {
  if (!span) return [];
  const text = e.sourceLines?.[span.line - 1]?.trim();
  return comment(text ? `.hw line ${span.line}: ${text}` : `.hw line ${span.line}`, indent);
}

function buildModelCode(model: CheckedModel, e: Emit): string {
  const body: string[] = [];
  const pad = '        ';
  body.push(`${pad}self.embed = _embedding(${model.vocab}, ${model.dModel})  # ${model.embeddingName}: token → [${model.channels.join(', ')}]`);
  e.weights.push({ key: 'embed.weight', shape: [model.vocab, model.dModel], data: model.embedding.data });
  if (model.position) {
    body.push(`${pad}self.register_buffer("position", torch.zeros(${model.context}, ${model.dModel}))  # fixed table, context × channels`);
    e.weights.push({ key: 'position', shape: [model.context, model.dModel], data: model.position.data });
  } else {
    body.push(`${pad}self.position = None`);
  }
  // Position channels that read N: the fixed table holds their values at N = context; forward
  // replaces those columns with the formula computed at the run's length.
  const columns = model.positionLength ?? [];
  const formulas = columns.map(({ channel, expr }) => `${pyString(String(channel))}: ${lengthCtor(expr, [model.context], `position_length.${channel}`, e)}`);
  body.push(formulas.length ? `${pad}self.position_length = nn.ModuleDict({${formulas.join(', ')}})  # channel: its formula of N` : `${pad}self.position_length = {}  # no position channel reads N`);

  // A repeated layer holds the same component objects as its first copy: build them once.
  const built = new Map<ComponentSpec, { variable: string; path: string }>();
  const blockLines: string[] = [];
  model.layers.forEach((layer, li) => {
    const names: string[] = [];
    const entries: string[] = [];
    layer.components.forEach((comp, ci) => {
      const kind = comp.kind === 'attention' ? 'attn' : 'mlp';
      const name = layer.components.filter((c) => c.kind === comp.kind).length > 1 ? `${kind}${ci}` : kind;
      const path = `blocks.${li}.${name}`;
      names.push(name);
      const known = built.get(comp);
      if (known) {
        e.shared.push([path, known.path]);
        entries.push(`(${pyString(name)}, ${known.variable})`);
        return;
      }
      const variable = `${layer.name.replace(/[^A-Za-z0-9_]/g, '_')}_${name}`;
      built.set(comp, { variable, path });
      blockLines.push(...sourceComment(comp.span, e, 8));
      blockLines.push(`${pad}${variable} = ${comp.kind === 'attention' ? attentionCtor(model, comp, path, e) : mlpCtor(model, comp, path, e)}`);
      entries.push(`(${pyString(name)}, ${variable})`);
    });
    blockLines.push(`${pad}blocks.append(Block(${pyString(layer.name)}, [${entries.join(', ')}]))`);
  });
  body.push(`${pad}blocks = []`, ...blockLines, `${pad}self.blocks = nn.ModuleList(blocks)`);
  // `repeat … until`: the blocks above list every application (at most `times`); forward runs them
  // with the halting test before each one. A plain repeat needs nothing: its copies just run.
  const halting = (model.loops ?? []).filter((l) => l.halt);
  const loopEntries = halting.map((l, i) => {
    e.weights.push({ key: `halts.${i}.weight`, shape: [model.dModel, 1], data: l.halt!.weight });
    return `${l.start}: (${l.length}, ${l.times}, ${i})`;
  });
  for (const l of halting) body.push(...sourceComment(l.span, e, 8));
  const halts = halting.map((l) => `Halt(${model.dModel}, ${lit(l.halt!.bias)}, ${l.halt!.strict ? 'True' : 'False'})`);
  body.push(halts.length ? `${pad}self.halts = nn.ModuleList([${halts.join(', ')}])` : `${pad}self.halts = []  # no \`repeat … until\``);
  body.push(`${pad}self.loops = {${loopEntries.join(', ')}}  # first block: (blocks per application, most applications, halt)`);
  body.push(...sourceComment(spanOf(model.final), e, 8));
  body.push(`${pad}self.final_norm = ${normCtor(model.final, model.dModel, 'final_norm', e)}`);
  body.push(...sourceComment(model.head.span, e, 8));
  body.push(`${pad}self.head = ${linearCtor(model.head, 'head', e)}`);

  return [
    'class Transformer(nn.Module):',
    `    """${docstringSafe(model.name)}: ids [batch, seq] → embed (+ position) → blocks → final_norm → head → logits."""`,
    '',
    '    def __init__(self):',
    '        super().__init__()',
    `        self.vocab, self.d_model, self.context = ${model.vocab}, ${model.dModel}, ${model.context}`,
    `        self.channels = [${model.channels.map(pyString).join(', ')}]`,
    ...body,
    '',
    '    def forward(self, input_ids):',
    '        x = self.embed(input_ids)',
    '        seq = input_ids.shape[1]',
    '        if self.position is not None:',
    '            position = self.position[:seq]',
    '            if len(self.position_length):  # the channels that read N, at this run\'s length',
    '                position = position.clone()',
    '                for channel, formula in self.position_length.items():',
    '                    position[:, int(channel)] = formula(seq, position)',
    '            x = x + position',
    '        i = 0',
    '        while i < len(self.blocks):',
    '            if i not in self.loops:',
    '                x = self.blocks[i](x)',
    '                i += 1',
    '                continue',
    '            # repeat … until: before each application the positions that pass the halting test',
    '            # are frozen (keep their residual; the others still attend to them); it stops when',
    '            # every position of every row has halted, or after the most applications.',
    '            length, times, halt = self.loops[i]',
    '            for r in range(times):',
    '                frozen = self.halts[halt](x)',
    '                if bool(frozen.all()):',
    '                    break',
    '                y = x',
    '                for block in self.blocks[i + r * length : i + (r + 1) * length]:',
    '                    y = block(y)',
    '                x = torch.where(frozen, x, y)',
    '            i += length * times',
    '        return self.head(self.final_norm(x))',
  ].join('\n');
}

function spanOf(n: NormSpec): Span | undefined {
  return n.kind === 'none' ? undefined : n.span;
}

function linearCtor(m: AffineMap, path: string, e: Emit): string {
  e.weights.push({ key: `${path}.weight`, shape: [m.weight.rows, m.weight.cols], data: m.weight.data });
  if (!m.biasIsZero) e.weights.push({ key: `${path}.bias`, shape: [m.weight.rows], data: m.bias });
  return `_linear(${m.weight.cols}, ${m.weight.rows}, bias=${m.biasIsZero ? 'False' : 'True'})`;
}

function normCtor(n: NormSpec, size: number, path: string, e: Emit): string {
  if (n.kind === 'none') return 'nn.Identity()';
  if (n.weight) e.weights.push({ key: `${path}.weight`, shape: [size], data: n.weight });
  const bias = n.kind === 'layernorm' && n.bias !== undefined;
  if (bias) e.weights.push({ key: `${path}.bias`, shape: [size], data: n.bias! });
  return `Norm(${pyString(n.kind)}, ${size}, eps=${lit(n.eps)}, weight=${n.weight ? 'True' : 'False'}, bias=${bias ? 'True' : 'False'})`;
}

/** A formula of N as a LengthFormula module: its tree as nested tuples, its N-free tables
 * (`shape`, full context) as buffers t0, t1, … in WEIGHTS under `path`. */
function lengthCtor(expr: LengthExpr, shape: number[], path: string, e: Emit): string {
  let tables = 0;
  const tree = (x: LengthExpr): string => {
    switch (x.kind) {
      case 'table':
        if (x.scalar !== undefined) return `("scalar", ${lit(x.scalar)})`;
        e.weights.push({ key: `${path}.t${tables}`, shape, data: x.values });
        return `("table", ${tables++})`;
      case 'length':
        return '("N",)';
      case 'unary':
        return `(${pyString(x.op)}, ${tree(x.x)})`;
      case 'binary':
        return `(${pyString(x.op)}, ${tree(x.a)}, ${tree(x.b)})`;
      case 'where': {
        // As the IR lowers it: a negated test swaps the branches.
        const [yes, no] = x.test.negate ? [x.else, x.then] : [x.then, x.else];
        return `("Where", ${pyString(x.test.op)}, ${tree(x.test.a)}, ${tree(x.test.b)}, ${tree(yes)}, ${tree(no)})`;
      }
    }
  };
  const t = tree(expr);
  return `LengthFormula(${t}, ${tables}, [${shape.join(', ')}])`;
}

function attentionCtor(model: CheckedModel, a: AttentionSpec, path: string, e: Emit): string {
  const args = [
    `heads=${a.heads}`, `kv_heads=${a.kvHeads}`, `dim=${a.dim}`, `value_dim=${a.valueDim}`,
    `pre_norm=${normCtor(a.pre, model.dModel, `${path}.pre_norm`, e)}`,
    `q_proj=${linearCtor(a.q, `${path}.q_proj`, e)}`,
    `k_proj=${linearCtor(a.k, `${path}.k_proj`, e)}`,
    `v_proj=${linearCtor(a.v, `${path}.v_proj`, e)}`,
    `q_norm=${normCtor(a.qNorm, a.dim, `${path}.q_norm`, e)}`,
    `k_norm=${normCtor(a.kNorm, a.dim, `${path}.k_norm`, e)}`,
  ];
  if (a.rope) {
    const { angles, pairs } = a.rope;
    const context = angles.length / pairs;
    e.weights.push({ key: `${path}.rope.cos`, shape: [context, pairs], data: Array.from(angles, Math.cos) });
    e.weights.push({ key: `${path}.rope.sin`, shape: [context, pairs], data: Array.from(angles, Math.sin) });
    args.push(`rope=Rope(${context}, ${pairs})`);
  }
  args.push(`scale=${lit(a.scale)}`);
  if (a.scoreBias) {
    const n = Math.round(Math.sqrt(a.scoreBias.length / a.heads));
    e.weights.push({ key: `${path}.score_bias`, shape: [a.heads, n, n], data: a.scoreBias });
    args.push(`score_bias=${n}`);
  }
  if (a.scoreBiasLength) args.push(`length_bias=${lengthCtor(a.scoreBiasLength, [a.heads, model.context, model.context], `${path}.length_bias`, e)}`);
  if (a.softmax1) args.push('softmax1=True');
  args.push(`o_proj=${linearCtor(a.out, `${path}.o_proj`, e)}`);
  if (a.post.kind !== 'none') args.push(`post_norm=${normCtor(a.post, model.dModel, `${path}.post_norm`, e)}`);
  return `Attention(\n${args.map((s) => `            ${s},`).join('\n')}\n        )`;
}

function mlpCtor(model: CheckedModel, m: MlpSpec, path: string, e: Emit): string {
  const args = [`pre_norm=${normCtor(m.pre, model.dModel, `${path}.pre_norm`, e)}`];
  if (m.gate && m.up) {
    args.push(`gate_proj=${linearCtor(m.gate, `${path}.gate_proj`, e)}`, `up_proj=${linearCtor(m.up, `${path}.up_proj`, e)}`);
  } else {
    args.push(`in_proj=${linearCtor(m.in!, `${path}.in_proj`, e)}`);
  }
  args.push(`act=Activation(${pyString(m.act)})`, `down_proj=${linearCtor(m.out, `${path}.down_proj`, e)}`);
  if (m.post.kind !== 'none') args.push(`post_norm=${normCtor(m.post, model.dModel, `${path}.post_norm`, e)}`);
  return `MLP(\n${args.map((s) => `            ${s},`).join('\n')}\n        )`;
}

function weightsBlock(e: Emit): string {
  const lines = [
    ...comment('The state_dict, as exact float64 literals; keys are the module paths above. -inf in a score table excludes that key.', 0),
    'WEIGHTS = {',
  ];
  for (const w of e.weights) {
    const values = Array.from(w.data, lit);
    const lead = `    ${pyString(w.key)}: `;
    lines.push(`${lead}${nestedList(values, w.shape, lead.length)},`);
  }
  lines.push('}');
  lines.push('', '# Module paths that are the same module as an earlier one (repeated layers): (path, same as).');
  lines.push(`SHARED = [${e.shared.map(([a, b]) => `(${pyString(a)}, ${pyString(b)})`).join(', ')}]`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- fixed Python text

const LIBRARY_SOURCE = `# ---------------------------------------------------------------- building blocks
# Each computes what the handwire compiler's graph computes, in the same order of operations, so
# float64 results agree with onnxruntime's to rounding.


def _linear(inputs, outputs, bias):
    """nn.Linear (y = x W^T + b) without the random initialisation (the weights are loaded below)."""
    return nn.utils.skip_init(nn.Linear, inputs, outputs, bias=bias)


def _embedding(vocab, width):
    return nn.utils.skip_init(nn.Embedding, vocab, width)


class Norm(nn.Module):
    """Over the last axis. layernorm: y = (x - mean x) / sqrt(mean (x - mean x)^2 + eps);
    rms: y = x / sqrt(mean x^2 + eps); then y * weight + bias where the design has them."""

    def __init__(self, kind, size, eps, weight, bias):
        super().__init__()
        self.kind, self.eps = kind, eps
        self.weight = nn.Parameter(torch.ones(size)) if weight else None
        self.bias = nn.Parameter(torch.zeros(size)) if bias else None

    def forward(self, x):
        if self.kind == "layernorm":
            x = x - x.mean(-1, keepdim=True)
        x = x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.eps)
        if self.weight is not None:
            x = x * self.weight
        if self.bias is not None:
            x = x + self.bias
        return x

    def extra_repr(self):
        return "%s, eps=%r" % (self.kind, self.eps)


class Rope(nn.Module):
    """Rotary positions on the pairs (i, i + dim/2) of each head: y = x cos + swap(x) sin with
    swap([a, b]) = [-b, a]; cos and sin are tables [context, dim/2] of the design's angles."""

    def __init__(self, context, pairs):
        super().__init__()
        self.register_buffer("cos", torch.zeros(context, pairs))
        self.register_buffer("sin", torch.zeros(context, pairs))

    def forward(self, x):  # [batch, heads, seq, dim]
        seq, half = x.shape[-2], x.shape[-1] // 2
        cos = torch.cat([self.cos[:seq], self.cos[:seq]], -1)
        sin = torch.cat([self.sin[:seq], self.sin[:seq]], -1)
        swapped = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + swapped * sin


class Activation(nn.Module):
    """The MLP's activation by name; silu and gelu (tanh form) from elementary operations."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, t):
        k = self.kind
        if k == "relu":
            return torch.relu(t)
        if k == "sigmoid":
            return torch.sigmoid(t)
        if k == "tanh":
            return torch.tanh(t)
        if k == "abs":
            return torch.abs(t)
        if k == "identity":
            return t
        if k == "silu":
            return t / (1 + torch.exp(-t))
        if k == "gelu_tanh":
            return t * 0.5 * (1 + torch.tanh((t + t * t * t * 0.044715) * math.sqrt(2 / math.pi)))
        raise ValueError("unknown activation %r" % k)

    def extra_repr(self):
        return self.kind


class LengthFormula(nn.Module):
    """A formula of N, the run's sequence length, computed at run time in the model's float type
    with the operations of the compiled graph. tree: nested tuples, ("table", i) for the N-free
    table t<i> (full context, cut to the run's positions), ("scalar", v), ("N",), (op, x) and
    (op, a, b) for the unary and binary operations, ("Where", Less|Equal, a, b, then, else)."""

    def __init__(self, tree, tables, shape):
        super().__init__()
        self.tree = tree
        for i in range(tables):
            self.register_buffer("t%d" % i, torch.zeros(*shape))

    def forward(self, seq, like):
        return self._value(self.tree, seq, like)

    def _value(self, t, seq, like):
        kind = t[0]
        if kind == "table":
            table = getattr(self, "t%d" % t[1])
            return table[:seq] if table.dim() == 1 else table[:, :seq, :seq]
        if kind == "scalar":
            return torch.tensor(t[1], dtype=like.dtype, device=like.device)
        if kind == "N":
            return torch.tensor(float(seq), dtype=like.dtype, device=like.device)
        if kind == "Where":
            a, b = self._value(t[2], seq, like), self._value(t[3], seq, like)
            test = a < b if t[1] == "Less" else a == b
            return torch.where(test, self._value(t[4], seq, like), self._value(t[5], seq, like))
        args = [self._value(u, seq, like) for u in t[1:]]
        ops = {"Neg": torch.neg, "Sqrt": torch.sqrt, "Exp": torch.exp, "Log": torch.log, "Abs": torch.abs,
               "Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div, "Pow": torch.pow,
               "Max": torch.maximum, "Min": torch.minimum}
        return ops[kind](*args)

    def extra_repr(self):
        return repr(self.tree)


class Attention(nn.Module):
    """Multi-head attention, batch first. Hook points: scores (after the score table, before the
    softmax) and pattern (the attention weights), both [batch, heads, query, key]; the module's
    output is its write to the residual."""

    def __init__(self, heads, kv_heads, dim, value_dim, pre_norm, q_proj, k_proj, v_proj, q_norm, k_norm,
                 o_proj, scale, rope=None, score_bias=None, length_bias=None, softmax1=False, post_norm=None):
        super().__init__()
        self.heads, self.kv_heads, self.dim, self.value_dim = heads, kv_heads, dim, value_dim
        self.scale, self.softmax1 = scale, softmax1
        self.pre_norm, self.q_proj, self.k_proj, self.v_proj = pre_norm, q_proj, k_proj, v_proj
        self.q_norm, self.k_norm, self.rope = q_norm, k_norm, rope
        if score_bias is not None:
            # Additive scores [heads, query, key] for the whole context: masks and fixed biases.
            self.register_buffer("score_bias", torch.zeros(heads, score_bias, score_bias))
        else:
            self.score_bias = None
        self.length_bias = length_bias  # additive scores [heads, query, key] that read N, or None
        self.scores, self.pattern = nn.Identity(), nn.Identity()
        self.o_proj, self.post_norm = o_proj, post_norm

    def split(self, y, n, d):  # [batch, seq, n*d] -> [batch, n, seq, d]
        return y.reshape(y.shape[0], y.shape[1], n, d).transpose(1, 2)

    def forward(self, x):
        batch, seq, _ = x.shape
        h = self.pre_norm(x)
        q = self.q_norm(self.split(self.q_proj(h), self.heads, self.dim))
        k = self.k_norm(self.split(self.k_proj(h), self.kv_heads, self.dim))
        v = self.split(self.v_proj(h), self.kv_heads, self.value_dim)
        if self.rope is not None:
            q, k = self.rope(q), self.rope(k)
        q = q * self.scale
        if self.kv_heads != self.heads:  # query head h reads key/value head h // group
            group = self.heads // self.kv_heads
            k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
        s = torch.matmul(q, k.transpose(-1, -2))
        if self.score_bias is not None:
            s = s + self.score_bias[:, :seq, :seq]
        if self.length_bias is not None:
            s = s + self.length_bias(seq, s)
        s = self.scores(s)
        if self.softmax1:  # exp(s) / (1 + sum exp(s)): an extra zero logit
            m = torch.clamp(s.max(-1, keepdim=True).values, min=0)
            e = torch.exp(s - m)
            w = e / (e.sum(-1, keepdim=True) + torch.exp(-m))
        else:
            w = torch.softmax(s, -1)
        w = self.pattern(w)
        mixed = torch.matmul(w, v).transpose(1, 2).reshape(batch, seq, self.heads * self.value_dim)
        return self.o_proj(mixed)


class MLP(nn.Module):
    """h = act(in_proj x), or act(gate_proj x) * up_proj x when gated; the write is down_proj h.
    Hook act for the hidden activations [batch, seq, width]."""

    def __init__(self, pre_norm, act, down_proj, in_proj=None, gate_proj=None, up_proj=None, post_norm=None):
        super().__init__()
        self.pre_norm, self.in_proj, self.gate_proj, self.up_proj = pre_norm, in_proj, gate_proj, up_proj
        self.act, self.down_proj, self.post_norm = act, down_proj, post_norm

    def forward(self, x):
        h = self.pre_norm(x)
        if self.gate_proj is not None:
            hidden = self.act(self.gate_proj(h)) * self.up_proj(h)
        else:
            hidden = self.act(self.in_proj(h))
        return self.down_proj(hidden)


class Block(nn.Module):
    """One \`layer\` of the .hw file: each component in order adds its write to the residual; a
    post-norm component (post_norm set) then normalises the residual itself."""

    def __init__(self, name, components):
        super().__init__()
        self.name, self.order = name, [n for n, _ in components]
        for n, m in components:
            self.add_module(n, m)

    def forward(self, x):
        for n in self.order:
            m = getattr(self, n)
            x = x + m(x)
            if m.post_norm is not None:
                x = m.post_norm(x)
        return x

    def extra_repr(self):
        return repr(self.name)


class Halt(nn.Module):
    """The halting test of \`repeat … until\`: a position halts where residual · weight + bias > 0
    (strict) or >= 0; [batch, seq, 1] booleans."""

    def __init__(self, size, bias, strict):
        super().__init__()
        self.bias, self.strict = bias, strict
        self.register_buffer("weight", torch.zeros(size, 1))

    def forward(self, x):
        score = torch.matmul(x, self.weight)
        if self.bias != 0:
            score = score + self.bias
        return score > 0 if self.strict else score >= 0

    def extra_repr(self):
        return "bias=%r, strict=%r" % (self.bias, self.strict)`;

const LOADER_SOURCE = `def build_model(dtype=None):
    """(model, metadata): the Transformer in \`dtype\` (default DTYPE) with WEIGHTS loaded, in eval mode."""
    model = Transformer().to(DTYPE if dtype is None else dtype)
    state = {k: torch.tensor(v, dtype=torch.float64) for k, v in WEIGHTS.items()}
    for path, same in SHARED:
        for k in list(state):
            if k.startswith(same + "."):
                state[path + k[len(same):]] = state[k]
    model.load_state_dict(state)  # strict: every parameter and buffer is given exactly once
    return model.eval(), dict(METADATA)`;

const TASK_INTRO = `# ---------------------------------------------------------------- task contract and decoding
`;

const TASK_SOURCE = `

def encode_prompt(operands):
    """The prompt for the given operand values ({name: value}), one token per PROMPT entry."""
    tokens = []
    for slot in PROMPT:
        if slot[0] == "token":
            tokens.append(slot[1])
        else:
            _, name, place = slot
            tokens.append(operands[name] // BASE**place % BASE)
    return tokens


def greedy_decode(model, prompts, steps):
    """Greedy decoding by full recompute for a batch of equal-length prompts: run the sequences,
    append the argmax of each last position (the lowest token on a tie), repeat."""
    param = next(model.parameters())
    tokens = torch.tensor(prompts, dtype=torch.int64, device=param.device)
    with torch.no_grad():
        for _ in range(steps):
            last = model(tokens)[:, -1]
            if torch.isnan(last).any():
                raise FloatingPointError("NaN logit after %d tokens" % tokens.shape[1])
            tokens = torch.cat([tokens, last.argmax(-1, keepdim=True)], 1)
    return tokens[:, len(prompts[0]):].tolist()


def read_answer(generated):
    """The generated digits as an integer."""
    digits = generated if ANSWER_ORDER == "msb" else generated[::-1]
    value = 0
    for d in digits:
        if not 0 <= d < BASE:
            raise ValueError("generated token %d is not a digit" % d)
        value = value * BASE + d
    return value


def solve(model, *values):
    """The task's answer for operand values given in OPERANDS order."""
    if len(values) != len(OPERANDS):
        raise TypeError("the task takes %d operands, got %d" % (len(OPERANDS), len(values)))
    operands = {}
    for (name, digits), value in zip(OPERANDS, values):
        value = int(value)
        if not 0 <= value < BASE**digits:
            raise ValueError("%s = %d does not fit in %d digits" % (name, value, digits))
        operands[name] = value
    return read_answer(greedy_decode(model, [encode_prompt(operands)], DECODE_STEPS)[0])`;

const ADD_SOURCE = `


def add(model, a, b):
    """AdderBoard's entry point: build_model()[0] and two operands."""
    return solve(model, a, b)`;
