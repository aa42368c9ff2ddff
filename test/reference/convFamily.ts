// Float64 references for the layers around conv2d: depthwise and separable convolution (as conv2d
// with a block-diagonal filter, a formulation the GPU code does not use), Conv1D (its own loops,
// with Keras's causal padding), zero padding, and nearest / bilinear upsampling (TF's half-pixel rule).
import { conv2d, conv2dFilterGradient, conv2dInputGradient, outputSizeAndPad, type WindowOptions } from './conv';
import { type NdArray, zeros } from './ndarray';

/** w [KH, KW, C, M] as the conv2d filter [KH, KW, C, C·M] that is zero off the blocks w[:, :, c, :]. */
export function depthwiseAsConvFilter(w: NdArray): NdArray {
  const [KH, KW, C, M] = w.shape;
  const full = zeros([KH, KW, C, C * M]);
  for (let tap = 0; tap < KH * KW; tap++) {
    for (let c = 0; c < C; c++) {
      for (let m = 0; m < M; m++) full.data[(tap * C + c) * C * M + c * M + m] = w.data[(tap * C + c) * M + m];
    }
  }
  return full;
}

/** y[n, oh, ow, c·M + m] = Σ_{kh, kw} x[n, ih, iw, c]·w[kh, kw, c, m] (TF's depthwise_conv2d). */
export function depthwiseConv2d(x: NdArray, w: NdArray, options: WindowOptions = {}): NdArray {
  return conv2d(x, depthwiseAsConvFilter(w), options);
}

/** The adjoint of depthwiseConv2d in x: conv2d's input gradient with the block-diagonal filter. */
export function depthwiseConv2dInputGradient(dy: NdArray, w: NdArray, xShape: readonly number[], options: WindowOptions = {}): NdArray {
  return conv2dInputGradient(dy, depthwiseAsConvFilter(w), xShape, options);
}

/** The gradient of depthwiseConv2d for w: the diagonal blocks of conv2d's filter gradient. */
export function depthwiseConv2dFilterGradient(x: NdArray, dy: NdArray, wShape: readonly number[], options: WindowOptions = {}): NdArray {
  const [KH, KW, C, M] = wShape;
  const full = conv2dFilterGradient(x, dy, [KH, KW, C, C * M], options);
  const dw = zeros(wShape);
  for (let tap = 0; tap < KH * KW; tap++) {
    for (let c = 0; c < C; c++) {
      for (let m = 0; m < M; m++) dw.data[(tap * C + c) * M + m] = full.data[(tap * C + c) * C * M + c * M + m];
    }
  }
  return dw;
}

/** depthwiseConv2d, then the 1×1 pointwise convolution with pw [1, 1, C·M, F] (TF's separable_conv2d). */
export function separableConv2d(x: NdArray, depthwise: NdArray, pointwise: NdArray, options: WindowOptions = {}): NdArray {
  return conv2d(depthwiseConv2d(x, depthwise, options), pointwise);
}

export interface Conv1dOptions {
  strides?: number;
  padding?: 'valid' | 'same' | 'causal';
  dilation?: number;
}

/**
 * y[n, t, f] = Σ_{k, c} x[n, t·s + k·d − padLeft, c]·w[k, c, f] over x [N, L, C], w [K, C, F]. 'causal'
 * pads (K − 1)·d zeros on the left only (Keras's Conv1D), so y[t] never reads x after t·s.
 */
export function conv1d(x: NdArray, w: NdArray, options: Conv1dOptions = {}): NdArray {
  const [N, L, C] = x.shape;
  const [K, , F] = w.shape;
  const s = options.strides ?? 1;
  const d = options.dilation ?? 1;
  const padding = options.padding ?? 'valid';
  const { out, before } = padding === 'causal'
    ? outputSizeAndPad(L, K, s, d, [[0, 0], [(K - 1) * d, 0]], 1)
    : outputSizeAndPad(L, K, s, d, padding, 0);
  const y = zeros([N, out, F]);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < out; t++) {
      for (let f = 0; f < F; f++) {
        let total = 0;
        for (let k = 0; k < K; k++) {
          const position = t * s + k * d - before;
          if (position < 0 || position >= L) continue;
          for (let c = 0; c < C; c++) total += x.data[(n * L + position) * C + c] * w.data[(k * C + c) * F + f];
        }
        y.data[(n * out + t) * F + f] = total;
      }
    }
  }
  return y;
}

/** x [N, H, W, C] inside zeros: `top` rows above, `bottom` below, `left` / `right` columns beside. */
export function zeroPad2d(x: NdArray, [[top, bottom], [left, right]]: [[number, number], [number, number]]): NdArray {
  const [N, H, W, C] = x.shape;
  const [OH, OW] = [H + top + bottom, W + left + right];
  const y = zeros([N, OH, OW, C]);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++) {
        for (let c = 0; c < C; c++) y.data[((n * OH + h + top) * OW + w + left) * C + c] = x.data[((n * H + h) * W + w) * C + c];
      }
    }
  }
  return y;
}

/**
 * Upsampling by integer factors [sh, sw]. 'nearest': y[n, h, w, c] = x[n, ⌊h/sh⌋, ⌊w/sw⌋, c].
 * 'bilinear': TF2's resize (half-pixel centres, as Keras's UpSampling2D calls it): output row h
 * samples input position (h + ½)/sh − ½, interpolating between its floor and ceiling, each clamped
 * into the image.
 */
export function upSample2d(x: NdArray, [sh, sw]: [number, number], interpolation: 'nearest' | 'bilinear'): NdArray {
  const [N, H, W, C] = x.shape;
  const [OH, OW] = [H * sh, W * sw];
  const taps = (o: number, scale: number, size: number): [number, number][] => {
    if (interpolation === 'nearest') return [[Math.floor(o / scale), 1]];
    const position = (o + 0.5) / scale - 0.5;
    const lower = Math.floor(position);
    const fraction = position - lower;
    const clamp = (i: number): number => Math.min(Math.max(i, 0), size - 1);
    return [[clamp(lower), 1 - fraction], [clamp(Math.ceil(position)), fraction]];
  };
  const y = zeros([N, OH, OW, C]);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (const [ih, rowWeight] of taps(oh, sh, H)) {
          for (const [iw, colWeight] of taps(ow, sw, W)) {
            for (let c = 0; c < C; c++) y.data[((n * OH + oh) * OW + ow) * C + c] += rowWeight * colWeight * x.data[((n * H + ih) * W + iw) * C + c];
          }
        }
      }
    }
  }
  return y;
}
