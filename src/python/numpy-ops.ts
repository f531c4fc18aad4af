// One IR node → one numpy expression, with ONNX (opset 17) semantics. Where numpy has no direct
// counterpart (Softmax, ONNX's Reshape and Slice conventions, Sigmoid written carefully, Erf,
// integer Div) the expression calls a small helper; the helpers' Python source lives here too and
// is emitted only when some node uses it.
import type { IrAttr, IrNode } from '../ir/types.ts';

/** What a value holds, as far as numpy typing matters: the model's float dtype, int64 or bool. */
export type ValueKind = 'float' | 'int64' | 'bool';

export type HelperName = 'softmax' | 'sigmoid' | 'erf' | 'onnx_reshape' | 'onnx_slice' | 'int_div';

export interface OpContext {
  /** The Python identifier holding an IR value. */
  id(value: string): string;
  kind(value: string): ValueKind;
  /** Marks a helper as needed and returns its name. */
  helper(name: HelperName): string;
  /** The values of an int64 constant, when `value` is one (axes written inline read better). */
  intConst(value: string): number[] | undefined;
}

export class UnsupportedNodeError extends Error {}

export interface EmittedNode {
  expr: string;
  kind: ValueKind;
}

export function emitNode(node: IrNode, ctx: OpContext): EmittedNode {
  if (node.outputs.length !== 1) throw new UnsupportedNodeError(`node ${node.name} (${node.op}) has ${node.outputs.length} outputs; the numpy export handles one`);
  const present = node.inputs.map((i) => (i === '' ? undefined : i));
  const arg = (i: number): string => {
    const v = present[i];
    if (v === undefined) throw new UnsupportedNodeError(`node ${node.name} (${node.op}) lacks input ${i}`);
    return ctx.id(v);
  };
  const kindOf = (i: number): ValueKind => ctx.kind(present[i]!);
  const attr = (name: string): IrAttr | undefined => node.attrs?.[name];
  const intAttr = (name: string, fallback: number): number => {
    const v = attr(name);
    return typeof v === 'number' ? v : fallback;
  };
  const same = (expr: string): EmittedNode => ({ expr, kind: kindOf(0) });
  const float = (expr: string): EmittedNode => ({ expr, kind: 'float' });
  /** An axes input: inline when it is a constant, else converted at run time. */
  const axesText = (i: number): string => {
    const known = ctx.intConst(present[i]!);
    return known ? pyTuple(known) : `tuple(${arg(i)}.tolist())`;
  };
  const a = () => arg(0);
  const b = () => arg(1);

  switch (node.op) {
    case 'Gather':
      return same(`np.take(${a()}, ${b()}, axis=${intAttr('axis', 0)})`);
    case 'MatMul':
      return same(`np.matmul(${a()}, ${b()})`);
    case 'Add':
      return same(`${a()} + ${b()}`);
    case 'Sub':
      return same(`${a()} - ${b()}`);
    case 'Mul':
      return same(`${a()} * ${b()}`);
    case 'Div':
      // ONNX integer division truncates toward zero; numpy's // rounds down.
      return kindOf(0) === 'float' ? same(`${a()} / ${b()}`) : same(`${ctx.helper('int_div')}(${a()}, ${b()})`);
    case 'Neg':
      return same(`-${a()}`);
    case 'Sqrt':
      return float(`np.sqrt(${a()})`);
    case 'Exp':
      return float(`np.exp(${a()})`);
    case 'Log':
      return float(`np.log(${a()})`);
    case 'Abs':
      return same(`np.abs(${a()})`);
    case 'Pow':
      // ONNX keeps the base's type; numpy would promote float32 ** int64 to float64.
      return same(kindOf(1) === kindOf(0) ? `np.power(${a()}, ${b()})` : `np.power(${a()}, ${b()}.astype(${a()}.dtype))`);
    case 'Relu':
      // DTYPE(0), not 0: numpy 1.x promotes a 0-d float32 array with a Python int to float64.
      return same(`np.maximum(${a()}, ${kindOf(0) === 'float' ? 'DTYPE(0)' : '0'})`);
    case 'Sigmoid':
      return float(`${ctx.helper('sigmoid')}(${a()})`);
    case 'Tanh':
      return float(`np.tanh(${a()})`);
    case 'Erf':
      return float(`${ctx.helper('erf')}(${a()})`);
    case 'Softmax':
      return float(`${ctx.helper('softmax')}(${a()}, axis=${intAttr('axis', -1)})`);
    case 'ReduceMean':
      return same(`np.mean(${a()}, axis=${axesFromAttr(attr('axes'))}, keepdims=${pyBool(intAttr('keepdims', 1))})`);
    case 'ReduceMax':
      return same(`np.max(${a()}, axis=${axesFromAttr(attr('axes'))}, keepdims=${pyBool(intAttr('keepdims', 1))})`);
    case 'ReduceSum': {
      const keep = pyBool(intAttr('keepdims', 1));
      if (present[1] === undefined) {
        // No axes: all of them, or none at all with noop_with_empty_axes.
        return same(intAttr('noop_with_empty_axes', 0) ? a() : `np.sum(${a()}, axis=None, keepdims=${keep})`);
      }
      // An empty axes tensor means "all axes" (None) unless noop_with_empty_axes, where () reduces nothing.
      const noop = intAttr('noop_with_empty_axes', 0) === 1;
      const known = ctx.intConst(present[1]);
      if (known) {
        if (known.length === 0) return same(noop ? a() : `np.sum(${a()}, axis=None, keepdims=${keep})`);
        return same(`np.sum(${a()}, axis=${pyTuple(known)}, keepdims=${keep})`);
      }
      const axes = noop ? `tuple(${b()}.tolist())` : `tuple(${b()}.tolist()) or None`;
      return same(`np.sum(${a()}, axis=${axes}, keepdims=${keep})`);
    }
    case 'Max':
    case 'Min':
      return same(chain(node.op === 'Max' ? 'np.maximum' : 'np.minimum', present.filter((v): v is string => v !== undefined).map(ctx.id)));
    case 'Reshape':
      return same(`${ctx.helper('onnx_reshape')}(${a()}, ${b()}${intAttr('allowzero', 0) ? ', allowzero=1' : ''})`);
    case 'Transpose': {
      const perm = attr('perm');
      return same(Array.isArray(perm) ? `np.transpose(${a()}, ${pyTuple(perm)})` : `np.transpose(${a()})`);
    }
    case 'Concat':
      return same(`np.concatenate([${present.filter((v): v is string => v !== undefined).map(ctx.id).join(', ')}], axis=${intAttr('axis', 0)})`);
    case 'Slice': {
      const optional = [3, 4].filter((i) => present[i] !== undefined);
      const extra = optional.map((i) => `, ${i === 3 ? 'axes' : 'steps'}=${arg(i)}`).join('');
      return same(`${ctx.helper('onnx_slice')}(${a()}, ${arg(1)}, ${arg(2)}${extra})`);
    }
    case 'Shape': {
      const start = attr('start');
      const end = attr('end');
      const range = `${typeof start === 'number' ? start : ''}:${typeof end === 'number' ? end : ''}`;
      return { expr: `np.array(${a()}.shape[${range}], dtype=np.int64)`, kind: 'int64' };
    }
    case 'Unsqueeze':
      return same(`np.expand_dims(${a()}, ${axesText(1)})`);
    case 'Squeeze':
      return same(present[1] === undefined ? `np.squeeze(${a()})` : `np.squeeze(${a()}, axis=${axesText(1)})`);
    case 'Expand':
      // ONNX Expand broadcasts both ways: the result has the broadcast of both shapes.
      return same(`np.broadcast_to(${a()}, np.broadcast_shapes(${a()}.shape, tuple(${b()}.tolist())))`);
    case 'Cast': {
      const target = castTarget(attr('to'), node);
      return { expr: `${a()}.astype(${target.numpy})`, kind: target.kind };
    }
    case 'Identity':
      return same(a());
    case 'Where':
      return { expr: `np.where(${a()}, ${b()}, ${arg(2)})`, kind: kindOf(1) };
    case 'Equal':
      return { expr: `np.equal(${a()}, ${b()})`, kind: 'bool' };
    case 'Less':
      return { expr: `np.less(${a()}, ${b()})`, kind: 'bool' };
    case 'Greater':
      return { expr: `np.greater(${a()}, ${b()})`, kind: 'bool' };
    case 'GreaterOrEqual':
      return { expr: `np.greater_equal(${a()}, ${b()})`, kind: 'bool' };
    case 'Not':
      return { expr: `np.logical_not(${a()})`, kind: 'bool' };
    case 'Loop':
      // The export reads the unrolled graph (compileSource's `ir`), where no Loop is left.
      throw new UnsupportedNodeError(`node ${node.name} (Loop): export the unrolled graph`);
  }
}

function pyBool(v: number): string {
  return v ? 'True' : 'False';
}

function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}

/** ReduceMean/ReduceMax at opset 17 take axes as an attribute; absent means every axis. */
function axesFromAttr(axes: IrAttr | undefined): string {
  if (axes === undefined) return 'None';
  return pyTuple(Array.isArray(axes) ? axes : [Number(axes)]);
}

function chain(fn: string, args: string[]): string {
  if (args.length === 0) throw new UnsupportedNodeError(`${fn} needs at least one input`);
  return args.slice(1).reduce((acc, x) => `${fn}(${acc}, ${x})`, args[0]!);
}

/** Cast's `to`: the IR spells it as an element type name; ONNX enum numbers are accepted too. */
function castTarget(to: IrAttr | undefined, node: IrNode): { numpy: string; kind: ValueKind } {
  switch (to) {
    case 'float':
      return { numpy: 'DTYPE', kind: 'float' };
    case 'float32':
    case 1:
      return { numpy: 'np.float32', kind: 'float' };
    case 'float64':
    case 11:
      return { numpy: 'np.float64', kind: 'float' };
    case 'int64':
    case 7:
      return { numpy: 'np.int64', kind: 'int64' };
    case 'bool':
    case 9:
      return { numpy: 'np.bool_', kind: 'bool' };
    default:
      throw new UnsupportedNodeError(`node ${node.name} (Cast): cannot export to = ${JSON.stringify(to)}`);
  }
}

/** The Python source of each helper, in the order they are written into the module. */
export const HELPER_SOURCE: Record<HelperName, string> = {
  softmax: `def softmax(x, axis):
    """ONNX Softmax (opset 13+) along one axis, with the row maximum subtracted so exp cannot overflow."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)`,
  sigmoid: `def sigmoid(x):
    """1 / (1 + exp(-x)). For very negative x, exp overflows to inf and the result is the correct
    limit 0 (the overflow warning is silenced in forward); everywhere else it is accurate to
    rounding, relative to the result."""
    one = x.dtype.type(1)
    return one / (one + np.exp(-x))`,
  erf: `def erf(x):
    """The error function entry by entry (numpy has none), in x's dtype."""
    return np.vectorize(math.erf, otypes=[x.dtype])(x)`,
  onnx_reshape: `def onnx_reshape(x, shape, allowzero=0):
    """ONNX Reshape: a 0 in \`shape\` keeps the input's size on that axis (unless allowzero), and
    one -1 is inferred from the rest."""
    dims = [int(d) for d in shape]
    if not allowzero:
        dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    return np.reshape(x, dims)`,
  onnx_slice: `def onnx_slice(x, starts, ends, axes=None, steps=None):
    """ONNX Slice: x[start:end:step] on each listed axis (all leading axes when none are listed).
    Out-of-range bounds clamp exactly as Python slices do."""
    if axes is None:
        axes = range(len(starts))
    if steps is None:
        steps = [1] * len(starts)
    index = [slice(None)] * x.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[int(axis)] = slice(int(start), int(end), int(step))
    return x[tuple(index)]`,
  int_div: `def int_div(a, b):
    """ONNX Div on integers: the quotient rounded toward zero (numpy's // rounds down)."""
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)`,
};

export const HELPER_ORDER: readonly HelperName[] = ['softmax', 'sigmoid', 'erf', 'onnx_reshape', 'onnx_slice', 'int_div'];
