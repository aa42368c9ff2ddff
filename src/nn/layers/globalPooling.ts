// GlobalAveragePooling2D and GlobalMaxPooling2D over NHWC images: the mean or max of each channel
// over height and width, [h, w, c] → [c] (or [1, 1, c] with keepdims), as Keras's channels_last.
import { ShapeError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { max, mean } from '../../ops/reduce';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';
import { checkBoolean } from './configChecks';

export interface GlobalPooling2DArgs extends LayerArgs {
  /** Keep height and width as 1s (Keras's default false). */
  keepdims?: boolean;
}

abstract class GlobalPooling2D extends Layer {
  readonly keepdims: boolean;

  constructor(args: GlobalPooling2DArgs, baseName: string, className: string) {
    super(args, baseName);
    this.keepdims = checkBoolean(className, 'keepdims', args.keepdims, false);
  }

  protected abstract reduce(x: Tensor): Tensor;

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 3) {
      throw new ShapeError(`${this.name}: ${this.className} needs samples shaped [height, width, channels], got ${formatShape(inputShape)}`);
    }
    return this.keepdims ? [1, 1, inputShape[2]] : [inputShape[2]];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.computeOutputShape(x.shape.slice(1));
    return this.reduce(x);
  }

  getConfig(): Record<string, unknown> {
    return { keepdims: this.keepdims };
  }
}

export class GlobalAveragePooling2D extends GlobalPooling2D {
  readonly className = 'GlobalAveragePooling2D';

  constructor(args: GlobalPooling2DArgs = {}) {
    super(args, 'global_average_pooling2d', 'GlobalAveragePooling2D');
  }

  protected reduce(x: Tensor): Tensor {
    return mean(x, [1, 2], this.keepdims);
  }
}

export class GlobalMaxPooling2D extends GlobalPooling2D {
  readonly className = 'GlobalMaxPooling2D';

  constructor(args: GlobalPooling2DArgs = {}) {
    super(args, 'global_max_pooling2d', 'GlobalMaxPooling2D');
  }

  protected reduce(x: Tensor): Tensor {
    return max(x, [1, 2], this.keepdims);
  }
}
