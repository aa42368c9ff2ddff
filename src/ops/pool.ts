// Max and average pooling over NHWC images, and their gradients as ops of their own (so that
// second derivatives work): each gradient kernel runs one invocation per input pixel and gathers
// from the windows that contain it, so overlapping windows need no atomics.
import windowSource from '../../shaders/window.wgsl';
import poolArgmaxSource from '../../shaders/poolArgmax.wgsl';
import poolSource from '../../shaders/pool.wgsl';
import poolGradSource from '../../shaders/poolGrad.wgsl';
import { recordOp } from '../autograd/recorder';
import { ValueError, formatShape } from '../errors';
import { defineKernel, type Kernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor } from '../tensor';
import { assertFloat } from './operand';
import { assertImageBatch, explicitPadding, perAxis, windowGeometry, windowUniforms, type Padding, type PerAxis, type WindowGeometry } from './windows';

const poolKernel = defineKernel('pool', windowSource + poolArgmaxSource + poolSource);
const poolGradKernel = defineKernel('poolGrad', windowSource + poolArgmaxSource + poolGradSource);

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

/** Pools `values` over the windows, choosing (for max) where `x`, of the same shape, is largest. */
function runPool(kind: PoolKind, x: Tensor, values: Tensor, g: WindowGeometry): Tensor {
  return launchPoolKernel(poolKernel, kind, { x, values }, 'out', [g.batch, g.outSize[0], g.outSize[1], g.channels], g);
}

/** dy [N, OH, OW, C] → dx [N, H, W, C]; `x` is only read for max (avg binds dy in its place). */
function runPoolGrad(kind: PoolKind, x: Tensor, dy: Tensor, g: WindowGeometry): Tensor {
  return launchPoolKernel(poolGradKernel, kind, { x, dy }, 'dx', [g.batch, g.inSize[0], g.inSize[1], g.channels], g);
}

/** One invocation per element of a new output of `outShape`, bound as `outName`. */
function launchPoolKernel(kernel: Kernel, kind: PoolKind, inputs: Record<string, Tensor>, outName: string, outShape: number[], g: WindowGeometry): Tensor {
  const out = Tensor.empty(outShape, 'float32');
  const buffers: Record<string, GPUBuffer> = { [outName]: out.buffer };
  for (const [name, tensor] of Object.entries(inputs)) buffers[name] = tensor.buffer;
  launch(kernel, {
    buffers,
    uniforms: windowUniforms(g, out.size),
    variant: { constants: { MAX: kind === 'max' ? 1 : 0 } },
    threads: out.size,
  });
  return out;
}

function maxPool(x: Tensor, g: WindowGeometry): Tensor {
  const y = runPool('max', x, x, g);
  recordOp('maxPool2d', [x], y, (dy) => [maxPoolGrad(x, dy, g)]);
  return y;
}

/** dy [N, OH, OW, C] → dx shaped like x: dy routed to each window's (first) largest x. */
function maxPoolGrad(x: Tensor, dy: Tensor, g: WindowGeometry): Tensor {
  const dx = runPoolGrad('max', x, dy, g);
  // Linear in dy, with pickAtMax as its adjoint. The positions are piecewise constant in x, so
  // nothing flows back to x.
  recordOp('maxPool2dGrad', [x, dy], dx, (ddx) => [null, pickAtMax(x, ddx, g)]);
  return dx;
}

/** For each window, the element of `values` where x is (first) largest: the adjoint of maxPoolGrad. */
function pickAtMax(x: Tensor, values: Tensor, g: WindowGeometry): Tensor {
  const picked = runPool('max', x, values, g);
  recordOp('maxPool2dPick', [x, values], picked, (dpicked) => [null, maxPoolGrad(x, dpicked, g)]);
  return picked;
}

function avgPool(x: Tensor, g: WindowGeometry): Tensor {
  const y = runPool('avg', x, x, g);
  recordOp('avgPool2d', [x], y, (dy) => [avgPoolGrad(dy, g)]);
  return y;
}

/** dy [N, OH, OW, C] → dx [N, H, W, C]: each window's gradient spread evenly over its pixels. */
function avgPoolGrad(dy: Tensor, g: WindowGeometry): Tensor {
  const dx = runPoolGrad('avg', dy, dy, g);
  // Linear in dy, and its adjoint is average pooling again.
  recordOp('avgPool2dGrad', [dy], dx, (ddx) => [avgPool(ddx, g)]);
  return dx;
}
