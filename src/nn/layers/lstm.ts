// LSTM as Keras 3 computes it: gates i, f, c, o side by side in kernel [features, 4·units],
// recurrent_kernel [units, 4·units] and bias [4·units];
//   i = σ(zᵢ), f = σ(z_f), c = f·c₋₁ + i·tanh(z_c), o = σ(z_o), h = o·tanh(c).
import type { Tensor } from '../../tensor';
import { add, mul } from '../../ops/binary';
import { concat } from '../../ops/movement';
import { matmul } from '../../ops/matmul';
import { getInitializer } from '../initializers';
import type { WeightSpec, SampleShape } from '../layer';
import { Recurrent, type RecurrentArgs, type RecurrentState } from './recurrent';
import { checkBoolean } from './configChecks';

export interface LstmArgs<ReturnState extends boolean = false> extends RecurrentArgs<ReturnState> {
  /** Start the forget gate's bias at 1 (Keras's default true): the cell keeps its carry early in training. */
  unitForgetBias?: boolean;
}

export class LSTM<ReturnState extends boolean = false> extends Recurrent<ReturnState> {
  readonly className = 'LSTM';
  readonly unitForgetBias: boolean;

  constructor(units: number, args: LstmArgs<ReturnState> = {}) {
    super(units, args, 'lstm', 'LSTM', 4, 2);
    this.unitForgetBias = checkBoolean('LSTM', 'unitForgetBias', args.unitForgetBias, true);
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    const width = 4 * this.units;
    const specs = this.kernelSpecs(inputShape);
    if (!this.useBias) return specs;
    const blockInitializer = getInitializer(this.biasInitializer);
    const units = this.units;
    const biasInitializer = this.unitForgetBias
      // Keras: the bias initializer for i, c and o; ones for the forget gate.
      ? () => concat([blockInitializer([units]), getInitializer('ones')([units]), blockInitializer([2 * units])], 0)
      : blockInitializer;
    return [...specs, { name: 'bias', shape: [width], initializer: biasInitializer, trainable: true }];
  }

  protected inputBias(): Tensor | null {
    return this.weights.get('bias') ?? null;
  }

  protected step(projected: Tensor, state: RecurrentState | null, recurrentH: Tensor | null): RecurrentState {
    const z = recurrentH ? add(projected, matmul(recurrentH, this.weights.get('recurrent_kernel') as Tensor)) : projected;
    const input = this.recurrentActivation(this.gate(z, 0));
    const candidate = mul(input, this.activation(this.gate(z, 2)));
    // With a zero carry, f·c₋₁ vanishes: the first step skips it.
    const c = state?.c ? add(mul(this.recurrentActivation(this.gate(z, 1)), state.c), candidate) : candidate;
    const h = mul(this.recurrentActivation(this.gate(z, 3)), this.activation(c));
    return { h, c };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), unitForgetBias: this.unitForgetBias };
  }
}
