// PLACEHOLDER (a helper replaces this file): softmax and logSoftmax.
import type { Tensor } from '../tensor';
const pending = (name: string): never => { throw new Error(`${name} is not implemented yet`); };
export const softmax = (_x: Tensor, _axis = -1): Tensor => pending('softmax');
export const logSoftmax = (_x: Tensor, _axis = -1): Tensor => pending('logSoftmax');
