// The IR: a small, typed graph of tensor operations with static shapes, except for two symbolic
// dimensions (`batch`, `seq`). It is deliberately close to ONNX so the emitter stays a direct
// mapping, but it knows nothing about protobuf: it can be evaluated, bounded (prove) or exported to
// other targets (numpy) from the same data.
import type { FloatDType } from '../check/model.ts';

// The model's float type is chosen in the source and checked with it (check/model.ts); the IR
// carries it on, and its importers may keep reading it from here.
export type { FloatDType };

/** A dimension is a fixed size or a symbolic size: `batch` and `seq` in every compiled model, plus
 * `past` (cached positions) and `total` (past + seq) in the incremental decoding graph, and
 * `iterations` (the iterations a Loop ran) on the loop trace's outputs. */
export type Dim = number | 'batch' | 'seq' | 'past' | 'total' | 'iterations';
export type Shape = Dim[];

/** Element types of IR values. `float` is the model's dtype, chosen at emit time; `bool` only
 * appears in loops (the halting test and the Loop's condition). */
export type ElemType = 'float' | 'int64' | 'bool';

/** Where a node or constant came from in the .hw source (1-based line and column). */
export interface SourceRef {
  file?: string;
  line: number;
  col: number;
}

/**
 * What a constant tensor is, for the parameter audit and for readable exports:
 * - weight: values derived from the model's parameters and formulas;
 * - encoding: fixed positional tables and masks (functions of positions only);
 * - structural: indices, shapes, axes and other plumbing the lowering needs.
 */
export type ConstRole = 'weight' | 'encoding' | 'structural';

export interface IrConst {
  name: string;
  elem: ElemType;
  shape: number[];
  /** Values in float64 (for `float`) or exact integers (for `int64`), row-major. */
  data: Float64Array | BigInt64Array;
  role: ConstRole;
  doc?: string;
  source?: SourceRef;
}

export interface IrValueInfo {
  name: string;
  elem: ElemType;
  shape: Shape;
}

/** Attribute values allowed on IR nodes (mirrors the ONNX attributes the emitter needs). */
export type IrAttr = number | number[] | string;

/**
 * One operation. `op` is an ONNX operator name at opset 17 (MatMul, Add, Gather, Softmax, …);
 * the emitter maps it one to one, so every op listed in `IR_OPS` must have an ONNX counterpart
 * with the same inputs, outputs and attributes.
 */
export interface IrNode {
  op: IrOp;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, IrAttr>;
  /** Attributes that must be emitted as integers even when the value is a whole number array. */
  intAttrs?: string[];
  doc?: string;
  source?: SourceRef;
  /** The body of a `Loop` (ONNX's `body` attribute): inputs (iteration, condition, carried values),
   * outputs (condition, carried values). Its nodes may read any value of the enclosing graph. */
  body?: IrSubgraph;
}

export interface IrSubgraph {
  inputs: IrValueInfo[];
  outputs: IrValueInfo[];
  nodes: IrNode[];
}

export const IR_OPS = [
  'Gather', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Sqrt', 'Exp', 'Log', 'Abs', 'Pow',
  'Relu', 'Sigmoid', 'Tanh', 'Erf', 'Softmax', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'Max', 'Min',
  'Reshape', 'Transpose', 'Concat', 'Slice', 'Shape', 'Unsqueeze', 'Squeeze', 'Expand', 'Cast',
  'Identity', 'Where', 'Equal', 'Less', 'Greater', 'GreaterOrEqual', 'Not', 'Loop',
] as const;
export type IrOp = (typeof IR_OPS)[number];

export interface IrGraph {
  name: string;
  dtype: FloatDType;
  inputs: IrValueInfo[];
  outputs: IrValueInfo[];
  consts: IrConst[];
  nodes: IrNode[];
  /** String key/value pairs that travel with the model (task contract, parameter manifest, …). */
  metadata: Record<string, string>;
  doc?: string;
}
