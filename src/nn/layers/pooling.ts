// MaxPooling2D and AveragePooling2D over NHWC images: Keras's pooling layers (no weights).
import { ShapeError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { assertPoolPadding, avgPool2d, maxPool2d } from '../../ops/pool';
import { windowGeometry, type Padding, type PerAxis } from '../../ops/windows';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';
import { checkPerAxis } from './configChecks';

export interface Pooling2DArgs extends LayerArgs {
  /** Window size: one number or [height, width] (default 2). */
  poolSize?: PerAxis;
  /** Step between windows (default: poolSize). */
  strides?: PerAxis;
  /** 'valid' (default), 'same', or explicit zeros ([[top, bottom], [left, right]], each less than the window). */
  padding?: Padding;
}

/** What the two pooling layers share: the window, the output shape and the config. */
abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(args: Pooling2DArgs, baseName: string, className: string) {
    super(args, baseName);
    this.poolSize = checkPerAxis(className, 'poolSize', args.poolSize ?? 2);
    this.strides = checkPerAxis(className, 'strides', args.strides ?? this.poolSize);
    this.padding = args.padding ?? 'valid';
    assertPoolPadding(className, this.padding, this.poolSize, `padding ${JSON.stringify(this.padding)}`);
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 3) {
      throw new ShapeError(`${this.name}: ${this.className} needs samples shaped [height, width, channels], got ${formatShape(inputShape)}`);
    }
    const call = `${this.name}: input ${formatShape(inputShape)}, poolSize [${this.poolSize}], strides [${this.strides}], padding ${JSON.stringify(this.padding)}`;
    const g = windowGeometry(this.name, [1, ...inputShape], this.poolSize, this.strides, this.padding, [1, 1], call);
    return [...g.outSize, inputShape[2]];
  }

  protected get options() {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }

  getConfig(): Record<string, unknown> {
    return { poolSize: [...this.poolSize], strides: [...this.strides], padding: this.padding };
  }
}

export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';

  constructor(args: Pooling2DArgs = {}) {
    super(args, 'max_pooling2d', 'MaxPooling2D');
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    return maxPool2d(x, this.options);
  }
}

export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';

  constructor(args: Pooling2DArgs = {}) {
    super(args, 'average_pooling2d', 'AveragePooling2D');
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    return avgPool2d(x, this.options);
  }
}
