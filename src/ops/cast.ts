// Dtype conversion: float32 → int32 truncates toward zero (as TF.js); the same dtype gives a copy.
import castSource from '../../shaders/cast.wgsl';
import { recordOp } from '../autograd/recorder';
import { ValueError } from '../errors';
import { encodeCopy } from '../runtime/commands';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { BYTES_PER_ELEMENT, Tensor, type DType } from '../tensor';
import { asTensor, wgslType, type TensorLike } from './operand';

const castKernel = defineKernel('cast', castSource);

/**
 * x converted to `dtype`, always a new tensor (disposing either never affects the other). The
 * gradient passes unchanged from float32 to float32; nothing flows through an int32 side.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`cast: expected a Tensor, got ${typeof x}`);
  x.assertAlive('cast');
  if (dtype !== 'float32' && dtype !== 'int32') throw new ValueError(`cast: unknown dtype '${String(dtype)}'; expected 'float32' or 'int32'`);
  const out = Tensor.empty(x.shape, dtype);
  if (x.dtype === dtype) {
    encodeCopy(x.buffer, 0, out.buffer, 0, x.size * BYTES_PER_ELEMENT);
  } else {
    launch(castKernel, {
      buffers: { x: x.buffer, out: out.buffer },
      uniforms: { count: x.size },
      variant: { aliases: { From: wgslType(x.dtype), To: wgslType(dtype) } },
      threads: x.size,
    });
  }
  // An int32 output is non-differentiable already (the recorder drops its rule); int32 → float32 has no input gradient.
  recordOp('cast', [x], out, x.dtype === 'float32' ? (dy) => [dy] : null);
  return out;
}

/** `value` as a tensor of `dtype`: numbers become scalars, other dtypes a cast copy (see releaseTemporary). */
export function toDtype(op: string, value: TensorLike, dtype: DType): Tensor {
  const tensor = asTensor(op, value, dtype);
  return tensor.dtype === dtype ? tensor : cast(tensor, dtype);
}
