// Max and average pooling over NHWC images, and their gradients as ops of their own (so that
// second derivatives work): each gradient kernel runs one invocation per input pixel and gathers
// from the windows that contain it, so overlapping windows need no atomics.
import windowSource from '../../shaders/window.wgsl';
import poolArgmaxSource from '../../shaders/poolArgmax.wgsl';
import poolSource from '../../shaders/pool.wgsl';
import poolGradSource from '../../shaders/poolGrad.wgsl';
import { ValueError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { kernelOp, opKernel, type Kernel, type OpBackward } from './kernelOp';
import { assertFloat } from './operand';
import { assertImageBatch, explicitPadding, perAxis, windowGeometry, windowUniforms, type Padding, type PerAxis, type WindowGeometry } from './windows';

const poolKernel = opKernel('pool', windowSource + poolArgmaxSource + poolSource);
const poolGradKernel = opKernel('poolGrad', windowSource + poolArgmaxSource + poolGradSource);

export interface Pool2dOptions {
  /** Window size: one number or [height, width] (default 2). */
  poolSize?: PerAxis;
  /** Step between windows (default: poolSize, so windows tile the image). */
  strides?: PerAxis;
  /**
   * 'valid' (default), 'same', or explicit zeros per side ([[top, bottom], [left, right]], each less
   * than the window); padded pixels never count (max ignores them, avg divides by the real pixels), as TF does for 'same'.
   */
  padding?: Padding;
}

type PoolKind = 'max' | 'avg';

/** The largest value of each window, x [N, H, W, C] → [N, OH, OW, C]; gradient to the first largest. */
export function maxPool2d(x: Tensor, options: Pool2dOptions = {}): Tensor {
  return maxPool(x, poolGeometry('maxPool2d', x, options));
}

/** The mean of each window, x [N, H, W, C] → [N, OH, OW, C]; 'same' padding is left out of the count. */
export function avgPool2d(x: Tensor, options: Pool2dOptions = {}): Tensor {
  return avgPool(x, poolGeometry('avgPool2d', x, options));
}

function poolGeometry(op: string, x: Tensor, options: Pool2dOptions): WindowGeometry {
  x.assertAlive(op);
  assertFloat(op, x);
  const poolSize = perAxis(op, 'poolSize', options.poolSize ?? 2);
  const strides = perAxis(op, 'strides', options.strides ?? poolSize);
  const padding = options.padding ?? 'valid';
  assertImageBatch(op, x.shape);
  const call = `input ${formatShape(x.shape)}, poolSize [${poolSize}], strides [${strides}], padding ${JSON.stringify(padding)}`;
  assertPoolPadding(op, padding, poolSize, call);
  return windowGeometry(op, x.shape, poolSize, strides, padding, [1, 1], call);
}

/** Checks a pool's padding; explicit padding must be smaller than the window on every side. */
export function assertPoolPadding(op: string, padding: Padding, poolSize: [number, number], call: string): void {
  if (typeof padding === 'string') {
    if (padding !== 'valid' && padding !== 'same') throw new ValueError(`${op}: padding must be 'valid', 'same' or explicit, got '${padding}'`);
    return;
  }
  // A window wholly inside the padding would pool nothing (no max, a 0/0 mean).
  const pads = explicitPadding(op, padding);
  if (pads.some((pair, axis) => pair.some((pad) => pad >= poolSize[axis]))) {
    throw new ValueError(`${op}: each explicit padding must be smaller than the window (poolSize) along its axis: ${call}`);
  }
}

/**
 * One pool kernel as an op: y [N, OH, OW, C] pools `values` (null: x itself, the only input then)
 * over the windows, max taking it where x, of the same shape, is first largest.
 */
function runPool(name: string, kind: PoolKind, x: Tensor, values: Tensor | null, g: WindowGeometry, backward: OpBackward): Tensor {
  const inputs = values ? [x, values] : [x];
  return poolKernelOp(name, poolKernel, kind, inputs, { x, values: values ?? x }, 'out', [g.batch, g.outSize[0], g.outSize[1], g.channels], g, backward);
}

/**
 * dy [N, OH, OW, C] → dx [N, H, W, C], recorded on [x, dy] for max; avg records [dy] only and binds
 * it in x's place (the kernel reads x only for max).
 */
function runPoolGrad(name: string, kind: PoolKind, x: Tensor | null, dy: Tensor, g: WindowGeometry, backward: OpBackward): Tensor {
  const inputs = x ? [x, dy] : [dy];
  return poolKernelOp(name, poolGradKernel, kind, inputs, { x: x ?? dy, dy }, 'dx', [g.batch, g.inSize[0], g.inSize[1], g.channels], g, backward);
}

/** One invocation per element of a new output of `outShape`, bound as `outName` beside `bindings`. */
function poolKernelOp(
  name: string, kernel: Kernel, kind: PoolKind, inputs: Tensor[], bindings: Record<string, Tensor>,
  outName: string, outShape: number[], g: WindowGeometry, backward: OpBackward,
): Tensor {
  return kernelOp(name, inputs, () => ({
    output: { shape: outShape, dtype: 'float32' },
    steps: (out) => [{
      kernel,
      tensors: { ...bindings, [outName]: out },
      uniforms: windowUniforms(g, out.size),
      variant: { constants: { MAX: kind === 'max' ? 1 : 0 } },
      threads: out.size,
    }],
    backward,
  }));
}

function maxPool(x: Tensor, g: WindowGeometry): Tensor {
  return runPool('maxPool2d', 'max', x, null, g, (dy) => [maxPoolGrad(x, dy, g)]);
}

/** dy [N, OH, OW, C] → dx shaped like x: dy routed to each window's (first) largest x. */
function maxPoolGrad(x: Tensor, dy: Tensor, g: WindowGeometry): Tensor {
  // Linear in dy, with pickAtMax as its adjoint. The positions are piecewise constant in x, so
  // nothing flows back to x.
  return runPoolGrad('maxPool2dGrad', 'max', x, dy, g, (ddx) => [null, pickAtMax(x, ddx, g)]);
}

/** For each window, the element of `values` where x is (first) largest: the adjoint of maxPoolGrad. */
function pickAtMax(x: Tensor, values: Tensor, g: WindowGeometry): Tensor {
  return runPool('maxPool2dPick', 'max', x, values, g, (dpicked) => [null, maxPoolGrad(x, dpicked, g)]);
}

function avgPool(x: Tensor, g: WindowGeometry): Tensor {
  return runPool('avgPool2d', 'avg', x, null, g, (dy) => [avgPoolGrad(dy, g)]);
}

/** dy [N, OH, OW, C] → dx [N, H, W, C]: each window's gradient spread evenly over its pixels. */
function avgPoolGrad(dy: Tensor, g: WindowGeometry): Tensor {
  // Linear in dy, and its adjoint is average pooling again.
  return runPoolGrad('avgPool2dGrad', 'avg', null, dy, g, (ddx) => [avgPool(ddx, g)]);
}
