// Turning what users pass (tensors or plain numbers) into tensors, and checking them, for every op.
import { ValueError } from '../errors';
import { Tensor, type DType } from '../tensor';
import { fillWith } from './creation';

/** Anything an op accepts where a tensor is expected: numbers become scalar tensors. */
export type TensorLike = Tensor | number;

/** A tensor for `value`; a number becomes a scalar of `dtype` (the other operand's dtype). */
export function asTensor(op: string, value: TensorLike, dtype: DType = 'float32'): Tensor {
  if (value instanceof Tensor) {
    value.assertAlive(op);
    return value;
  }
  if (typeof value !== 'number') throw new ValueError(`${op}: expected a Tensor or a number, got ${typeof value}`);
  const scalarDtype = dtype === 'int32' && Number.isInteger(value) ? 'int32' : 'float32';
  return scalarConstant(value, scalarDtype);
}

/**
 * Numbers in ops (`mul(x, 2)`, `sub(1, y)`) become cached constant scalars: a training step
 * reuses the same few, so each is filled on the GPU once instead of once per use.
 */
const scalarConstants = new Map<string, Tensor>();
const MAX_SCALAR_CONSTANTS = 4096;

function scalarConstant(value: number, dtype: DType): Tensor {
  const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
  let constant = scalarConstants.get(key);
  // A constant made on a device since lost, or filled by work the GPU rejected, is made again.
  if (!constant || constant.isDeviceLost || constant.isPoisoned) {
    if (scalarConstants.size >= MAX_SCALAR_CONSTANTS) return fillWith(Tensor.empty([], dtype), value);
    constant = fillWith(Tensor.emptyConstant([], dtype), value);
    scalarConstants.set(key, constant);
  }
  return constant;
}

/** The dtype two operands compute in: int32 only when both are int32 (as NumPy/PyTorch promote). */
export function resultDtype(a: TensorLike, b: TensorLike): DType {
  const dtypeOf = (value: TensorLike): DType =>
    value instanceof Tensor ? value.dtype : Number.isInteger(value) ? 'int32' : 'float32';
  if (a instanceof Tensor || b instanceof Tensor) {
    return dtypeOf(a) === 'int32' && dtypeOf(b) === 'int32' ? 'int32' : 'float32';
  }
  return 'float32';
}

/** WGSL element type for a dtype, for rebinding a kernel's `Element` alias. */
export function wgslType(dtype: DType): 'f32' | 'i32' {
  return dtype === 'int32' ? 'i32' : 'f32';
}

export function assertFloat(op: string, tensor: Tensor): void {
  if (tensor.dtype !== 'float32') throw new ValueError(`${op}: expects a float32 tensor, got ${tensor.dtype}; cast it first`);
}

/** Disposes `used` when the op made it from `given` (a number turned tensor, a cast copy). */
export function releaseTemporary(given: TensorLike, used: Tensor): void {
  if (used !== given) used.dispose();
}
