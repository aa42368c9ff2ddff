// Elementwise arithmetic with NumPy broadcasting; gradients are summed back to each input's shape.
import binarySource from '../../shaders/binary.wgsl';
import { recordOp } from '../autograd/recorder';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor, type DType } from '../tensor';
import { broadcastShapes, broadcastStrides, shapesEqual, type Shape } from '../shape';
import { ShapeError, formatShape } from '../errors';
import { greaterEqual, lessEqual } from './compare';
import { sum } from './reduce';
import { reshape } from './movement';
import { log } from './unary';
import { asTensor, releaseTemporary, resultDtype, wgslType, type TensorLike } from './operand';
import { cast } from './cast';

const binaryKernel = defineKernel('binary', binarySource);
export const MAX_RANK = 8;

/** The gradient for one input given a, b, the output and its gradient, before unbroadcasting. */
type PartialDerivative = (a: Tensor, b: Tensor, out: Tensor, dy: Tensor) => Tensor;

const binaryOps = {
  add: { code: 0, gradA: (_a, _b, _o, dy) => dy, gradB: (_a, _b, _o, dy) => dy },
  sub: { code: 1, gradA: (_a, _b, _o, dy) => dy, gradB: (_a, _b, _o, dy) => mul(dy, -1) },
  mul: { code: 2, gradA: (_a, b, _o, dy) => mul(dy, b), gradB: (a, _b, _o, dy) => mul(dy, a) },
  div: { code: 3, gradA: (_a, b, _o, dy) => div(dy, b), gradB: (_a, b, out, dy) => mul(dy, div(out, mul(b, -1))) },
  // d/da a^b = b·a^(b−1) (written as b·out/a would fail at a = 0); d/db = out·ln a.
  pow: { code: 4, gradA: (a, b, _o, dy) => mul(dy, mul(b, pow(a, sub(b, 1)))), gradB: (a, _b, out, dy) => mul(dy, mul(out, log(a))) },
  // Ties send the gradient to both inputs, as TF.js does.
  maximum: { code: 5, gradA: (a, b, _o, dy) => mul(dy, greaterEqual(a, b)), gradB: (a, b, _o, dy) => mul(dy, lessEqual(a, b)) },
  minimum: { code: 6, gradA: (a, b, _o, dy) => mul(dy, lessEqual(a, b)), gradB: (a, b, _o, dy) => mul(dy, greaterEqual(a, b)) },
} satisfies Record<string, { code: number; gradA: PartialDerivative; gradB: PartialDerivative }>;

export type BinaryOpName = keyof typeof binaryOps;

/**
 * Uniform values that let a kernel read inputs of other shapes as if broadcast to `outShape`:
 * `rank`, `outShape`, and per input its strides over the output (0 on broadcast dims). Dims are
 * first collapsed — size-1 dims dropped, neighbours merged where every input steps through them
 * contiguously — because each remaining dim costs the kernel a division per element.
 */
export function broadcastUniforms(op: string, outShape: Shape, inputShapes: Record<string, Shape>): Record<string, number[] | number> {
  const names = Object.keys(inputShapes);
  const strides = names.map((name) => broadcastStrides(inputShapes[name], outShape));
  const dims: { size: number; strides: number[] }[] = [];
  outShape.forEach((size, axis) => {
    if (size === 1) return;
    const axisStrides = strides.map((perInput) => perInput[axis]);
    const previous = dims[dims.length - 1];
    if (previous && previous.strides.every((stride, k) => stride === axisStrides[k] * size)) {
      previous.size *= size;
      previous.strides = axisStrides;
    } else {
      dims.push({ size, strides: axisStrides });
    }
  });
  if (dims.length > MAX_RANK) throw new ShapeError(`${op}: rank ${outShape.length} exceeds the supported ${MAX_RANK} (shape ${formatShape(outShape)})`);
  const uniforms: Record<string, number[] | number> = { rank: dims.length, outShape: dims.map((dim) => dim.size) };
  names.forEach((name, k) => { uniforms[name] = dims.map((dim) => dim.strides[k]); });
  return uniforms;
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function unbroadcast(gradient: Tensor, shape: Shape): Tensor {
  if (shapesEqual(gradient.shape, shape)) return gradient;
  const leading = gradient.rank - shape.length;
  const axes: number[] = [];
  for (let axis = 0; axis < gradient.rank; axis++) {
    if (axis < leading || shape[axis - leading] === 1) axes.push(axis);
  }
  return reshape(sum(gradient, axes, false), [...shape]);
}

function binary(op: BinaryOpName, left: TensorLike, right: TensorLike): Tensor {
  // pow and div compute in float32 even for int32 operands, as NumPy's true division does.
  const integerOp = op !== 'div' && op !== 'pow';
  const dtype: DType = integerOp ? resultDtype(left, right) : 'float32';
  const a = toDtype(op, left, dtype);
  const b = toDtype(op, right, dtype);
  try {
    return binaryKernelCall(op, a, b, dtype);
  } finally {
    releaseTemporary(left, a);
    releaseTemporary(right, b);
  }
}

function binaryKernelCall(op: BinaryOpName, a: Tensor, b: Tensor, dtype: DType): Tensor {
  const outShape = broadcastShapes(op, a.shape, b.shape);
  const strides = broadcastUniforms(op, outShape, { stridesA: a.shape, stridesB: b.shape });
  const out = Tensor.empty(outShape, dtype);
  const broadcast = !(shapesEqual(a.shape, outShape) && shapesEqual(b.shape, outShape));
  launch(binaryKernel, {
    buffers: { a: a.buffer, b: b.buffer, out: out.buffer },
    uniforms: { count: out.size, ...strides },
    variant: { aliases: { Element: wgslType(dtype) }, constants: { OP: binaryOps[op].code, BROADCAST: broadcast ? 1 : 0 } },
    threads: out.size,
  });
  const rule = binaryOps[op];
  recordOp(op, [a, b], out, (dy, needed) => [
    needed[0] ? unbroadcast(rule.gradA(a, b, out, dy), a.shape) : null,
    needed[1] ? unbroadcast(rule.gradB(a, b, out, dy), b.shape) : null,
  ]);
  return out;
}

/** `value` as a tensor of `dtype`: numbers become scalars, other dtypes a cast copy (see releaseTemporary). */
export function toDtype(op: string, value: TensorLike, dtype: DType): Tensor {
  const tensor = asTensor(op, value, dtype);
  return tensor.dtype === dtype ? tensor : cast(tensor, dtype);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
/** True division: int32 operands give float32, as NumPy and PyTorch do. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
/** a^b, float32; negative bases work with integral exponents. */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);
