// Convolution and pooling over NHWC images in float64, written as the plain loops of the
// definitions (TF's padding rules), independent of the GPU code's im2col formulation.
import { type NdArray, zeros } from './ndarray';

/** As TF: 'valid', 'same', symmetric zeros per axis, or explicit [[top, bottom], [left, right]]. */
export type ReferencePadding = 'valid' | 'same' | number | [number, number] | [[number, number], [number, number]];

export interface WindowOptions {
  strides?: number | [number, number];
  padding?: ReferencePadding;
  dilation?: number | [number, number];
}

const pairOf = (value: number | [number, number]): [number, number] => (typeof value === 'number' ? [value, value] : value);

/** Output size and padding before the first pixel along one axis. */
export function outputSizeAndPad(size: number, window: number, stride: number, dilation: number, padding: ReferencePadding, axis: 0 | 1): { out: number; before: number } {
  const span = (window - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + span - size, 0);
    return { out, before: Math.floor(total / 2) };
  }
  if (padding === 'valid') return { out: Math.floor((size - span) / stride) + 1, before: 0 };
  const explicit = typeof padding !== 'number' && Array.isArray(padding[0]);
  const symmetric = explicit ? 0 : pairOf(padding as number | [number, number])[axis];
  const [before, after] = explicit ? (padding as [[number, number], [number, number]])[axis] : [symmetric, symmetric];
  return { out: Math.floor((size + before + after - span) / stride) + 1, before };
}

/** The output shape of conv2d(x, w, options) and each spatial axis's size and leading padding. */
function convGeometry(xShape: readonly number[], wShape: readonly number[], options: WindowOptions) {
  const [N, H, W] = xShape;
  const [KH, KW, , CO] = wShape;
  const [sh, sw] = pairOf(options.strides ?? 1);
  const [dh, dw] = pairOf(options.dilation ?? 1);
  const padding = options.padding ?? 'valid';
  const rows = outputSizeAndPad(H, KH, sh, dh, padding, 0);
  const cols = outputSizeAndPad(W, KW, sw, dw, padding, 1);
  return { outShape: [N, rows.out, cols.out, CO], rows, cols, strides: [sh, sw], dilation: [dh, dw] };
}

/**
 * Calls visit(xOffset, wOffset, yOffset) for every product x[n, ih, iw, ci]·w[kh, kw, ci, co] that
 * contributes to y[n, oh, ow, co], where ih = oh·sh + kh·dh − padTop (iw likewise) lies in the image.
 */
function forEachTap(xShape: readonly number[], wShape: readonly number[], options: WindowOptions, visit: (xi: number, wi: number, yi: number) => void): void {
  const [N, H, W, C] = xShape;
  const [KH, KW, , CO] = wShape;
  const { outShape, rows, cols, strides: [sh, sw], dilation: [dh, dw] } = convGeometry(xShape, wShape, options);
  const [, OH, OW] = outShape;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let co = 0; co < CO; co++) {
          const yi = ((n * OH + oh) * OW + ow) * CO + co;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * sh + kh * dh - rows.before;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * sw + kw * dw - cols.before;
              if (iw < 0 || iw >= W) continue;
              for (let ci = 0; ci < C; ci++) visit(((n * H + ih) * W + iw) * C + ci, ((kh * KW + kw) * C + ci) * CO + co, yi);
            }
          }
        }
      }
    }
  }
}

/** y[n, oh, ow, co] = Σ_{kh, kw, ci} x[n, oh·sh + kh·dh − padTop, ow·sw + kw·dw − padLeft, ci] · w[kh, kw, ci, co]. */
export function conv2d(x: NdArray, w: NdArray, options: WindowOptions = {}): NdArray {
  const y = zeros(convGeometry(x.shape, w.shape, options).outShape);
  forEachTap(x.shape, w.shape, options, (xi, wi, yi) => {
    y.data[yi] += x.data[xi] * w.data[wi];
  });
  return y;
}

/** The adjoint of conv2d in x (a transposed convolution): dx[xi] = Σ dy[yi]·w[wi] over the same taps. */
export function conv2dInputGradient(dy: NdArray, w: NdArray, xShape: readonly number[], options: WindowOptions = {}): NdArray {
  const dx = zeros(xShape);
  forEachTap(xShape, w.shape, options, (xi, wi, yi) => {
    dx.data[xi] += dy.data[yi] * w.data[wi];
  });
  return dx;
}

/** The gradient of conv2d for w: dw[wi] = Σ x[xi]·dy[yi] over the same taps. */
export function conv2dFilterGradient(x: NdArray, dy: NdArray, wShape: readonly number[], options: WindowOptions = {}): NdArray {
  const dw = zeros(wShape);
  forEachTap(x.shape, wShape, options, (xi, wi, yi) => {
    dw.data[wi] += x.data[xi] * dy.data[yi];
  });
  return dw;
}

export interface PoolOptions {
  poolSize?: number | [number, number];
  strides?: number | [number, number];
  padding?: ReferencePadding;
}

/** Calls visit(yOffset, xOffsets) for each pooling window, with the offsets of its pixels inside the image in row-major order. */
function forEachWindow(xShape: readonly number[], options: PoolOptions, visit: (yi: number, xis: number[]) => void): number[] {
  const [N, H, W, C] = xShape;
  const [ph, pw] = pairOf(options.poolSize ?? 2);
  const [sh, sw] = pairOf(options.strides ?? options.poolSize ?? 2);
  const padding = options.padding ?? 'valid';
  const rows = outputSizeAndPad(H, ph, sh, 1, padding, 0);
  const cols = outputSizeAndPad(W, pw, sw, 1, padding, 1);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < rows.out; oh++) {
      for (let ow = 0; ow < cols.out; ow++) {
        for (let c = 0; c < C; c++) {
          const xis: number[] = [];
          for (let kh = 0; kh < ph; kh++) {
            const ih = oh * sh + kh - rows.before;
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < pw; kw++) {
              const iw = ow * sw + kw - cols.before;
              if (iw >= 0 && iw < W) xis.push(((n * H + ih) * W + iw) * C + c);
            }
          }
          visit(((n * rows.out + oh) * cols.out + ow) * C + c, xis);
        }
      }
    }
  }
  return [N, rows.out, cols.out, C];
}

/** The window's first largest element (row-major order), where max pooling sends the gradient. */
function firstArgmax(x: NdArray, xis: number[]): number {
  return xis.reduce((best, xi) => (x.data[xi] > x.data[best] ? xi : best), xis[0]);
}

/** Max or mean over each window, counting only pixels inside the image. */
export function pool2d(kind: 'max' | 'avg', x: NdArray, options: PoolOptions = {}): NdArray {
  const values: [number, number][] = [];
  const outShape = forEachWindow(x.shape, options, (yi, xis) => {
    const value = kind === 'max' ? x.data[firstArgmax(x, xis)] : xis.reduce((total, xi) => total + x.data[xi], 0) / xis.length;
    values.push([yi, value]);
  });
  const y = zeros(outShape);
  for (const [yi, value] of values) y.data[yi] = value;
  return y;
}

/** The gradient of pool2d: max sends each dy to the window's first largest x, avg splits it evenly. */
export function pool2dGradient(kind: 'max' | 'avg', x: NdArray, dy: NdArray, options: PoolOptions = {}): NdArray {
  const dx = zeros(x.shape);
  forEachWindow(x.shape, options, (yi, xis) => {
    if (kind === 'max') dx.data[firstArgmax(x, xis)] += dy.data[yi];
    else for (const xi of xis) dx.data[xi] += dy.data[yi] / xis.length;
  });
  return dx;
}
