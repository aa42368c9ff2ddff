// PLACEHOLDER (a helper replaces this file): reshape, transpose, broadcastTo, slice, concat.
import type { Tensor } from '../tensor';
const pending = (name: string): never => { throw new Error(`${name} is not implemented yet`); };
export const reshape = (_x: Tensor, _shape: readonly number[]): Tensor => pending('reshape');
export const transpose = (_x: Tensor, _perm?: readonly number[]): Tensor => pending('transpose');
export const broadcastTo = (_x: Tensor, _shape: readonly number[]): Tensor => pending('broadcastTo');
export const slice = (_x: Tensor, _begin: readonly number[], _size?: readonly number[]): Tensor => pending('slice');
export const concat = (_tensors: readonly Tensor[], _axis = 0): Tensor => pending('concat');
