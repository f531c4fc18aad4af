// The checked model: every name resolved, every formula evaluated to float64 numbers, every shape
// known. This is what the IR lowering and the parameter audit read; nothing here refers back to
// syntax except spans for error messages and provenance.
import type { Span, Expr } from '../syntax/ast.ts';
import type { FloatDType } from '../ir/types.ts';

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
  softmax1: boolean;
  out: AffineMap; // d_model × (heads*valueDim)
  span: Span;
}

export type Activation = 'relu' | 'silu' | 'gelu_tanh' | 'sigmoid' | 'tanh' | 'identity' | 'abs';

export interface MlpSpec {
  kind: 'mlp';
  pre: NormSpec;
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
  position?: Matrix; // context × d_model
  layers: LayerSpec[];
  final: NormSpec;
  head: AffineMap; // vocab × d_model
  task?: TaskContract;
  values: NamedValue[];
  /** Where every number comes from (src/check/audit.ts); present when the pipeline ran the audit. */
  audit?: import('./audit.ts').Audit;
}
