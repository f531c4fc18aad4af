// The fixed Python text of the readable numpy export (model-to-numpy.ts): the building blocks a
// design's blocks call (only the ones it uses are written) and the AdderBoard entry points. Each
// block computes what the compiler's graph computes, in the same order of operations, so float64
// results agree with onnxruntime's to rounding.
import type { Activation } from '../check/model.ts';

export const HELPERS = {
  rms_norm: `def rms_norm(x, eps, weight=None):  # last axis: x / sqrt(mean x^2 + eps), times any weight
    x = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return x if weight is None else x * weight`,
  layer_norm: `def layer_norm(x, eps, weight=None, bias=None):
    """Over the last axis: (x - mean x) / sqrt(mean (x - mean x)^2 + eps), then weight and bias."""
    x = x - np.mean(x, axis=-1, keepdims=True)
    x = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    x = x if weight is None else x * weight
    return x if bias is None else x + bias`,
  split_heads: `def split_heads(y, heads):  # [batch, seq, heads * dim] -> [batch, heads, seq, dim]
    return y.reshape(y.shape[0], y.shape[1], heads, -1).transpose(0, 2, 1, 3)`,
  merge_heads: `def merge_heads(y):  # [batch, heads, seq, dim] -> [batch, seq, heads * dim]
    return y.transpose(0, 2, 1, 3).reshape(y.shape[0], y.shape[2], -1)`,
  rope: `def rope(x, angle):
    """Rotates the pairs (i, i + dim/2) of each head by angle [seq, dim/2]: x cos + swap(x) sin."""
    cos, sin = np.cos(angle).astype(DTYPE), np.sin(angle).astype(DTYPE)
    cos, sin, half = np.concatenate([cos, cos], -1), np.concatenate([sin, sin], -1), x.shape[-1] // 2
    return x * cos + np.concatenate([-x[..., half:], x[..., :half]], -1) * sin`,
  causal_mask: `def causal_mask(seq):  # 0 where key j <= query i, -inf where the key comes later
    return np.triu(np.full((seq, seq), -np.inf, dtype=DTYPE), 1)`,
  by_distance: `def by_distance(table, seq):
    """Scores [heads, seq, seq] from a table [heads, distance]: table[:, i - j], -inf for keys j > i."""
    d = np.arange(seq)[:, None] - np.arange(seq)[None, :]
    return np.where(d >= 0, table[:, np.maximum(d, 0)], -np.inf).astype(DTYPE)`,
  softmax: `def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)`,
  softmax1: `def softmax1(s):
    """exp(s) / (1 + sum exp(s)): softmax with an extra zero logit, shifted by max(0, max s)."""
    m = np.maximum(s.max(axis=-1, keepdims=True), 0)
    e = np.exp(s - m)
    return e / (e.sum(axis=-1, keepdims=True) + np.exp(-m))`,
  silu: `def silu(t):
    return t / (1 + np.exp(-t))`,
  gelu_tanh: `def gelu_tanh(t):
    return t * 0.5 * (1 + np.tanh((t + t * t * t * 0.044715) * np.sqrt(2 / np.pi)))`,
  sigmoid: `def sigmoid(t):
    return 1 / (1 + np.exp(-t))`,
} as const;

export type Helper = keyof typeof HELPERS;

/** An activation applied to the expression \`t\`, and the helper it needs. */
export function activationCall(act: Activation, t: string): { code: string; helper?: Helper } {
  switch (act) {
    case 'relu':
      return { code: `np.maximum(${t}, 0)` };
    case 'tanh':
      return { code: `np.tanh(${t})` };
    case 'abs':
      return { code: `np.abs(${t})` };
    case 'identity':
      return { code: t };
    default:
      return { code: `${act}(${t})`, helper: act };
  }
}

export const RUNTIME = `def build_model():  # (model, metadata) as AdderBoard asks; the model maps token ids to logits
    return forward, dict(METADATA)

def encode_prompt(operands):  # the prompt for {operand name: value}, one token per PROMPT entry
    return [s[1] if s[0] == "token" else operands[s[1]] // BASE ** s[2] % BASE for s in PROMPT]

def greedy_decode(model, prompt, steps):
    """Run the whole sequence, append the argmax of the last position (lowest on a tie), repeat."""
    tokens = list(prompt)
    for _ in range(steps):
        last = model(np.array([tokens], dtype=np.int64))[0, -1]
        if np.isnan(last).any():
            raise FloatingPointError("NaN logit after %d tokens" % len(tokens))
        tokens.append(int(np.argmax(last)))
    return tokens[len(prompt):]

def read_answer(generated):
    if not all(0 <= d < BASE for d in generated):
        raise ValueError("generated tokens %s are not all digits" % generated)
    lsb_first = generated if ANSWER_ORDER == "lsb" else generated[::-1]
    return sum(d * BASE ** i for i, d in enumerate(lsb_first))

def add(model, a, b):
    operands = {name: int(v) for (name, _), v in zip(OPERANDS, (a, b))}
    for name, digits in OPERANDS:
        if not 0 <= operands[name] < BASE ** digits:
            raise ValueError("%s = %d does not fit in %d digits" % (name, operands[name], digits))
    return read_answer(greedy_decode(model, encode_prompt(operands), DECODE_STEPS))`;
