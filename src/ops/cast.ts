// PLACEHOLDER (being written by a helper): dtype conversion.
import type { Tensor, DType } from '../tensor';
export function cast(_x: Tensor, _dtype: DType): Tensor { throw new Error('cast is not implemented yet'); }
