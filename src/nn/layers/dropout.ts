// Dropout: in training, zeroes each element with probability `rate` and scales the rest by 1/(1−rate).
import { ValueError } from '../../errors';
import type { Tensor } from '../../tensor';
import { dropout } from '../../ops/dropout';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';
import { checkNumber } from './configChecks';

export class Dropout extends Layer {
  readonly className = 'Dropout';

  constructor(readonly rate: number, args: LayerArgs = {}) {
    super(args, 'dropout');
    checkNumber('Dropout', 'rate', rate, Number.NaN);
    if (!(rate >= 0 && rate < 1)) throw new ValueError(`Dropout: rate must be in [0, 1), got ${rate}`);
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return [...inputShape];
  }

  call(x: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return x;
    return dropout(x, this.rate);
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate };
  }
}
