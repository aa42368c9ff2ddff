// PLACEHOLDER (a helper replaces this file): gather and oneHot.
import type { Tensor } from '../tensor';
const pending = (name: string): never => { throw new Error(`${name} is not implemented yet`); };
export const gather = (_x: Tensor, _indices: Tensor, _axis = 0): Tensor => pending('gather');
export const oneHot = (_indices: Tensor, _depth: number): Tensor => pending('oneHot');
