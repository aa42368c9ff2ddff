// PLACEHOLDER (a helper replaces this file): comparisons returning float32 0/1, where, clip.
import type { Tensor } from '../tensor';
import type { TensorLike } from './operand';
const pending = (name: string): never => { throw new Error(`${name} is not implemented yet`); };
export const equal = (_a: TensorLike, _b: TensorLike): Tensor => pending('equal');
export const greater = (_a: TensorLike, _b: TensorLike): Tensor => pending('greater');
export const greaterEqual = (_a: TensorLike, _b: TensorLike): Tensor => pending('greaterEqual');
export const less = (_a: TensorLike, _b: TensorLike): Tensor => pending('less');
export const lessEqual = (_a: TensorLike, _b: TensorLike): Tensor => pending('lessEqual');
export const where = (_condition: TensorLike, _a: TensorLike, _b: TensorLike): Tensor => pending('where');
export const clip = (_x: TensorLike, _lo: number, _hi: number): Tensor => pending('clip');
