// webgrad's public API: `import * as wg from './dist/webgrad.js'`.
export { init, isInitialized, getAdapterInfo } from './runtime/device';
export { synchronize } from './runtime/commands';
export { Tensor, type DType, type NestedArray } from './tensor';
export { tidy, keep, memory } from './memory';
export * from './errors';
export { tensor, full, zeros, ones, zerosLike, onesLike, type TensorData } from './ops/creation';
export type { TensorLike } from './ops/operand';
export * from './ops/unary';
export { add, sub, mul, div, pow, maximum, minimum } from './ops/binary';
export * from './ops/compare';
export * from './ops/reduce';
export * from './ops/movement';
export * from './ops/cast';
export { noGrad } from './autograd/recorder';
export * from './ops/softmax';
export * from './ops/matmul';
export * from './ops/indexing';
export * from './ops/random';
