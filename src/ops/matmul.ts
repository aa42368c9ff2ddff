// PLACEHOLDER (a helper replaces this file): matmul.
import type { Tensor } from '../tensor';
export interface MatmulOptions { transposeA?: boolean; transposeB?: boolean }
export const matmul = (_a: Tensor, _b: Tensor, _options: MatmulOptions = {}): Tensor => { throw new Error('matmul is not implemented yet'); };
