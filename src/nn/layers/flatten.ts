// Flatten: [batch, ...dims] → [batch, product(dims)], a reshape (no copy).
import type { Tensor } from '../../tensor';
import { reshape } from '../../ops/movement';
import { sizeOf } from '../../shape';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';

export class Flatten extends Layer {
  readonly className = 'Flatten';

  constructor(args: LayerArgs = {}) {
    super(args, 'flatten');
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return [sizeOf(inputShape)];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    return reshape(x, [x.shape[0], sizeOf(x.shape.slice(1))]);
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}
