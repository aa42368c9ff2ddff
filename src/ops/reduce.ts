// PLACEHOLDER (a helper replaces this file): reductions.
import type { Tensor } from '../tensor';
const pending = (name: string): never => { throw new Error(`${name} is not implemented yet`); };
export type Axes = number | readonly number[];
export const sum = (_x: Tensor, _axes?: Axes, _keepDims = false): Tensor => pending('sum');
export const mean = (_x: Tensor, _axes?: Axes, _keepDims = false): Tensor => pending('mean');
export const max = (_x: Tensor, _axes?: Axes, _keepDims = false): Tensor => pending('max');
export const min = (_x: Tensor, _axes?: Axes, _keepDims = false): Tensor => pending('min');
export const argmax = (_x: Tensor, _axis?: number, _keepDims = false): Tensor => pending('argmax');
