// PLACEHOLDER (a helper replaces this file): seeded GPU random numbers.
import type { Tensor } from '../tensor';
const pending = (name: string): never => { throw new Error(`${name} is not implemented yet`); };
export const setSeed = (_seed: number): void => pending('setSeed');
export const rand = (_shape: readonly number[], _min = 0, _max = 1): Tensor => pending('rand');
export const randn = (_shape: readonly number[], _mean = 0, _stddev = 1): Tensor => pending('randn');
