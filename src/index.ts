// webgrad's public API: `import * as wg from './dist/webgrad.js'`.
export { init, isInitialized, getAdapterInfo, getDevice, type InitOptions } from './runtime/device';
export { isSupported } from './runtime/support';
export { releasePool, setPoolLimit } from './runtime/bufferPool';
export { synchronize, commandStats } from './runtime/commands';
export { Tensor, type DType, type NestedArray } from './tensor';
import { installTensorMethods } from './ops/methods';
installTensorMethods();
export { tidy, keep, memory } from './memory';
export * from './errors';
export { tensor, full, zeros, ones, arange, eye, type TensorData } from './ops/creation';
export type { TensorLike, NumericArray } from './ops/operand';
// Every op taking tensors, accepting TensorLike arguments (these names shadow the same names in the
// `export *` lines below, which bring the option types). The op table's rows take TensorLike
// themselves and come through the `export *` lines (unary, binary, pow, gelu, compare).
export {
  clip, sum, mean, max, min, argmax, softmax, logSoftmax, reshape, transpose,
  broadcastTo, slice, concat, cast, matmul, linear, gather, oneHot, conv2d, conv2dBackpropInput,
  conv2dBackpropFilter, maxPool2d, avgPool2d, moments, batchNorm, layerNorm, dropout, scaledDotProductAttention, zerosLike, onesLike,
  dot, outerProduct,
} from './ops/public';
export * from './ops/unary';
export * from './ops/binary';
export * from './ops/pow';
export * from './ops/gelu';
export * from './ops/compare';
export * from './ops/reduce';
export * from './ops/movement';
export * from './ops/cast';
export { noGrad, isRecording } from './autograd/recorder';
export * from './ops/softmax';
export * from './ops/matmul';
export * from './ops/indexing';
export * from './ops/conv';
export * from './ops/depthwiseConv';
export * from './ops/pool';
export type { PerAxis, Padding } from './ops/windows';
export { setSeed, rand, randn, randomInt } from './ops/random';
export type { Moments, LayerNormOptions } from './ops/normalization';
export type { DropoutOptions } from './ops/dropout';
export { causalMask, MASKED_SCORE, type AttentionOptions } from './ops/attention';
export { Tape, type TapeOptions, type GradientOptions } from './autograd/tape';
export { grad, valueAndGrad, variable, gradcheck, type GradcheckOptions, type GradcheckResult } from './autograd/functional';
export * from './nn';
export * as layers from './nn/layers';
export * from './io';
export * as optimizers from './optim';
export * as losses from './losses';
export * as metrics from './metrics';
export * as worker from './worker';
export * as data from './data';
export { customOp, loadCustomOpSupport, type CustomOpSpec } from './ops/custom';
export { jit, type JitFunction, type JitOptions, type JitStats } from './jit';
export { profile, formatProfile, type ProfileReport, type KernelTiming } from './runtime/profiler';
export type { EpilogueActivation } from './ops/linear';
