// UpSampling2D: NHWC images enlarged by integer factors [sh, sw] (no weights). 'nearest' repeats each
// pixel sh × sw times (a broadcast, whose gradient sums the copies); 'bilinear' follows TF2's resize
// with half-pixel centres, which Keras's UpSampling2D calls: output row h samples input position
// p = (h + ½)/sh − ½ and mixes rows ⌊p⌋ and ⌈p⌉ (each clamped into the image) with weights
// 1 − (p − ⌊p⌋) and p − ⌊p⌋; likewise for columns. Bilinear is two gathers per axis, weighted.
import { ShapeError, ValueError, formatShape, formatValue } from '../../errors';
import type { Tensor } from '../../tensor';
import { add, mul } from '../../ops/binary';
import { tensor } from '../../ops/creation';
import { gather } from '../../ops/indexing';
import { broadcastTo, reshape } from '../../ops/movement';
import type { PerAxis } from '../../ops/windows';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';
import { checkPerAxis } from './configChecks';

export type UpSamplingInterpolation = 'nearest' | 'bilinear';

export interface UpSampling2DArgs extends LayerArgs {
  /** Factors: one number or [height, width] (default 2). */
  size?: PerAxis;
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: UpSamplingInterpolation;
}

export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];
  readonly interpolation: UpSamplingInterpolation;

  constructor(args: UpSampling2DArgs = {}) {
    super(args, 'up_sampling2d');
    this.size = checkPerAxis('UpSampling2D', 'size', args.size ?? 2);
    const interpolation: unknown = args.interpolation ?? 'nearest';
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
      throw new ValueError(`UpSampling2D: interpolation must be 'nearest' or 'bilinear', got ${formatValue(interpolation)}`);
    }
    this.interpolation = interpolation;
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 3) {
      throw new ShapeError(`${this.name}: UpSampling2D needs samples shaped [height, width, channels], got ${formatShape(inputShape)}`);
    }
    return [inputShape[0] * this.size[0], inputShape[1] * this.size[1], inputShape[2]];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    if (x.rank !== 4) throw new ShapeError(`${this.name}: expected a batch [batch, height, width, channels], got ${formatShape(x.shape)}`);
    const [batch, height, width, channels] = x.shape;
    const [sh, sw] = this.size;
    if (this.interpolation === 'nearest') {
      const repeated = broadcastTo(reshape(x, [batch, height, 1, width, 1, channels]), [batch, height, sh, width, sw, channels]);
      return reshape(repeated, [batch, height * sh, width * sw, channels]);
    }
    return interpolateAxis(interpolateAxis(x, 1, sh), 2, sw);
  }

  getConfig(): Record<string, unknown> {
    return { size: [...this.size], interpolation: this.interpolation };
  }
}

/** Bilinear (half-pixel) upsampling of x along `axis` (1: rows, 2: columns) by `factor`. */
function interpolateAxis(x: Tensor, axis: 1 | 2, factor: number): Tensor {
  if (factor === 1) return x;
  const size = x.shape[axis];
  const outSize = size * factor;
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const fraction = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const position = (o + 0.5) / factor - 0.5;
    const floor = Math.floor(position);
    lower[o] = Math.min(Math.max(floor, 0), size - 1);
    upper[o] = Math.min(Math.max(Math.ceil(position), 0), size - 1);
    fraction[o] = position - floor;
  }
  // Weights shaped to broadcast along `axis` of [batch, height, width, channels].
  const weightShape = axis === 1 ? [outSize, 1, 1] : [outSize, 1];
  const upperWeight = tensor(fraction, weightShape);
  const lowerWeight = tensor(fraction.map((f) => 1 - f), weightShape);
  return add(mul(gather(x, tensor(lower, [outSize], 'int32'), axis), lowerWeight), mul(gather(x, tensor(upper, [outSize], 'int32'), axis), upperWeight));
}
