// What LSTM and GRU share: Keras's recurrent layer over [batch, steps, features] inputs. The input
// projection x·kernel (+ bias) runs for all steps in one matmul; then each step adds the recurrent
// part and applies the cell's gates, written with webgrad ops so the tape differentiates through
// time. Keras's kernel layouts are kept ([features, gates·units], gates side by side), so Keras
// weights load unchanged.
import { ShapeError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { linear } from '../../ops/linear';
import { concat, reshape, slice } from '../../ops/movement';
import { getActivation, type ActivationFunction, type ActivationName } from '../activations';
import { type Initializer, type InitializerName } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';
import { checkBoolean, checkInitializer, checkPositiveInteger } from './configChecks';

export interface RecurrentArgs extends LayerArgs {
  /** The cell's activation (Keras: tanh). */
  activation?: ActivationName;
  /** The gates' activation (Keras 3: sigmoid). */
  recurrentActivation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  recurrentInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
  /** Output every step's state ([batch, steps, units]) instead of the last ([batch, units]). */
  returnSequences?: boolean;
  /** Read the sequence from its last step to its first (outputs then come in that order, as Keras). */
  goBackwards?: boolean;
}

/** The state after a step: h, and the LSTM's carry c. */
export interface RecurrentState {
  h: Tensor;
  c?: Tensor;
}

export abstract class Recurrent extends Layer {
  protected readonly activation: ActivationFunction;
  protected readonly recurrentActivation: ActivationFunction;
  readonly activationName: ActivationName;
  readonly recurrentActivationName: ActivationName;
  readonly useBias: boolean;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  protected readonly kernelInitializer: InitializerName | Initializer;
  protected readonly recurrentInitializer: InitializerName | Initializer;
  protected readonly biasInitializer: InitializerName | Initializer;

  /** `gates`: how many blocks of `units` columns the kernels hold (LSTM 4, GRU 3). */
  constructor(readonly units: number, args: RecurrentArgs, baseName: string, className: string, protected readonly gates: number) {
    super(args, baseName);
    checkPositiveInteger(className, 'units', units);
    this.activationName = args.activation ?? 'tanh';
    this.recurrentActivationName = args.recurrentActivation ?? 'sigmoid';
    this.activation = getActivation(this.activationName);
    this.recurrentActivation = getActivation(this.recurrentActivationName);
    this.useBias = checkBoolean(className, 'useBias', args.useBias, true);
    this.returnSequences = checkBoolean(className, 'returnSequences', args.returnSequences, false);
    this.goBackwards = checkBoolean(className, 'goBackwards', args.goBackwards, false);
    this.kernelInitializer = checkInitializer(className, 'kernelInitializer', args.kernelInitializer, 'glorotUniform');
    this.recurrentInitializer = checkInitializer(className, 'recurrentInitializer', args.recurrentInitializer, 'orthogonal');
    this.biasInitializer = checkInitializer(className, 'biasInitializer', args.biasInitializer, 'zeros');
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 2) {
      throw new ShapeError(`${this.name}: ${this.className} needs samples shaped [steps, features], got ${formatShape(inputShape)}`);
    }
    return this.returnSequences ? [inputShape[0], this.units] : [this.units];
  }

  /** The bias added to the input projection of every step (null: none). */
  protected abstract inputBias(): Tensor | null;

  /** One step: the projected input [batch, gates·units] and the previous state (null: all zeros). */
  protected abstract step(projected: Tensor, state: RecurrentState | null): RecurrentState;

  call(x: Tensor, _options: CallOptions): Tensor {
    const kernel = this.weights.get('kernel') as Tensor;
    if (x.rank !== 3 || x.shape[2] !== kernel.shape[0]) {
      throw new ShapeError(`${this.name}: expected inputs [batch, steps, ${kernel.shape[0]}], got ${formatShape(x.shape)}`);
    }
    const [batch, steps, features] = x.shape;
    const width = this.gates * this.units;
    const projected = reshape(linear(reshape(x, [batch * steps, features]), kernel, this.inputBias()), [batch, steps, width]);
    let state: RecurrentState | null = null;
    const outputs: Tensor[] = [];
    for (let s = 0; s < steps; s++) {
      const t = this.goBackwards ? steps - 1 - s : s;
      state = this.step(reshape(slice(projected, [0, t, 0], [batch, 1, width]), [batch, width]), state);
      if (this.returnSequences) outputs.push(reshape(state.h, [batch, 1, this.units]));
    }
    return this.returnSequences ? concat(outputs, 1) : (state as RecurrentState).h;
  }

  /** Columns [k·units, (k+1)·units) of a [batch, gates·units] tensor: gate k's block. */
  protected gate(z: Tensor, k: number): Tensor {
    return slice(z, [0, k * this.units], [z.shape[0], this.units]);
  }

  getConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: this.activationName,
      recurrentActivation: this.recurrentActivationName,
      useBias: this.useBias,
      returnSequences: this.returnSequences,
      goBackwards: this.goBackwards,
      ...(typeof this.kernelInitializer === 'string' ? { kernelInitializer: this.kernelInitializer } : {}),
      ...(typeof this.recurrentInitializer === 'string' ? { recurrentInitializer: this.recurrentInitializer } : {}),
      ...(typeof this.biasInitializer === 'string' ? { biasInitializer: this.biasInitializer } : {}),
    };
  }
}
