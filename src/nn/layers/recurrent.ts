// What LSTM and GRU share: Keras's recurrent layer over [batch, steps, features] inputs. The input
// projection x·kernel (+ bias) runs for all steps in one matmul; then each step adds the recurrent
// part and applies the cell's gates, written with webgrad ops so the tape differentiates through
// time. Keras's kernel layouts are kept ([features, gates·units], gates side by side), so Keras
// weights load unchanged.
import { ShapeError, ValueError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { linear } from '../../ops/linear';
import { concat, reshape, slice } from '../../ops/movement';
import { mul } from '../../ops/binary';
import { ones } from '../../ops/creation';
import { dropout } from '../../ops/dropout';
import { getActivation, type ActivationFunction, type ActivationName } from '../activations';
import { getInitializer, type Initializer, type InitializerName } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkBoolean, checkInitializer, checkPositiveInteger, checkRate } from './configChecks';

export interface RecurrentArgs<ReturnState extends boolean = false> extends LayerArgs {
  /**
   * Also return the final state: `[output, h, c]` for an LSTM, `[output, h]` for a GRU (Keras's
   * return_state), so another recurrent layer can start from it.
   */
  returnState?: ReturnState;
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
  /** In training, the fraction of input features dropped: one mask per sequence, the same at every step (Keras). */
  dropout?: number;
  /** In training, the fraction of the state's units dropped where the state enters the recurrent matmul. */
  recurrentDropout?: number;
}

/** The state after a step: h, and the LSTM's carry c. */
export interface RecurrentState {
  h: Tensor;
  c?: Tensor;
}

/**
 * A recurrent layer applied to one input reads its sequence from a zero state; applied to a list
 * `[x, h0]` (GRU) or `[x, h0, c0]` (LSTM) it starts from those states (Keras's initial_state).
 */
export abstract class Recurrent<ReturnState extends boolean = false> extends Layer {
  readonly returnState: ReturnState;
  /** `apply` returns a list when returnState is true (see LayerOutput). */
  readonly returnsList: ReturnState;
  protected readonly activation: ActivationFunction;
  protected readonly recurrentActivation: ActivationFunction;
  readonly activationName: ActivationName;
  readonly recurrentActivationName: ActivationName;
  readonly useBias: boolean;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  protected readonly kernelInitializer: InitializerName | Initializer;
  protected readonly recurrentInitializer: InitializerName | Initializer;
  protected readonly biasInitializer: InitializerName | Initializer;

  /** `gates`: how many blocks of `units` columns the kernels hold (LSTM 4, GRU 3); `states`: h (and c). */
  constructor(
    readonly units: number, args: RecurrentArgs<ReturnState>, baseName: string, className: string,
    protected readonly gates: number, private readonly states: number,
  ) {
    super(args, baseName);
    checkPositiveInteger(className, 'units', units);
    this.returnState = checkBoolean(className, 'returnState', args.returnState, false) as ReturnState;
    this.returnsList = this.returnState;
    this.activationName = args.activation ?? 'tanh';
    this.recurrentActivationName = args.recurrentActivation ?? 'sigmoid';
    this.activation = getActivation(this.activationName);
    this.recurrentActivation = getActivation(this.recurrentActivationName);
    this.useBias = checkBoolean(className, 'useBias', args.useBias, true);
    this.returnSequences = checkBoolean(className, 'returnSequences', args.returnSequences, false);
    this.goBackwards = checkBoolean(className, 'goBackwards', args.goBackwards, false);
    this.dropout = checkRate(className, 'dropout', args.dropout);
    this.recurrentDropout = checkRate(className, 'recurrentDropout', args.recurrentDropout);
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

  /** The sequence's shape, after checking that any initial states given are [units] each. */
  private sequenceShape(inputShapes: readonly SampleShape[]): SampleShape {
    if (inputShapes.length !== 1 && inputShapes.length !== 1 + this.states) {
      const list = this.states === 2 ? '[x, h0, c0]' : '[x, h0]';
      throw new ValueError(`${this.name}: ${this.className} takes a sequence, or ${list} to start from given states; got ${inputShapes.length} inputs`);
    }
    inputShapes.slice(1).forEach((shape, k) => {
      if (shape.length !== 1 || shape[0] !== this.units) {
        throw new ShapeError(`${this.name}: initial state ${k} must be [batch, ${this.units}], got samples of shape ${formatShape(shape)}`);
      }
    });
    return inputShapes[0];
  }

  override outputCount(): number {
    return this.returnState ? 1 + this.states : 1;
  }

  override computeOutputShapes(inputShapes: readonly SampleShape[]): number[] {
    return this.computeOutputShape(this.sequenceShape(inputShapes));
  }

  override outputShapesFor(inputShapes: readonly SampleShape[]): number[][] {
    const output = this.computeOutputShapes(inputShapes);
    return this.returnState ? [output, ...new Array<number[]>(this.states).fill([this.units])] : [output];
  }

  override buildInputs(inputShapes: readonly SampleShape[]): void {
    this.build(this.sequenceShape(inputShapes));
  }

  override weightSpecsFor(inputShapes: readonly SampleShape[]): WeightSpec[] {
    return this.weightSpecs(this.sequenceShape(inputShapes));
  }

  override callInputs(inputs: readonly Tensor[], options: CallOptions): Tensor {
    return this.callAll(inputs, options)[0];
  }

  override callAll(inputs: readonly Tensor[], options: CallOptions): Tensor[] {
    this.sequenceShape(inputs.map((t) => t.shape.slice(1)));
    const [x, ...initial] = inputs;
    for (const state of initial) {
      if (state.shape[0] !== x.shape[0]) {
        throw new ShapeError(`${this.name}: initial states ${formatShape(state.shape)} do not match the batch of the sequence ${formatShape(x.shape)}`);
      }
    }
    const { output, state } = this.run(x, initial.length > 0 ? { h: initial[0], c: initial[1] } : null, options);
    if (!this.returnState) return [output];
    return this.states === 2 ? [output, state.h, state.c as Tensor] : [output, state.h];
  }

  /** kernel [features, gates·units] and recurrent_kernel [units, gates·units], Keras's layouts. */
  protected kernelSpecs(inputShape: SampleShape): WeightSpec[] {
    const features = inputShape[inputShape.length - 1];
    const width = this.gates * this.units;
    return [
      { name: 'kernel', shape: [features, width], initializer: getInitializer(this.kernelInitializer), trainable: true },
      { name: 'recurrent_kernel', shape: [this.units, width], initializer: getInitializer(this.recurrentInitializer), trainable: true },
    ];
  }

  /** The bias added to the input projection of every step (null: none). */
  protected abstract inputBias(): Tensor | null;

  /**
   * One step: the projected input [batch, gates·units], the previous state (null: all zeros), and
   * the h that enters the recurrent matmul (state.h, or with recurrent dropout a masked copy).
   */
  protected abstract step(projected: Tensor, state: RecurrentState | null, recurrentH: Tensor | null): RecurrentState;

  call(x: Tensor, options: CallOptions): Tensor {
    return this.run(x, null, options).output;
  }

  /** The output (last state or every step's) and the final state, from `initial` (null: zeros). */
  private run(x: Tensor, initial: RecurrentState | null, options: CallOptions): { output: Tensor; state: RecurrentState } {
    const kernel = this.weights.get('kernel') as Tensor;
    if (x.rank !== 3 || x.shape[2] !== kernel.shape[0]) {
      throw new ShapeError(`${this.name}: expected inputs [batch, steps, ${kernel.shape[0]}], got ${formatShape(x.shape)}`);
    }
    const [batch, steps, features] = x.shape;
    const width = this.gates * this.units;
    // Keras's masks: drawn once per call, scaled by 1/(1 − rate), shared by every step (and every gate).
    const inputMask = options.training && this.dropout > 0 ? dropout(ones([batch, 1, features]), this.dropout) : null;
    const stateMask = options.training && this.recurrentDropout > 0 ? dropout(ones([batch, this.units]), this.recurrentDropout) : null;
    const inputs = inputMask ? mul(x, inputMask) : x;
    const projected = reshape(linear(reshape(inputs, [batch * steps, features]), kernel, this.inputBias()), [batch, steps, width]);
    let state: RecurrentState | null = initial;
    const outputs: Tensor[] = [];
    for (let s = 0; s < steps; s++) {
      const t = this.goBackwards ? steps - 1 - s : s;
      const recurrentH = state && stateMask ? mul(state.h, stateMask) : state?.h ?? null;
      state = this.step(reshape(slice(projected, [0, t, 0], [batch, 1, width]), [batch, width]), state, recurrentH);
      if (this.returnSequences) outputs.push(reshape(state.h, [batch, 1, this.units]));
    }
    const last = state as RecurrentState;
    return { output: this.returnSequences ? concat(outputs, 1) : last.h, state: last };
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
      returnState: this.returnState,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      goBackwards: this.goBackwards,
      ...(typeof this.kernelInitializer === 'string' ? { kernelInitializer: this.kernelInitializer } : {}),
      ...(typeof this.recurrentInitializer === 'string' ? { recurrentInitializer: this.recurrentInitializer } : {}),
      ...(typeof this.biasInitializer === 'string' ? { biasInitializer: this.biasInitializer } : {}),
    };
  }
}
