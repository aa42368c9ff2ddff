// Dropout: in training, zeroes each element with probability `rate` and scales the rest by 1/(1−rate).
import { ValueError } from '../../errors';
import type { Tensor } from '../../tensor';
import { div, mul } from '../../ops/binary';
import { greaterEqual } from '../../ops/compare';
import { rand } from '../../ops/random';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';

export class Dropout extends Layer {
  readonly className = 'Dropout';

  constructor(readonly rate: number, args: LayerArgs = {}) {
    super(args, 'dropout');
    if (!(rate >= 0 && rate < 1)) throw new ValueError(`Dropout: rate must be in [0, 1), got ${rate}`);
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return [...inputShape];
  }

  call(x: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return x;
    const keepMask = greaterEqual(rand(x.shape), this.rate);
    return div(mul(x, keepMask), 1 - this.rate);
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate };
  }
}
