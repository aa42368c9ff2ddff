// 2-D convolution on NHWC images with HWIO filters (TF.js's layouts), and its two gradients, each
// a direct register-blocked kernel. The three ops differentiate one another (below), so second
// derivatives work too.
//
// Direct kernels rather than im2col + the tiled matmul: a small-channel layer (8 output columns,
// K = 9) leaves most of a matmul register tile idle while im2col writes 9 values per pixel;
// measurements in bench/NOTES.md (bench/conv-variants.*).
import windowSource from '../../shaders/window.wgsl';
import conv2dSource from '../../shaders/conv2d.wgsl';
import inputGradSource from '../../shaders/conv2dInputGrad.wgsl';
import filterGradSource from '../../shaders/conv2dFilterGrad.wgsl';
import { ShapeError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { assertValidShape } from '../shape';
import { kernelOp, opKernel, type Kernel, type OpBackward } from './kernelOp';
import { assertFloat } from './operand';
import { sumDispatches } from './reduce';
import { assertImageBatch, perAxis, windowGeometry, windowUniforms, type Padding, type PerAxis, type WindowGeometry } from './windows';

const conv2dKernel = opKernel('conv2d', windowSource + conv2dSource);
const inputGradKernel = opKernel('conv2dInputGrad', windowSource + inputGradSource);
const filterGradKernel = opKernel('conv2dFilterGrad', windowSource + filterGradSource);

export interface Conv2dOptions {
  /** Step between windows: one number or [height, width] (default 1). */
  strides?: PerAxis;
  /** 'valid' (default), 'same' (TF's split: the odd pixel at the bottom/right), or explicit zeros per side. */
  padding?: Padding;
  /** Spacing between filter taps: one number or [height, width] (default 1). */
  dilation?: PerAxis;
}

/** A convolution's geometry plus its channel counts. */
interface ConvGeometry extends WindowGeometry {
  outChannels: number;
}

/**
 * x [N, H, W, Cin] ⋆ w [KH, KW, Cin, Cout] → [N, OH, OW, Cout] (cross-correlation, as every deep
 * learning framework computes it), float32.
 */
export function conv2d(x: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  checkTensors('conv2d', [x, w]);
  return convolve(x, w, convGeometry('conv2d', x.shape, w.shape, options));
}

// Writing A_w for x ↦ conv2d(x, w): the input gradient is A_wᵀ·dy and the filter gradient F(x, dy)
// satisfies ⟨h, F(x, dy)⟩ = ⟨A_h·x, dy⟩. Each rule below follows from those two identities.

function convolve(x: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  return pixelBlocks('conv2d', conv2dKernel, [x, w], { x, w, w4: w }, 'y', g.outSize, g.outChannels, g, (dy, needed) => [
    needed[0] ? inputGradient(dy, w, g) : null,
    needed[1] ? filterGradient(x, dy, g) : null,
  ]);
}

/** A_wᵀ·dy: dy [N, OH, OW, Cout] → dx [N, H, W, Cin] (a transposed convolution). */
function inputGradient(dy: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  // ⟨h, A_wᵀ·dy⟩ = ⟨A_w·h, dy⟩: linear in dy with adjoint A_w, and in w with gradient F(h, dy).
  return pixelBlocks('conv2dInputGrad', inputGradKernel, [dy, w], { dy, dy4: dy, w, w4: w }, 'dx', g.inSize, g.channels, g, (ddx, needed) => [
    needed[0] ? convolve(ddx, w, g) : null,
    needed[1] ? filterGradient(ddx, dy, g) : null,
  ]);
}

/**
 * conv2d or its input gradient as an op on `inputs`: each invocation writes 4 neighbouring pixels
 * along the width × 4 channels of the NHWC output [batch, ...size, channels], bound as `outName`
 * beside `bindings` (the inputs, some also under a vec4 name).
 */
function pixelBlocks(
  name: string, kernel: Kernel, inputs: Tensor[], bindings: Record<string, Tensor>, outName: string,
  size: [number, number], channels: number, g: ConvGeometry, backward: OpBackward,
): Tensor {
  const threads = g.batch * size[0] * Math.ceil(size[1] / 4) * Math.ceil(channels / 4);
  return kernelOp(name, inputs, () => ({
    output: { shape: [g.batch, size[0], size[1], channels], dtype: 'float32' },
    steps: (out) => [{
      kernel,
      tensors: { ...bindings, [outName]: out },
      uniforms: windowUniforms(g, threads, g.outChannels),
      variant: { constants: { VEC4_OUT: g.outChannels % 4 === 0 ? 1 : 0 } },
      threads,
    }],
    backward,
  }));
}

/** Below this many invocations the filter gradient splits the batch (a GPU needs the parallelism). */
const MIN_FILTER_GRAD_THREADS = 1024;

/**
 * F(x, dy): dw [KH, KW, Cin, Cout] = Σ over images and output pixels of x-patch ⊗ dy. The batch is
 * split into chunks, each summed into a part of its own, and the parts are summed by the reduce kernel.
 */
function filterGradient(x: Tensor, dy: Tensor, g: ConvGeometry): Tensor {
  const filterShape = [g.window[0], g.window[1], g.channels, g.outChannels];
  const perChunk = g.window[0] * g.window[1] * Math.ceil(g.channels / 4) * Math.ceil(g.outChannels / 4);
  const chunks = Math.max(1, Math.min(g.batch, Math.ceil(MIN_FILTER_GRAD_THREADS / perChunk)));
  return kernelOp('conv2dFilterGrad', [x, dy], () => ({
    output: { shape: filterShape, dtype: 'float32' },
    steps: (dw, scratch) => {
      // One chunk writes dw itself: [1, ...filterShape] is laid out as filterShape.
      const partial = chunks === 1 ? dw : scratch([chunks, ...filterShape], 'float32');
      return [
        {
          kernel: filterGradKernel,
          tensors: { x, x4: x, dy, dy4: dy, partial },
          uniforms: windowUniforms(g, perChunk * chunks, g.outChannels, chunks),
          variant: { constants: { VEC4_IN: g.channels % 4 === 0 ? 1 : 0, VEC4_OUT: g.outChannels % 4 === 0 ? 1 : 0 } },
          threads: perChunk * chunks,
        },
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

/**
 * The gradient of conv2d for its input, dy [N, OH, OW, Cout] → [N, H, W, Cin] for `inputShape`: a
 * transposed convolution (TF's conv2DBackpropInput). `options` are the forward call's.
 */
export function conv2dBackpropInput(dy: Tensor, w: Tensor, inputShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackpropInput';
  checkTensors(op, [dy, w]);
  const g = convGeometry(op, inputShape, w.shape, options);
  checkOutputGradient(op, dy, g);
  return inputGradient(dy, w, g);
}

/**
 * The gradient of conv2d for its filter, from x [N, H, W, Cin] and dy [N, OH, OW, Cout] →
 * `filterShape` [KH, KW, Cin, Cout] (TF's conv2DBackpropFilter). `options` are the forward call's.
 */
export function conv2dBackpropFilter(x: Tensor, dy: Tensor, filterShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackpropFilter';
  checkTensors(op, [x, dy]);
  const g = convGeometry(op, x.shape, filterShape, options);
  checkOutputGradient(op, dy, g);
  return filterGradient(x, dy, g);
}

function checkTensors(op: string, tensors: Tensor[]): void {
  for (const t of tensors) t.assertAlive(op);
  for (const t of tensors) assertFloat(op, t);
}

function checkOutputGradient(op: string, dy: Tensor, g: ConvGeometry): void {
  const expected = [g.batch, g.outSize[0], g.outSize[1], g.outChannels];
  if (formatShape(dy.shape) !== formatShape(expected)) {
    throw new ShapeError(`${op}: dy has shape ${formatShape(dy.shape)} but the convolution's output is ${formatShape(expected)}`);
  }
}

/** Validates the shapes and options and works out the geometry; nothing is allocated before this passes. */
function convGeometry(op: string, inputShape: readonly number[], filterShape: readonly number[], options: Conv2dOptions): ConvGeometry {
  return { ...filterWindowGeometry(op, inputShape, filterShape, options, 'outChannels'), outChannels: filterShape[3] };
}

/**
 * The checks every HWIO-style filter of a windowed op shares (conv2d's [h, w, in, out], the
 * depthwise [h, w, in, multiplier]): ranks, channel agreement, a window of positive size; then the
 * window geometry. `last` names the filter's last axis in messages.
 */
export function filterWindowGeometry(op: string, inputShape: readonly number[], filterShape: readonly number[], options: Conv2dOptions, last: string): WindowGeometry {
  const strides = perAxis(op, 'strides', options.strides ?? 1);
  const dilation = perAxis(op, 'dilation', options.dilation ?? 1);
  const padding = options.padding ?? 'valid';
  const call = `input ${formatShape(inputShape)}, filter ${formatShape(filterShape)}, strides [${strides}], padding ${JSON.stringify(padding)}, dilation [${dilation}]`;
  assertValidShape(op, inputShape);
  assertValidShape(op, filterShape);
  assertImageBatch(op, inputShape);
  if (filterShape.length !== 4) {
    throw new ShapeError(`${op}: filter must be rank 4 [height, width, inChannels, ${last}], got ${formatShape(filterShape)} (input ${formatShape(inputShape)})`);
  }
  if (filterShape[2] !== inputShape[3]) {
    throw new ShapeError(`${op}: input has ${inputShape[3]} channels but the filter expects ${filterShape[2]}: input ${formatShape(inputShape)}, filter ${formatShape(filterShape)}`);
  }
  if (filterShape[0] === 0 || filterShape[1] === 0) {
    throw new ShapeError(`${op}: the filter's height and width must be positive, got ${formatShape(filterShape)}`);
  }
  return windowGeometry(op, inputShape, [filterShape[0], filterShape[1]], strides, padding, dilation, call);
}
