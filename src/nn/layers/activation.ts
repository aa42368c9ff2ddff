// Activation: applies a named activation; no weights.
import type { Tensor } from '../../tensor';
import { getActivation, type ActivationName } from '../activations';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';

export class Activation extends Layer {
  readonly className = 'Activation';

  constructor(readonly activation: ActivationName, args: LayerArgs = {}) {
    super(args, 'activation');
    getActivation(activation);
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return [...inputShape];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    return getActivation(this.activation)(x);
  }

  getConfig(): Record<string, unknown> {
    return { activation: this.activation };
  }
}
