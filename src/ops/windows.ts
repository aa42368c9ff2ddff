// Sliding-window geometry shared by convolution and pooling: output size and padding from
// strides, padding mode and dilation, for NHWC images, following TF's rules.
import { ShapeError, ValueError, formatShape } from '../errors';

/** One value for both spatial axes, or [height, width]. */
export type PerAxis = number | readonly [number, number];

/** [before, after] zero rows (or columns) along one axis. */
export type PadPair = readonly [number, number];

/**
 * 'valid': windows lie wholly inside the image. 'same': output size ceil(size / stride), the
 * padding split as TF does (the odd pixel goes at the bottom/right). A number or [height, width]:
 * that many zero rows (columns) on both sides. [[top, bottom], [left, right]]: explicit padding per
 * side, as TF's explicit padding (whose NHWC form [[0, 0], [top, bottom], [left, right], [0, 0]] is
 * accepted too).
 */
export type Padding = 'valid' | 'same' | number | readonly [number, number] | readonly [PadPair, PadPair]
  | readonly [PadPair, PadPair, PadPair, PadPair];

/** Everything a window kernel needs; [height, width] pairs. Field names match the WGSL structs. */
export interface WindowGeometry {
  batch: number;
  channels: number;
  inSize: [number, number];
  outSize: [number, number];
  window: [number, number];
  strides: [number, number];
  dilation: [number, number];
  /** Zero rows above and columns left of the image (the rest of the padding is implied by outSize). */
  padStart: [number, number];
}

/** `value` as [height, width] of positive (or, with allowZero, non-negative) integers. */
export function perAxis(op: string, name: string, value: PerAxis, allowZero = false): [number, number] {
  const pair: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  const valid = (typeof value === 'number' || value.length === 2)
    && pair.every((v) => Number.isInteger(v) && (allowZero ? v >= 0 : v > 0));
  if (!valid) {
    const shown = typeof value === 'number' ? String(value) : `[${value.join(',')}]`;
    throw new ValueError(`${op}: ${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer or a [height, width] pair of them, got ${shown}`);
  }
  return pair;
}

/** Checks that a shape is an NHWC batch: rank 4. */
export function assertImageBatch(op: string, shape: readonly number[]): void {
  if (shape.length !== 4) {
    throw new ShapeError(`${op}: input must be a rank-4 NHWC batch [batch, height, width, channels], got ${formatShape(shape)}`);
  }
}

/**
 * Output size and leading padding of sliding `window` over an NHWC `inputShape`. `call` describes
 * the call for error messages (shapes and options).
 */
export function windowGeometry(
  op: string,
  inputShape: readonly number[],
  window: [number, number],
  strides: [number, number],
  padding: Padding,
  dilation: [number, number],
  call: string,
): WindowGeometry {
  const [batch, height, width, channels] = inputShape;
  const inSize: [number, number] = [height, width];
  const outSize: [number, number] = [0, 0];
  const padStart: [number, number] = [0, 0];
  if (typeof padding === 'string' && padding !== 'valid' && padding !== 'same') {
    throw new ValueError(`${op}: padding must be 'valid', 'same', a number, [height, width] or [[top, bottom], [left, right]], got '${padding}'`);
  }
  const explicit = typeof padding === 'string' ? null : explicitPadding(op, padding);
  for (const axis of [0, 1]) {
    const size = inSize[axis];
    const stride = strides[axis];
    const extent = (window[axis] - 1) * dilation[axis] + 1; // the dilated window's span
    if (padding === 'same') {
      outSize[axis] = Math.ceil(size / stride);
      const totalPad = Math.max((outSize[axis] - 1) * stride + extent - size, 0);
      padStart[axis] = Math.floor(totalPad / 2);
    } else {
      const [before, after] = explicit ? explicit[axis] : [0, 0];
      const padded = size + before + after;
      if (padded < extent) {
        const name = axis === 0 ? 'height' : 'width';
        throw new ShapeError(
          `${op}: the window spans ${extent} along ${name} (size ${window[axis]}, dilation ${dilation[axis]}) but the padded input has ${padded}: ${call}`,
        );
      }
      // The kernels need only the leading padding: the trailing one shows in outSize.
      outSize[axis] = Math.floor((padded - extent) / stride) + 1;
      padStart[axis] = before;
    }
  }
  return { batch, channels, inSize, outSize, window, strides, dilation, padStart };
}

/** Explicit padding as [[top, bottom], [left, right]] of non-negative integers. */
export function explicitPadding(op: string, padding: Exclude<Padding, 'valid' | 'same'>): [PadPair, PadPair] {
  if (typeof padding === 'number' || typeof padding[0] === 'number') {
    const [height, width] = perAxis(op, 'padding', padding as PerAxis, true);
    return [[height, height], [width, width]];
  }
  const pairs = padding as readonly PadPair[];
  const isPair = (pair: unknown): boolean =>
    Array.isArray(pair) && pair.length === 2 && pair.every((v) => Number.isInteger(v) && v >= 0);
  const nhwc = pairs.length === 4 && [pairs[0], pairs[3]].every((pair) => isPair(pair) && pair[0] === 0 && pair[1] === 0);
  const spatial = nhwc ? [pairs[1], pairs[2]] : pairs;
  if (spatial.length !== 2 || !spatial.every(isPair)) {
    throw new ValueError(`${op}: explicit padding must be [[top, bottom], [left, right]] of non-negative integers (or TF's [[0, 0], [top, bottom], [left, right], [0, 0]]), got ${JSON.stringify(padding)}`);
  }
  return [spatial[0], spatial[1]];
}

/**
 * The Params struct of shaders/window.wgsl, prepended to every window kernel: `count` invocations,
 * the geometry, and for convolutions the output channels and the batch split of the filter gradient.
 */
export function windowUniforms(g: WindowGeometry, count: number, outChannels = g.channels, chunks = 1): Record<string, number | number[]> {
  return {
    count, batch: g.batch, channels: g.channels,
    inSize: g.inSize, outSize: g.outSize, window: g.window, strides: g.strides, dilation: g.dilation, padStart: g.padStart,
    outChannels, chunks,
  };
}
