// The checked model: every name resolved, every formula evaluated to float64 numbers, every shape
// known. This is what the IR lowering and the parameter audit read; nothing here refers back to
// syntax except spans for error messages and provenance.
import type { Span, Expr } from '../syntax/ast.ts';

/** The float type a model computes in (`dtype float64`). Declared here, where the source's choice is
 * checked; the IR and everything after it read it from the checked model. */
export type FloatDType = 'float32' | 'float64';

/** A dense matrix, row-major: `data[r * cols + c]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** An affine map y = W x + b from `inputs` values to `outputs` values. W is outputs × inputs. */
export interface AffineMap {
  weight: Matrix;
  bias: Float64Array;
  /** True when every bias entry is 0 (so no Add is needed). */
  biasIsZero: boolean;
  span: Span;
}

// Formulas of N, the run's sequence length, split by src/check/length-formula.ts.
export type LengthUnary = 'Neg' | 'Sqrt' | 'Exp' | 'Log' | 'Abs';
export type LengthBinary = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Max' | 'Min';

/** A formula over N. `table` holds one float64 value per point, in the order of the formula's points
 * (a scalar when every point has the same value); `length` is N itself. */
export type LengthExpr =
  | { kind: 'table'; values: Float64Array; scalar?: number }
  | { kind: 'length' }
  | { kind: 'unary'; op: LengthUnary; x: LengthExpr }
  | { kind: 'binary'; op: LengthBinary; a: LengthExpr; b: LengthExpr }
  /** `test ? then : else`, where test is `a < b` or `a == b` (negated for >=, !=, …). */
  | { kind: 'where'; test: { op: 'Less' | 'Equal'; a: LengthExpr; b: LengthExpr; negate: boolean }; then: LengthExpr; else: LengthExpr };

/** One residual channel of the position row whose value is a formula of N (see length-formula.ts). */
export interface LengthColumn {
  channel: number;
  expr: LengthExpr;
}

export type NormSpec =
  | { kind: 'none' }
  | { kind: 'rms'; eps: number; weight?: Float64Array; span: Span }
  | { kind: 'layernorm'; eps: number; weight?: Float64Array; bias?: Float64Array; span: Span };

export interface AttentionSpec {
  kind: 'attention';
  heads: number;
  kvHeads: number;
  dim: number;
  valueDim: number;
  pre: NormSpec;
  /** Norm of the residual after this block's add (post-norm); `none` for a pre-norm block. */
  post: NormSpec;
  q: AffineMap; // (heads*dim) × d_model
  k: AffineMap; // (kvHeads*dim) × d_model
  v: AffineMap; // (kvHeads*valueDim) × d_model
  qNorm: NormSpec;
  kNorm: NormSpec;
  /** Rotation angles by position and pair: angles[p * (dim/2) + i]; absent without RoPE. */
  rope?: { angles: Float64Array; pairs: number; span: Span };
  scale: number;
  causal: boolean;
  /** Additive score table [heads, context, context] (query, key), −Infinity for excluded keys. */
  scoreBias?: Float64Array;
  /** An additive score over (head, query, key) that reads N, computed at run time and added to
   * `scoreBias` (which then holds only the causal mask, if any); its points are head-major. */
  scoreBiasLength?: LengthExpr;
  softmax1: boolean;
  out: AffineMap; // d_model × (heads*valueDim)
  span: Span;
}

export type Activation = 'relu' | 'silu' | 'gelu_tanh' | 'sigmoid' | 'tanh' | 'identity' | 'abs';

export interface MlpSpec {
  kind: 'mlp';
  pre: NormSpec;
  /** Norm of the residual after this block's add (post-norm); `none` for a pre-norm block. */
  post: NormSpec;
  act: Activation;
  width: number;
  /** Non-gated: h = act(in x). Gated: h = act(gate x) ⊙ (up x). */
  in?: AffineMap;
  gate?: AffineMap;
  up?: AffineMap;
  out: AffineMap; // d_model × width
  span: Span;
}

export type ComponentSpec = AttentionSpec | MlpSpec;

export interface LayerSpec {
  name: string;
  components: ComponentSpec[];
}

/** A position halts when `weight · residual + bias` is > 0 (`strict`) or ≥ 0: the checked form of
 * `until a > b` (a − b), `a < b` (b − a), and the same with `>=`/`<=`. */
export interface HaltSpec {
  weight: Float64Array; // d_model
  bias: number;
  strict: boolean;
  span: Span;
}

/**
 * A `repeat` block: `layers[start .. start + length)` is its body, and the next `(times − 1) ×
 * length` entries of `layers` are its further applications, made of the same component objects.
 * `layers` lists every application (so a reader that ignores loops still sees the whole
 * computation); the IR lowering reads this to emit one ONNX Loop instead of the copies.
 * With `halt`, `times` is the maximum: before each application every position whose residual
 * satisfies `halt` is frozen (keeps its residual; the others still attend to it), as in the
 * Universal Transformer's per-position halting.
 */
export interface LoopSpec {
  start: number;
  length: number;
  times: number;
  halt?: HaltSpec;
  span: Span;
}

export interface TaskOperand {
  name: string;
  digits: number;
}

export type PromptSlot =
  | { kind: 'token'; token: number }
  | { kind: 'digit'; operand: string; place: number };

export interface TaskContract {
  name: string;
  operands: TaskOperand[];
  /** One entry per prompt position. */
  prompt: PromptSlot[];
  decode: number;
  /** How the generated tokens are read: as digits, least or most significant first. */
  answer: 'lsb' | 'msb';
  /** The formula for the expected answer over the operands, as written in the source. */
  expect: string;
  /** The same formula as the parser read it. The runtime evaluates this with the checker's own
   * evaluator, so `expect` means what the same text means in a weight formula. Not stored in the
   * ONNX metadata; a contract without it (read back from metadata) is parsed from `expect`. */
  expectFormula?: Expr;
  base: number;
}

/** A token-string input: strings over `alphabet` (token ids) of length min..max. */
export interface StringInput {
  name: string;
  alphabet: number[];
  minLength: number;
  maxLength: number;
}

export type StringPromptSlot = { kind: 'token'; token: number } | { kind: 'string'; input: string };

/**
 * How a string task's answer is read from the model:
 * - `tokens`: generated greedily after the prompt, `decode` tokens at most, ending at `stop`;
 * - `class`: the argmax at the prompt's last position (one token);
 * - `each`: the argmax at every position of the input string (one label per input token).
 */
export type Readout = 'tokens' | 'class' | 'each';

/** The task contract of a model over token strings (bits, brackets, words of a command language).
 * Digit tasks keep their own contract (TaskContract), which the affine prover and the AdderBoard
 * export read; both are driven through one Task interface in src/runtime/tasks/task.ts. */
export interface StringTask {
  name: string;
  inputs: StringInput[];
  prompt: StringPromptSlot[];
  readout: Readout;
  /** `tokens`: the most tokens generated, the stop token included. 0 for the other readouts. */
  decode: number;
  stop?: number;
  /** `each`: the input whose positions carry the labels. */
  labelled?: string;
  /** The right answer as a formula over the inputs (token ids), as written, and as parsed. */
  expect?: string;
  expectFormula?: Expr;
  /** A dataset of `input -> output` lines instead of a formula: the path as written in the source
   * (relative to the .hw file; the CLI resolves it). */
  data?: string;
}

export type ValueClass = 'param' | 'let';

export interface NamedValue {
  name: string;
  kind: ValueClass;
  shape: number[];
  values: number[];
  span: Span;
  /** Names of the parameters this value was computed from (for the audit). */
  uses: string[];
  used: boolean;
}

export interface CheckedModel {
  name: string;
  about: Record<string, string | string[]>;
  vocab: number;
  tokenNames?: string[];
  dtype: FloatDType;
  channels: string[];
  dModel: number;
  context: number;
  embedding: Matrix; // vocab × d_model
  embeddingName: string;
  position?: Matrix; // context × d_model (entries that read N: their values at N = context)
  /** Position entries that read N, the run's sequence length, computed at run time. */
  positionLength?: LengthColumn[];
  layers: LayerSpec[];
  /** The `repeat` blocks among `layers`, in order (absent or empty: none). */
  loops?: LoopSpec[];
  final: NormSpec;
  head: AffineMap; // vocab × d_model
  task?: TaskContract;
  /** The contract of a task over token strings; a model has at most one of `task` and this. */
  stringTask?: StringTask;
  values: NamedValue[];
  /** Where every number comes from (computed by src/check/audit.ts); present when the pipeline ran
   * the audit. */
  audit?: Audit;
}

// The audit's result is data the model carries (into the ONNX metadata and `handwire params`), so its
// types live with the model's; the code that computes it (audit.ts) imports them from here, and the
// model never depends on the audit's implementation.

export type NumberClass = 'free parameter' | 'derived' | 'literal constant' | 'fixed encoding' | 'structural';

export interface AuditedTensor {
  name: string;
  kind: 'weight' | 'encoding';
  line: number;
  col: number;
  entries: number;
  counts: Record<NumberClass, number>;
}

export interface AuditedLiteral {
  value: number;
  /** 'weight entry': a parameter-free weight; 'in formula': a constant inside a parameter formula. */
  kind: 'weight entry' | 'in formula';
  where: { tensor?: string; line: number; col: number; via?: string }[];
}

export interface AuditedParam {
  name: string;
  shape: number[];
  count: number;
  values: number[];
  line: number;
  col: number;
  usedIn: string[];
}

export interface Audit {
  /** Unique free parameters; fixed encodings are free (AdderBoard's rule). */
  adderboard: number;
  /** Free parameters plus the distinct literal constants that act as weights. */
  strict: number;
  params: AuditedParam[];
  literals: AuditedLiteral[];
  tensors: AuditedTensor[];
}
