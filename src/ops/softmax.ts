// Softmax and log-softmax along one axis (max-shifted, so ±1e4 logits stay finite), with backward rules.
import ieeeSource from '../../shaders/ieee.wgsl';
import softmaxSource from '../../shaders/softmax.wgsl';
import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { normalizeAxis, sizeOf } from '../shape';
import { mul, sub } from './binary';
import { kernelOp, opKernel } from './kernelOp';
import { assertFloat } from './operand';
import { sum } from './reduce';
import { exp } from './unary';

const softmaxKernel = opKernel('softmax', ieeeSource + softmaxSource);

/** Input gradient from the output y and its gradient dy, both along `axis`. */
type SoftmaxBackward = (y: Tensor, dy: Tensor, axis: number) => Tensor;

const softmaxOps = {
  // dx = y · (dy − Σ dy·y)
  softmax: { log: false, backward: (y, dy, axis) => mul(y, sub(dy, sum(mul(dy, y), axis, true))) },
  // dx = dy − softmax(x) · Σ dy, with softmax(x) = exp(y)
  logSoftmax: { log: true, backward: (y, dy, axis) => sub(dy, mul(exp(y), sum(dy, axis, true))) },
} satisfies Record<string, { log: boolean; backward: SoftmaxBackward }>;

function softmaxKernelCall(op: keyof typeof softmaxOps, x: Tensor, axis: number): Tensor {
  return kernelOp(op, [x], () => {
    assertFloat(op, x);
    if (x.rank === 0) throw new ValueError(`${op}: axis ${axis} is out of range for a tensor of rank 0`);
    const along = normalizeAxis(op, axis, x.rank);
    const length = x.shape[along];
    const inner = sizeOf(x.shape.slice(along + 1));
    const rows = sizeOf(x.shape.slice(0, along)) * inner;
    return {
      output: { shape: x.shape, dtype: 'float32' },
      steps: (y) => (x.size === 0 ? [] : [{
        kernel: softmaxKernel,
        tensors: { x, out: y },
        uniforms: { rows, length, inner },
        variant: { constants: { LOG: softmaxOps[op].log ? 1 : 0 } },
        threads: rows,
      }]),
      backward: (dy, _needed, y) => [softmaxOps[op].backward(y, dy, along)],
    };
  });
}

/** exp(x) / Σ exp(x) along `axis` (default last), computed as exp(x − max) / Σ exp(x − max). */
export const softmax = (x: Tensor, axis = -1): Tensor => softmaxKernelCall('softmax', x, axis);

/** x − log Σ exp(x) along `axis` (default last), computed as (x − max) − log Σ exp(x − max). */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxKernelCall('logSoftmax', x, axis);
