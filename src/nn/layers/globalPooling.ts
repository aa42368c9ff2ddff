// Global pooling as Keras's channels_last layers: the mean or max of each channel over the spatial
// axes, [h, w, c] → [c] for the 2D layers and [steps, c] → [c] for the 1D one (1s kept with keepdims).
import { ShapeError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { max, mean } from '../../ops/reduce';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';
import { checkBoolean } from './configChecks';

export interface GlobalPoolingArgs extends LayerArgs {
  /** Keep the spatial axes as 1s (Keras's default false). */
  keepdims?: boolean;
}

abstract class GlobalPooling extends Layer {
  readonly keepdims: boolean;

  /** `spatialAxes`: the sample axes before the channels (2 for images, 1 for sequences). */
  constructor(args: GlobalPoolingArgs, baseName: string, className: string, private readonly spatialAxes: 1 | 2) {
    super(args, baseName);
    this.keepdims = checkBoolean(className, 'keepdims', args.keepdims, false);
  }

  /** The mean or the max over `axes`. */
  protected abstract reduceAxes(x: Tensor, axes: number[]): Tensor;

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== this.spatialAxes + 1) {
      const expected = this.spatialAxes === 2 ? '[height, width, channels]' : '[steps, channels]';
      throw new ShapeError(`${this.name}: ${this.className} needs samples shaped ${expected}, got ${formatShape(inputShape)}`);
    }
    const channels = inputShape[this.spatialAxes];
    return this.keepdims ? [...inputShape.slice(0, -1).map(() => 1), channels] : [channels];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.computeOutputShape(x.shape.slice(1));
    return this.reduceAxes(x, this.spatialAxes === 2 ? [1, 2] : [1]);
  }

  getConfig(): Record<string, unknown> {
    return { keepdims: this.keepdims };
  }
}

export class GlobalAveragePooling2D extends GlobalPooling {
  readonly className = 'GlobalAveragePooling2D';

  constructor(args: GlobalPoolingArgs = {}) {
    super(args, 'global_average_pooling2d', 'GlobalAveragePooling2D', 2);
  }

  protected reduceAxes(x: Tensor, axes: number[]): Tensor {
    return mean(x, axes, this.keepdims);
  }
}

export class GlobalMaxPooling2D extends GlobalPooling {
  readonly className = 'GlobalMaxPooling2D';

  constructor(args: GlobalPoolingArgs = {}) {
    super(args, 'global_max_pooling2d', 'GlobalMaxPooling2D', 2);
  }

  protected reduceAxes(x: Tensor, axes: number[]): Tensor {
    return max(x, axes, this.keepdims);
  }
}

export class GlobalAveragePooling1D extends GlobalPooling {
  readonly className = 'GlobalAveragePooling1D';

  constructor(args: GlobalPoolingArgs = {}) {
    super(args, 'global_average_pooling1d', 'GlobalAveragePooling1D', 1);
  }

  protected reduceAxes(x: Tensor, axes: number[]): Tensor {
    return mean(x, axes, this.keepdims);
  }
}
