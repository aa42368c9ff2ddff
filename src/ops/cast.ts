// Dtype conversion: float32 → int32 truncates toward zero and saturates (as TF.js); the same dtype
// gives a copy. The conversions themselves are rows of the op table (src/ops/elementwise.ts).
import { recordOp } from '../autograd/recorder';
import { ValueError } from '../errors';
import { encodeCopy } from '../runtime/commands';
import { BYTES_PER_ELEMENT, Tensor, type DType } from '../tensor';
import { convert } from './elementwise';

/**
 * x converted to `dtype`, always a new tensor (disposing either never affects the other). The
 * gradient passes unchanged from float32 to float32; nothing flows through an int32 side.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`cast: expected a Tensor, got ${typeof x}`);
  x.assertAlive('cast');
  if (dtype !== 'float32' && dtype !== 'int32') throw new ValueError(`cast: unknown dtype '${String(dtype)}'; expected 'float32' or 'int32'`);
  if (x.dtype !== dtype) return convert(x);
  const out = Tensor.empty(x.shape, dtype);
  encodeCopy(x.buffer, 0, out.buffer, 0, x.size * BYTES_PER_ELEMENT);
  recordOp('cast', [x], out, (dy) => [dy]);
  return out;
}
