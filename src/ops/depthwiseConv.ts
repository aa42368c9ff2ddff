// Depthwise 2-D convolution on NHWC images (TF's tf.nn.depthwise_conv2d): each input channel c is
// convolved with its own `M` filters w[:, :, c, :], giving output channels c·M + m. Forward, input
// gradient and filter gradient are direct register-blocked kernels that differentiate one another,
// as conv2d's do (src/ops/conv.ts), so second derivatives work too. Written as a conv2d with a
// block-diagonal [KH, KW, C, C·M] filter it would cost C times the multiplications.
import windowSource from '../../shaders/window.wgsl';
import depthwiseSource from '../../shaders/depthwiseConv2d.wgsl';
import inputGradSource from '../../shaders/depthwiseConv2dInputGrad.wgsl';
import filterGradSource from '../../shaders/depthwiseConv2dFilterGrad.wgsl';
import { ShapeError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { filterWindowGeometry, type Conv2dOptions } from './conv';
import { kernelOp, opKernel } from './kernelOp';
import { assertFloat } from './operand';
import { sumDispatches } from './reduce';
import { windowUniforms, type WindowGeometry } from './windows';

const depthwiseKernel = opKernel('depthwiseConv2d', windowSource + depthwiseSource);
const inputGradKernel = opKernel('depthwiseConv2dInputGrad', windowSource + inputGradSource);
const filterGradKernel = opKernel('depthwiseConv2dFilterGrad', windowSource + filterGradSource);

/** The window geometry plus the output channel count C·M (the Params field the kernels read). */
interface DepthwiseGeometry extends WindowGeometry {
  outChannels: number;
}

/**
 * x [N, H, W, C] ⋆ w [KH, KW, C, M] → [N, OH, OW, C·M], output channel c·M + m being input channel c
 * cross-correlated with w[:, :, c, m]; float32. Strides, padding and dilation as conv2d's.
 */
export function depthwiseConv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const op = 'depthwiseConv2d';
  for (const t of [x, w]) t.assertAlive(op);
  for (const t of [x, w]) assertFloat(op, t);
  return convolve(x, w, depthwiseGeometry(op, x.shape, w.shape, options));
}

// Writing A_w for x ↦ depthwiseConv2d(x, w): the input gradient is A_wᵀ·dy and the filter gradient
// F(x, dy) satisfies ⟨h, F(x, dy)⟩ = ⟨A_h·x, dy⟩; each backward rule below follows from those.

function convolve(x: Tensor, w: Tensor, g: DepthwiseGeometry): Tensor {
  const threads = g.batch * g.outSize[0] * Math.ceil(g.outSize[1] / 4) * Math.ceil(g.outChannels / 4);
  return kernelOp('depthwiseConv2d', [x, w], () => ({
    output: { shape: [g.batch, g.outSize[0], g.outSize[1], g.outChannels], dtype: 'float32' },
    steps: (y) => [{ kernel: depthwiseKernel, tensors: { x, w, y }, uniforms: windowUniforms(g, threads, g.outChannels), threads }],
    backward: (dy, needed) => [
      needed[0] ? inputGradient(dy, w, g) : null,
      needed[1] ? filterGradient(x, dy, g) : null,
    ],
  }));
}

/** A_wᵀ·dy: dy [N, OH, OW, C·M] → dx [N, H, W, C]. */
function inputGradient(dy: Tensor, w: Tensor, g: DepthwiseGeometry): Tensor {
  const threads = g.batch * g.inSize[0] * Math.ceil(g.inSize[1] / 4) * Math.ceil(g.channels / 4);
  return kernelOp('depthwiseConv2dInputGrad', [dy, w], () => ({
    output: { shape: [g.batch, g.inSize[0], g.inSize[1], g.channels], dtype: 'float32' },
    steps: (dx) => [{ kernel: inputGradKernel, tensors: { dy, w, dx }, uniforms: windowUniforms(g, threads, g.outChannels), threads }],
    // ⟨h, A_wᵀ·dy⟩ = ⟨A_w·h, dy⟩: linear in dy with adjoint A_w, and in w with gradient F(h, dy).
    backward: (ddx, needed) => [
      needed[0] ? convolve(ddx, w, g) : null,
      needed[1] ? filterGradient(ddx, dy, g) : null,
    ],
  }));
}

/**
 * Below this many invocations the filter gradient splits the batch's output rows into parts (a
 * GPU needs the parallelism; a depthwise filter alone gives only KH·KW·C·M / 4 invocations).
 */
const MIN_FILTER_GRAD_THREADS = 1024;

/** F(x, dy): dw [KH, KW, C, M] = Σ over images and output pixels of x-patch · dy, channel by channel. */
function filterGradient(x: Tensor, dy: Tensor, g: DepthwiseGeometry): Tensor {
  const filterShape = [g.window[0], g.window[1], g.channels, g.outChannels / g.channels];
  const perChunk = g.window[0] * g.window[1] * Math.ceil(g.outChannels / 4);
  const chunks = Math.max(1, Math.min(g.batch * g.outSize[0], Math.ceil(MIN_FILTER_GRAD_THREADS / perChunk)));
  return kernelOp('depthwiseConv2dFilterGrad', [x, dy], () => ({
    output: { shape: filterShape, dtype: 'float32' },
    steps: (dw, scratch) => {
      // One part writes dw itself: [1, ...filterShape] is laid out as filterShape.
      const partial = chunks === 1 ? dw : scratch([chunks, ...filterShape], 'float32');
      return [
        { kernel: filterGradKernel, tensors: { x, dy, partial }, uniforms: windowUniforms(g, perChunk * chunks, g.outChannels, chunks), threads: perChunk * chunks },
        ...(chunks === 1 ? [] : sumDispatches(partial, [0], dw, scratch)),
      ];
    },
    // ⟨h, F(x, dy)⟩ = ⟨A_h·x, dy⟩: linear in x with gradient A_hᵀ·dy, and in dy with gradient A_h·x.
    backward: (ddw, needed) => [
      needed[0] ? inputGradient(dy, ddw, g) : null,
      needed[1] ? convolve(x, ddw, g) : null,
    ],
  }));
}

/** Validates the shapes and options and works out the geometry; nothing is allocated before this passes. */
function depthwiseGeometry(op: string, inputShape: readonly number[], filterShape: readonly number[], options: Conv2dOptions): DepthwiseGeometry {
  // Unlike conv2d's, an empty depthwise filter has no meaning (no channel, or no filter per channel).
  if (filterShape.length === 4 && filterShape.some((dim) => dim === 0)) {
    throw new ShapeError(`${op}: the filter's height, width, channels and depth multiplier must be positive, got ${formatShape(filterShape)} (input ${formatShape(inputShape)})`);
  }
  const g = filterWindowGeometry(op, inputShape, filterShape, options, 'depthMultiplier');
  return { ...g, outChannels: filterShape[2] * filterShape[3] };
}
