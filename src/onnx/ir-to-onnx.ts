// IR → ONNX: a direct, deterministic mapping of an IrGraph onto an ONNX ModelProto, serialised with
// onnx-buf's generated schema (no hand-rolled protobuf). The IR already uses ONNX operator names and
// input/output conventions at opset 17, so this stage only decides encodings: element types, how
// attributes are typed, how constants are laid out, and what documentation travels with each node.

import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  ModelProtoSchema,
  TensorProto_DataType,
  type AttributeProtoSchema,
  type NodeProtoSchema,
  type TensorProtoSchema,
  type TensorShapeProto_DimensionSchema,
  type ValueInfoProtoSchema,
} from 'onnx-buf';
import type {
  ElemType,
  FloatDType,
  IrAttr,
  IrConst,
  IrGraph,
  IrNode,
  IrValueInfo,
  SourceRef,
} from '../ir/types.ts';

/** IR version 8 with opset 17: the newest pair Debian's onnx 1.12 checker judges correctly. */
export const ONNX_IR_VERSION = 8n;
export const DEFAULT_OPSET = 17;

/**
 * Attribute names that are integers in every opset-17 operator the IR uses, so the compiler need
 * not list them in `intAttrs` each time (ORT and the checker reject an INT attribute sent as
 * FLOAT). Beyond the usual axis/axes/keepdims/perm/to/noop_with_empty_axes: `allowzero` (Reshape)
 * and `start`/`end` (Shape, opset 15+), the only other attributes of IR_OPS, are integers too.
 */
const INT_ATTR_NAMES: ReadonlySet<string> = new Set([
  'axis', 'axes', 'keepdims', 'perm', 'to', 'noop_with_empty_axes', 'allowzero', 'start', 'end',
]);

/** The ONNX TensorProto data type of an IR element type, given the model's float dtype. */
export function onnxElemType(elem: ElemType | FloatDType, dtype: FloatDType = 'float32'): TensorProto_DataType {
  switch (elem) {
    case 'float':
      return dtype === 'float64' ? TensorProto_DataType.DOUBLE : TensorProto_DataType.FLOAT;
    case 'float32':
      return TensorProto_DataType.FLOAT;
    case 'float64':
      return TensorProto_DataType.DOUBLE;
    case 'int64':
      return TensorProto_DataType.INT64;
    case 'bool':
      return TensorProto_DataType.BOOL;
  }
}

// Typed arrays use the host's byte order while raw_data is defined as little-endian. Every platform
// Node ships for is little-endian, but a big-endian host would silently produce garbage weights, so
// we detect it once and byte-swap through a DataView there.
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function leBytes(a: Float32Array | Float64Array | BigInt64Array): Uint8Array<ArrayBuffer> {
  if (HOST_LITTLE_ENDIAN) {
    // Copy out exactly the view's bytes: a bare `a.buffer` would drag in the whole underlying
    // buffer (stack-notes), and a copy also gives the `Uint8Array<ArrayBuffer>` onnx-buf's types ask for.
    return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
  }
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof BigInt64Array) dv.setBigInt64(i * 8, a[i]!, true);
    else if (a instanceof Float64Array) dv.setFloat64(i * 8, a[i]!, true);
    else dv.setFloat32(i * 4, a[i]!, true);
  }
  return out;
}

function withSource(doc: string | undefined, source: SourceRef | undefined): string {
  // Only line:col, never the file: paths differ between machines and would break byte-for-byte
  // reproducibility of the same source compiled elsewhere.
  const where = source ? `(${source.line}:${source.col})` : '';
  if (doc && where) return `${doc} ${where}`;
  return doc ?? where;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function dimProto(d: IrValueInfo['shape'][number]): MessageInitShape<typeof TensorShapeProto_DimensionSchema> {
  if (typeof d === 'number') {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid dimension ${d}`);
    return { value: { case: 'dimValue', value: BigInt(d) } };
  }
  return { value: { case: 'dimParam', value: d } };
}

function valueInfo(v: IrValueInfo, dtype: FloatDType): MessageInitShape<typeof ValueInfoProtoSchema> {
  return {
    name: v.name,
    type: {
      value: {
        case: 'tensorType',
        value: { elemType: onnxElemType(v.elem, dtype), shape: { dim: v.shape.map(dimProto) } },
      },
    },
  };
}

function tensor(c: IrConst, dtype: FloatDType): MessageInitShape<typeof TensorProtoSchema> {
  for (const d of c.shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`constant ${c.name}: invalid dimension ${d}`);
  }
  const n = product(c.shape);
  if (c.data.length !== n) {
    throw new Error(`constant ${c.name}: shape [${c.shape.join(', ')}] needs ${n} values, data has ${c.data.length}`);
  }
  let raw: Uint8Array<ArrayBuffer>;
  if (c.elem === 'int64') {
    if (!(c.data instanceof BigInt64Array)) throw new Error(`constant ${c.name}: int64 constant needs BigInt64Array data`);
    raw = leBytes(c.data);
  } else {
    if (!(c.data instanceof Float64Array)) throw new Error(`constant ${c.name}: float constant needs Float64Array data`);
    if (dtype === 'float32') {
      // Float32Array.from rounds each value exactly as Math.fround does (round to nearest even).
      const f = Float32Array.from(c.data);
      // A finite float64 that overflows to ±Infinity in float32 would silently change the model's
      // meaning (e.g. a large masking constant turning into an infinity that yields NaN).
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(f[i]!) && Number.isFinite(c.data[i]!)) {
          throw new Error(`constant ${c.name}[${i}] = ${c.data[i]} overflows float32`);
        }
      }
      raw = leBytes(f);
    } else {
      raw = leBytes(c.data);
    }
  }
  return {
    name: c.name,
    dims: c.shape.map((d) => BigInt(d)),
    dataType: onnxElemType(c.elem, dtype),
    rawData: raw,
    docString: withSource(c.doc, c.source),
  };
}

function toInt(node: IrNode, name: string, v: number): bigint {
  if (!Number.isSafeInteger(v)) {
    throw new Error(`node ${node.name} (${node.op}): attribute ${name} must be an integer, got ${v}`);
  }
  return BigInt(v);
}

function attribute(node: IrNode, name: string, v: IrAttr, dtype: FloatDType): MessageInitShape<typeof AttributeProtoSchema> {
  const isInt = INT_ATTR_NAMES.has(name) || (node.intAttrs?.includes(name) ?? false);
  if (typeof v === 'string') {
    // Cast's `to` is an ONNX enum, which the IR cannot know for `float` (the dtype is an emit-time
    // choice), so the IR may spell it as an element type name and we resolve it here.
    if (name === 'to') {
      if (v !== 'float' && v !== 'int64' && v !== 'bool' && v !== 'float32' && v !== 'float64') {
        throw new Error(`node ${node.name} (${node.op}): attribute to = '${v}' is not an element type`);
      }
      return { name, type: AttributeProto_AttributeType.INT, i: BigInt(onnxElemType(v, dtype)) };
    }
    return { name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(v) };
  }
  if (typeof v === 'number') {
    return isInt
      ? { name, type: AttributeProto_AttributeType.INT, i: toInt(node, name, v) }
      : { name, type: AttributeProto_AttributeType.FLOAT, f: v };
  }
  return isInt
    ? { name, type: AttributeProto_AttributeType.INTS, ints: v.map((x) => toInt(node, name, x)) }
    : { name, type: AttributeProto_AttributeType.FLOATS, floats: [...v] };
}

/**
 * Checks the wiring the ONNX checker would otherwise report far from its cause: every input is
 * defined before use (ONNX requires topological order), no value is defined twice, every graph
 * output is produced.
 */
function checkWiring(graph: IrGraph): void {
  const defined = new Set<string>();
  const define = (name: string, what: string): void => {
    if (name === '') throw new Error(`${what}: empty value name`);
    if (defined.has(name)) throw new Error(`${what}: value '${name}' is defined more than once`);
    defined.add(name);
  };
  for (const v of graph.inputs) define(v.name, `graph input ${v.name}`);
  for (const c of graph.consts) define(c.name, `constant ${c.name}`);
  const nodeNames = new Set<string>();
  // A loop body sees every value defined before its Loop node (ONNX's outer scope); names stay
  // unique across the graph and its bodies, so no body value shadows an outer one.
  const wire = (nodes: readonly IrNode[], outputs: readonly IrValueInfo[], where: string): void => {
    for (const n of nodes) {
      if (nodeNames.has(n.name)) throw new Error(`node name '${n.name}' is used more than once`);
      nodeNames.add(n.name);
      for (const i of n.inputs) {
        // '' marks an omitted optional input in ONNX.
        if (i !== '' && !defined.has(i)) {
          throw new Error(`node ${n.name} (${n.op}): input '${i}' is not defined before this node`);
        }
      }
      if (n.body) {
        for (const v of n.body.inputs) define(v.name, `loop body input ${v.name} of ${n.name}`);
        wire(n.body.nodes, n.body.outputs, `the body of ${n.name}`);
      }
      for (const o of n.outputs) define(o, `node ${n.name} (${n.op})`);
    }
    for (const v of outputs) {
      if (!defined.has(v.name)) throw new Error(`${where}: output '${v.name}' is never produced`);
    }
  };
  wire(graph.nodes, graph.outputs, 'graph');
}

/** Serialises an IR graph as an ONNX model. Same graph → identical bytes. */
export function irToOnnx(graph: IrGraph, opts: { opset?: number } = {}): Uint8Array {
  const opset = opts.opset ?? DEFAULT_OPSET;
  checkWiring(graph);
  const { dtype } = graph;

  const node = (n: IrNode): MessageInitShape<typeof NodeProtoSchema> => {
    for (const a of n.intAttrs ?? []) {
      if (!n.attrs || !(a in n.attrs)) throw new Error(`node ${n.name} (${n.op}): intAttrs names missing attribute ${a}`);
    }
    // Sorted attribute names: two equal graphs built with different key insertion order must
    // still serialise identically.
    const names = Object.keys(n.attrs ?? {}).sort();
    const attributes = names.map((k) => attribute(n, k, n.attrs![k]!, dtype));
    if (n.body) {
      attributes.push({
        name: 'body',
        type: AttributeProto_AttributeType.GRAPH,
        g: {
          name: `${n.name}.body`,
          node: n.body.nodes.map(node),
          input: n.body.inputs.map((v) => valueInfo(v, dtype)),
          output: n.body.outputs.map((v) => valueInfo(v, dtype)),
        },
      });
    }
    return {
      name: n.name,
      opType: n.op,
      domain: '',
      input: [...n.inputs],
      output: [...n.outputs],
      attribute: attributes,
      docString: withSource(n.doc, n.source),
    };
  };
  const nodes = graph.nodes.map(node);

  const model = create(ModelProtoSchema, {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: BigInt(opset) }],
    producerName: 'handwire',
    graph: {
      name: graph.name,
      docString: graph.doc ?? '',
      node: nodes,
      initializer: graph.consts.map((c) => tensor(c, dtype)),
      input: graph.inputs.map((v) => valueInfo(v, dtype)),
      output: graph.outputs.map((v) => valueInfo(v, dtype)),
    },
    metadataProps: Object.keys(graph.metadata)
      .sort()
      .map((key) => ({ key, value: graph.metadata[key]! })),
  });
  return toBinary(ModelProtoSchema, model);
}
