// Sliding-window geometry shared by convolution and pooling: output size and padding from
// strides, padding mode and dilation, for NHWC images, following TF's rules.
import { ShapeError, ValueError, formatShape } from '../errors';

/** One value for both spatial axes, or [height, width]. */
export type PerAxis = number | readonly [number, number];

/**
 * 'valid': windows lie wholly inside the image. 'same': output size ceil(size / stride), the
 * padding split as TF does (the odd pixel goes at the bottom/right). A number or [height, width]:
 * that many zero rows (columns) on both sides.
 */
export type Padding = 'valid' | 'same' | number | readonly [number, number];

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
  const explicit = typeof padding === 'string' ? null : perAxis(op, 'padding', padding, true);
  if (typeof padding === 'string' && padding !== 'valid' && padding !== 'same') {
    throw new ValueError(`${op}: padding must be 'valid', 'same', a number or [height, width], got '${padding}'`);
  }
  for (const axis of [0, 1]) {
    const size = inSize[axis];
    const stride = strides[axis];
    const extent = (window[axis] - 1) * dilation[axis] + 1; // the dilated window's span
    if (padding === 'same') {
      outSize[axis] = Math.ceil(size / stride);
      const totalPad = Math.max((outSize[axis] - 1) * stride + extent - size, 0);
      padStart[axis] = Math.floor(totalPad / 2);
    } else {
      const pad = explicit ? explicit[axis] : 0;
      const padded = size + 2 * pad;
      if (padded < extent) {
        const name = axis === 0 ? 'height' : 'width';
        throw new ShapeError(
          `${op}: the window spans ${extent} along ${name} (size ${window[axis]}, dilation ${dilation[axis]}) but the padded input has ${padded}: ${call}`,
        );
      }
      outSize[axis] = Math.floor((padded - extent) / stride) + 1;
      padStart[axis] = pad;
    }
  }
  return { batch, channels, inSize, outSize, window, strides, dilation, padStart };
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
