// Normalization. batchNorm (and layerNorm over non-contiguous axes) is moments over axes plus one
// fused elementwise kernel (x − mean)·rsqrt(variance + ε)·γ + β: the statistics are ordinary
// recorded ops, so the tape carries gradients through them. layerNorm over contiguous axes is one
// row kernel forward and one backward (shaders/layerNorm*.wgsl), far faster than the composed
// form on a transformer's training step (bench/NOTES.md).
import ieeeSource from '../../shaders/ieee.wgsl';
import layerNormSource from '../../shaders/layerNorm.wgsl';
import layerNormBackwardSource from '../../shaders/layerNormBackward.wgsl';
import { isRecording } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { broadcastShapes, normalizeAxes, shapesEqual, sizeOf } from '../shape';
import { add, mul, sub } from './binary';
import { defineElementwise } from './elementwise';
import { reshape } from './movement';
import { assertFloat } from './operand';
import { mean as reduceMean, sum, type Axes } from './reduce';

import { kernelOp, kernelOutputs, opKernel } from './kernelOp';
import { rsqrt } from './unary';

const layerNormKernel = opKernel('layerNorm', ieeeSource + layerNormSource);
const layerNormBackwardKernel = opKernel('layerNormBackward', layerNormBackwardSource);

/** (x − m)², its gradient taken for x only: as tf.nn.moments' stop_gradient on the mean (Σ(x − m) = 0 makes that term vanish). */
const squaredDeviation = defineElementwise({
  name: 'squaredDeviation',
  inputs: ['x', 'm'],
  body: 'let d = x - m; return d * d;',
  gradients: [
    { body: 'return 2.0 * (x - m) * dy;', composed: ([x, m], _out, dy) => mul(dy, mul(sub(x, m), 2)) },
    null,
  ],
});

/** (x − mean)·rsqrt(variance + ε)·γ + β, every input broadcast to x's shape. */
const normalize = defineElementwise({
  name: 'normalize',
  inputs: ['x', 'mean', 'variance', 'gamma', 'beta', 'epsilon'],
  body: 'return (x - mean) * inverseSqrt(variance + epsilon) * gamma + beta;',
  gradients: [
    { body: 'return dy * gamma * inverseSqrt(variance + epsilon);', composed: ([, , v, g, , e], _out, dy) => mul(dy, mul(g, rsqrt(add(v, e)))) },
    { body: 'return -dy * gamma * inverseSqrt(variance + epsilon);', composed: ([, , v, g, , e], _out, dy) => mul(dy, mul(g, mul(rsqrt(add(v, e)), -1))) },
    {
      // d/dv (v + ε)^−½ = −½ (v + ε)^−³ᐟ²
      body: 'let r = inverseSqrt(variance + epsilon); return -0.5 * dy * gamma * (x - mean) * r * r * r;',
      composed: ([x, m, v, g, , e], _out, dy) => {
        const r = rsqrt(add(v, e));
        return mul(mul(dy, mul(g, sub(x, m))), mul(mul(r, mul(r, r)), -0.5));
      },
    },
    { body: 'return dy * (x - mean) * inverseSqrt(variance + epsilon);', composed: ([x, m, v, , , e], _out, dy) => mul(dy, mul(sub(x, m), rsqrt(add(v, e)))) },
    { body: 'return dy;', composed: (_inputs, _out, dy) => dy },
    null,
  ],
});

export interface Moments {
  mean: Tensor;
  variance: Tensor;
}

/**
 * Mean and (biased, divide-by-n) variance of x over `axes`, as tf.nn.moments / keras.ops.moments.
 * With keepDims the reduced axes stay as size 1, ready to broadcast against x.
 */
export function moments(x: Tensor, axes: Axes, keepDims = false): Moments {
  x.assertAlive('moments');
  assertFloat('moments', x);
  if (x.rank === 0) throw new ValueError('moments: x must have rank >= 1, got a scalar');
  const along = normalizeAxes('moments', axes, x.rank);
  return tidy(() => {
    const center = reduceMean(x, along, true);
    const variance = reduceMean(squaredDeviation(x, center), along, keepDims);
    return { mean: keepDims ? center : reshape(center, variance.shape), variance };
  });
}

function assertEpsilon(op: string, epsilon: number): void {
  if (!(typeof epsilon === 'number' && epsilon >= 0 && Number.isFinite(epsilon))) throw new ValueError(`${op}: epsilon must be a finite number >= 0, got ${epsilon}`);
}

/** Checks that `value` broadcasts to x's shape without changing it. */
function assertBroadcastsTo(op: string, name: string, value: Tensor, xShape: readonly number[]): void {
  value.assertAlive(op);
  assertFloat(op, value);
  const shape = broadcastShapes(`${op} (${name} ${formatShape(value.shape)} against x ${formatShape(xShape)})`, value.shape, xShape);
  if (!shapesEqual(shape, xShape)) throw new ShapeError(`${op}: ${name} ${formatShape(value.shape)} does not broadcast to x ${formatShape(xShape)}`);
}

/**
 * Batch normalization with given statistics: (x − mean)·rsqrt(variance + ε)·gamma + beta, as
 * tf.nn.batch_normalization (note the argument order: scale gamma before offset beta). mean,
 * variance, gamma and beta broadcast against x (e.g. [channels] for channels-last data);
 * gamma/beta null means 1/0. For training, take the statistics from `moments(x, axes, true)`:
 * gradients then flow through them too.
 */
export function batchNorm(x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor | null = null, beta: Tensor | null = null, epsilon = 1e-3): Tensor {
  x.assertAlive('batchNorm');
  assertFloat('batchNorm', x);
  assertEpsilon('batchNorm', epsilon);
  const named: [string, Tensor | null][] = [['mean', mean], ['variance', variance], ['gamma', gamma], ['beta', beta]];
  for (const [name, value] of named) if (value) assertBroadcastsTo('batchNorm', name, value, x.shape);
  return normalize(x, mean, variance, gamma ?? 1, beta ?? 0, epsilon);
}

export interface LayerNormOptions {
  /** Axis or axes normalized over (default -1, the last); gamma/beta have those axes' sizes. */
  axis?: number | readonly number[];
  /** Added to the variance before the square root (Keras's default 1e-3). */
  epsilon?: number;
}

/**
 * Layer normalization (Keras LayerNormalization): each sample is normalized by its own mean and
 * variance over `axis`, then scaled by gamma and shifted by beta. gamma and beta have the shape of
 * the normalized axes (in increasing axis order, e.g. [features] for the default last axis);
 * null means 1 and 0. Contiguous axes (the usual case) run as one kernel per row, forward and
 * backward; other axis sets are composed from moments and the normalize kernel.
 */
export function layerNorm(x: Tensor, gamma: Tensor | null = null, beta: Tensor | null = null, options: LayerNormOptions = {}): Tensor {
  const { axis = -1, epsilon = 1e-3 } = options;
  x.assertAlive('layerNorm');
  assertFloat('layerNorm', x);
  assertEpsilon('layerNorm', epsilon);
  if (x.rank === 0) throw new ValueError('layerNorm: x must have rank >= 1, got a scalar');
  const axes = normalizeAxes('layerNorm', typeof axis === 'number' ? [axis] : axis, x.rank);
  const layout: LayerNormLayout = {
    axes,
    paramShape: axes.map((a) => x.shape[a]),
    broadcastShape: x.shape.map((dim, a) => (axes.includes(a) ? dim : 1)),
    epsilon,
  };
  for (const [name, value] of [['gamma', gamma], ['beta', beta]] as const) {
    if (!value) continue;
    value.assertAlive('layerNorm');
    assertFloat('layerNorm', value);
    if (!shapesEqual(value.shape, layout.paramShape)) {
      throw new ShapeError(`layerNorm: ${name} must have the normalized axes' shape ${formatShape(layout.paramShape)} (axes [${axes.join(',')}] of x ${formatShape(x.shape)}), got ${formatShape(value.shape)}`);
    }
  }
  const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (!contiguous) {
    return tidy(() => {
      const stats = moments(x, axes, true);
      const shaped = (value: Tensor | null, fallback: number): Tensor | number => (value ? reshape(value, layout.broadcastShape) : fallback);
      return normalize(x, stats.mean, stats.variance, shaped(gamma, 1), shaped(beta, 0), epsilon);
    });
  }
  const rows = rowLayout(x.shape, axes, epsilon);
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  return kernelOp('layerNorm', inputs, () => ({
    output: { shape: x.shape, dtype: 'float32' },
    steps: (out) => (out.size === 0 ? [] : [{
      kernel: layerNormKernel,
      // Absent gamma and beta bind x in their place; the kernel does not read them.
      tensors: { x, gamma: gamma ?? x, beta: beta ?? x, out },
      uniforms: rows,
      variant: { constants: { HAS_GAMMA: gamma ? 1 : 0, HAS_BETA: beta ? 1 : 0 } },
      threads: rows.rows,
    }]),
    backward: (dy, needed) => {
      const [needX, needGamma, needBeta] = [needed[0], gamma ? needed[1] : false, beta ? needed[inputs.length - 1] : false];
      const gradients = isRecording()
        ? composedLayerNormGradients(x, gamma, dy, layout, { x: needX, gamma: needGamma, beta: needBeta })
        : fusedLayerNormGradients(x, gamma, dy, layout, { x: needX, gamma: needGamma, beta: needBeta });
      return [gradients.x, ...(gamma ? [gradients.gamma] : []), ...(beta ? [gradients.beta] : [])];
    },
  }));
}

interface LayerNormLayout {
  /** The normalized axes, sorted. */
  axes: number[];
  /** gamma's and beta's shape: the normalized axes' sizes. */
  paramShape: number[];
  /** x's shape with 1 on every axis that is not normalized. */
  broadcastShape: number[];
  epsilon: number;
}

type LayerNormGradients = Record<'x' | 'gamma' | 'beta', Tensor | null>;

/** x as [outer, length, inner] rows for the kernels, the (contiguous) normalized axes flattened into length. */
function rowLayout(shape: readonly number[], axes: number[], epsilon: number): { rows: number; length: number; inner: number; epsilon: number } {
  const outer = sizeOf(shape.slice(0, axes[0]));
  const inner = sizeOf(shape.slice(axes[axes.length - 1] + 1));
  return { rows: outer * inner, length: sizeOf(axes.map((a) => shape[a])), inner, epsilon };
}

/** The axes gamma and beta are broadcast over, which their gradients sum over. */
const rowAxes = (rank: number, axes: number[]): number[] => Array.from({ length: rank }, (_, a) => a).filter((a) => !axes.includes(a));

/** One kernel for dx and dy·x̂, then sums over the rows for gamma and beta. */
function fusedLayerNormGradients(x: Tensor, gamma: Tensor | null, dy: Tensor, layout: LayerNormLayout, needed: Record<'x' | 'gamma' | 'beta', boolean>): LayerNormGradients {
  const acrossRows = rowAxes(x.rank, layout.axes);
  const beta = needed.beta ? reshape(sum(dy, acrossRows), layout.paramShape) : null;
  if (!needed.x && !needed.gamma) return { x: null, gamma: null, beta };
  const rows = rowLayout(x.shape, layout.axes, layout.epsilon);
  const [dx, dyXhat] = kernelOutputs('layerNorm (backward)', [x, dy, ...(gamma ? [gamma] : [])], () => ({
    outputs: [{ shape: x.shape, dtype: 'float32' }, { shape: x.shape, dtype: 'float32' }],
    steps: ([dx, dyXhat]) => (x.size === 0 ? [] : [{
      kernel: layerNormBackwardKernel,
      tensors: { x, gamma: gamma ?? x, dy, dx, dyXhat },
      uniforms: rows,
      variant: { constants: { HAS_GAMMA: gamma ? 1 : 0 } },
      threads: rows.rows,
    }]),
  }));
  try {
    return { x: needed.x ? dx : null, gamma: needed.gamma ? reshape(sum(dyXhat, acrossRows), layout.paramShape) : null, beta };
  } finally {
    dyXhat.dispose();
    if (!needed.x) dx.dispose();
  }
}

/**
 * The same gradients written with ops, for a backward pass that is itself recorded (higher
 * derivatives): x̂ = (x − mean)·rstd, g = dy·gamma, dx = rstd·(g − mean(g) − x̂·mean(g·x̂)).
 */
function composedLayerNormGradients(x: Tensor, gamma: Tensor | null, dy: Tensor, layout: LayerNormLayout, needed: Record<'x' | 'gamma' | 'beta', boolean>): LayerNormGradients {
  const { axes } = layout;
  const acrossRows = rowAxes(x.rank, axes);
  const stats = moments(x, axes, true);
  const rstd = rsqrt(add(stats.variance, layout.epsilon));
  const xhat = mul(sub(x, stats.mean), rstd);
  const g = gamma ? mul(dy, reshape(gamma, layout.broadcastShape)) : dy;
  const dx = needed.x ? mul(rstd, sub(sub(g, reduceMean(g, axes, true)), mul(xhat, reduceMean(mul(g, xhat), axes, true)))) : null;
  return {
    x: dx,
    gamma: needed.gamma ? reshape(sum(mul(dy, xhat), acrossRows), layout.paramShape) : null,
    beta: needed.beta ? reshape(sum(dy, acrossRows), layout.paramShape) : null,
  };
}
