// GRU as Keras 3 computes it: gates z (update), r (reset), h (candidate) side by side in kernel
// [features, 3·units] and recurrent_kernel [units, 3·units];
//   z = σ(x_z + u_z), r = σ(x_r + u_r), ĥ = tanh(x_h + r·u_h), h = z·h₋₁ + (1 − z)·ĥ,
// where x = x·kernel + input bias and, with resetAfter (Keras 3's default), u = h₋₁·recurrent_kernel
// + recurrent bias (bias [2, 3·units]); without it (the original GRU), u_h = (r·h₋₁)·recurrent_kernel_h
// and one bias [3·units] joins the input side.
import type { Tensor } from '../../tensor';
import { add, mul, sub } from '../../ops/binary';
import { matmul } from '../../ops/matmul';
import { reshape, slice } from '../../ops/movement';
import { getInitializer } from '../initializers';
import type { WeightSpec, SampleShape } from '../layer';
import { Recurrent, type RecurrentArgs, type RecurrentState } from './recurrent';
import { checkBoolean } from './configChecks';

export interface GruArgs<ReturnState extends boolean = false> extends RecurrentArgs<ReturnState> {
  /** Apply the reset gate after the recurrent matmul (Keras 3's default true, cuDNN's form). */
  resetAfter?: boolean;
}

export class GRU<ReturnState extends boolean = false> extends Recurrent<ReturnState> {
  readonly className = 'GRU';
  readonly resetAfter: boolean;

  constructor(units: number, args: GruArgs<ReturnState> = {}) {
    super(units, args, 'gru', 'GRU', 3, 1);
    this.resetAfter = checkBoolean('GRU', 'resetAfter', args.resetAfter, true);
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    const width = 3 * this.units;
    const specs = this.kernelSpecs(inputShape);
    if (!this.useBias) return specs;
    return [...specs, { name: 'bias', shape: this.resetAfter ? [2, width] : [width], initializer: getInitializer(this.biasInitializer), trainable: true }];
  }

  /** Row k of the [2, 3·units] bias (resetAfter), or the whole [3·units] bias for k = 0 otherwise. */
  private biasRow(k: 0 | 1): Tensor | null {
    const bias = this.weights.get('bias');
    if (!bias) return null;
    if (!this.resetAfter) return k === 0 ? bias : null;
    return reshape(slice(bias, [k, 0], [1, 3 * this.units]), [3 * this.units]);
  }

  protected inputBias(): Tensor | null {
    return this.biasRow(0);
  }

  protected step(projected: Tensor, state: RecurrentState | null, recurrentH: Tensor | null): RecurrentState {
    const kernel = this.weights.get('recurrent_kernel') as Tensor;
    const units = this.units;
    const withRecurrent = (k: number, recurrent: Tensor | null): Tensor => (recurrent ? add(this.gate(projected, k), recurrent) : this.gate(projected, k));
    let candidate: Tensor;
    let update: Tensor;
    if (this.resetAfter) {
      // u = h₋₁·U + b_rec; with h₋₁ = 0 it is b_rec alone (or nothing).
      const recurrentBias = this.biasRow(1);
      const inner = recurrentH ? (recurrentBias ? add(matmul(recurrentH, kernel), recurrentBias) : matmul(recurrentH, kernel)) : recurrentBias;
      // Before the first step's matmul, inner is the [3·units] bias itself.
      const innerGate = (k: number): Tensor | null => {
        if (!inner) return null;
        return inner.rank === 1 ? slice(inner, [k * units], [units]) : this.gate(inner, k);
      };
      update = this.recurrentActivation(withRecurrent(0, innerGate(0)));
      const reset = this.recurrentActivation(withRecurrent(1, innerGate(1)));
      const innerCandidate = innerGate(2);
      candidate = this.activation(innerCandidate ? add(this.gate(projected, 2), mul(reset, innerCandidate)) : this.gate(projected, 2));
    } else {
      const previous = recurrentH;
      const recurrentGates = previous ? matmul(previous, slice(kernel, [0, 0], [units, 2 * units])) : null;
      const recurrentGate = (k: number): Tensor | null => (recurrentGates ? slice(recurrentGates, [0, k * units], [recurrentGates.shape[0], units]) : null);
      update = this.recurrentActivation(withRecurrent(0, recurrentGate(0)));
      const reset = this.recurrentActivation(withRecurrent(1, recurrentGate(1)));
      const candidateKernel = slice(kernel, [0, 2 * units], [units, units]);
      candidate = this.activation(withRecurrent(2, previous ? matmul(mul(reset, previous), candidateKernel) : null));
    }
    // h = z·h₋₁ + (1 − z)·ĥ, written as ĥ + z·(h₋₁ − ĥ); with h₋₁ = 0, (1 − z)·ĥ.
    const h = state ? add(candidate, mul(update, sub(state.h, candidate))) : mul(sub(1, update), candidate);
    return { h };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), resetAfter: this.resetAfter };
  }
}
