// Installs every op as a Tensor method (declared by the Tensor interface in src/tensor.ts): the
// tensor module imports no op, so ops import it without a cycle, as TF.js's chained ops do.
import { Tensor, type DType, type TensorMethods } from '../tensor';
import * as binaryOps from './binary';
import { cast } from './cast';
import { clip } from './clip';
import * as compareOps from './compare';
import { gelu, type GeluOptions } from './gelu';
import * as indexingOps from './indexing';
import { matmul, type MatmulOptions } from './matmul';
import * as movementOps from './movement';
import { pow } from './pow';
import { asTensor, withOperand, type TensorLike } from './operand';
import * as reduceOps from './reduce';
import type { Axes } from './reduce';
import * as softmaxOps from './softmax';
import * as unaryOps from './unary';

const methods: TensorMethods & ThisType<Tensor> = {
  add(other: TensorLike): Tensor { return withOperand('add', other, 'other', (b) => binaryOps.add(this, b)); },
  sub(other: TensorLike): Tensor { return withOperand('sub', other, 'other', (b) => binaryOps.sub(this, b)); },
  mul(other: TensorLike): Tensor { return withOperand('mul', other, 'other', (b) => binaryOps.mul(this, b)); },
  div(other: TensorLike): Tensor { return withOperand('div', other, 'other', (b) => binaryOps.div(this, b)); },
  pow(other: TensorLike): Tensor { return withOperand('pow', other, 'other', (b) => pow(this, b)); },
  maximum(other: TensorLike): Tensor { return withOperand('maximum', other, 'other', (b) => binaryOps.maximum(this, b)); },
  minimum(other: TensorLike): Tensor { return withOperand('minimum', other, 'other', (b) => binaryOps.minimum(this, b)); },
  neg(): Tensor { return unaryOps.neg(this); },
  abs(): Tensor { return unaryOps.abs(this); },
  exp(): Tensor { return unaryOps.exp(this); },
  log(): Tensor { return unaryOps.log(this); },
  sqrt(): Tensor { return unaryOps.sqrt(this); },
  rsqrt(): Tensor { return unaryOps.rsqrt(this); },
  square(): Tensor { return unaryOps.square(this); },
  sin(): Tensor { return unaryOps.sin(this); },
  cos(): Tensor { return unaryOps.cos(this); },
  relu(): Tensor { return unaryOps.relu(this); },
  sigmoid(): Tensor { return unaryOps.sigmoid(this); },
  tanh(): Tensor { return unaryOps.tanh(this); },
  gelu(options?: GeluOptions): Tensor { return gelu(this, options); },
  softplus(): Tensor { return unaryOps.softplus(this); },
  equal(other: TensorLike): Tensor { return withOperand('equal', other, 'other', (b) => compareOps.equal(this, b)); },
  greater(other: TensorLike): Tensor { return withOperand('greater', other, 'other', (b) => compareOps.greater(this, b)); },
  greaterEqual(other: TensorLike): Tensor { return withOperand('greaterEqual', other, 'other', (b) => compareOps.greaterEqual(this, b)); },
  less(other: TensorLike): Tensor { return withOperand('less', other, 'other', (b) => compareOps.less(this, b)); },
  lessEqual(other: TensorLike): Tensor { return withOperand('lessEqual', other, 'other', (b) => compareOps.lessEqual(this, b)); },
  clip(lo: number, hi: number): Tensor { return clip(this, lo, hi); },
  sum(axes?: Axes, keepDims = false): Tensor { return reduceOps.sum(this, axes, keepDims); },
  mean(axes?: Axes, keepDims = false): Tensor { return reduceOps.mean(this, axes, keepDims); },
  max(axes?: Axes, keepDims = false): Tensor { return reduceOps.max(this, axes, keepDims); },
  min(axes?: Axes, keepDims = false): Tensor { return reduceOps.min(this, axes, keepDims); },
  argmax(axis?: number, keepDims = false): Tensor { return reduceOps.argmax(this, axis, keepDims); },
  softmax(axis = -1): Tensor { return softmaxOps.softmax(this, axis); },
  logSoftmax(axis = -1): Tensor { return softmaxOps.logSoftmax(this, axis); },
  matmul(other: TensorLike, options?: MatmulOptions): Tensor { return withOperand('matmul', other, 'other', (b) => matmul(this, asTensor('matmul', b), options)); },
  reshape(shape: readonly number[]): Tensor { return movementOps.reshape(this, shape); },
  transpose(perm?: readonly number[]): Tensor { return movementOps.transpose(this, perm); },
  broadcastTo(shape: readonly number[]): Tensor { return movementOps.broadcastTo(this, shape); },
  slice(begin: readonly number[], size?: readonly number[]): Tensor { return movementOps.slice(this, begin, size); },
  gather(indices: TensorLike, axis = 0, batchDims = 0): Tensor { return withOperand('gather', indices, 'indices', (i) => indexingOps.gather(this, asTensor('gather', i, 'int32'), axis, batchDims), 'int32'); },
  cast(dtype: DType): Tensor { return cast(this, dtype); },
};

/**
 * Puts the methods on Tensor.prototype, non-enumerable as class methods are; src/index.ts calls it
 * once, before any user code runs.
 */
export function installTensorMethods(): void {
  for (const [name, method] of Object.entries(methods)) {
    Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}
