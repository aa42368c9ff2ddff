// Dense: y = activation(x · kernel + bias), kernel [inputDim, units], on the last axis of x.
import { ShapeError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { isEpilogueActivation, linear } from '../../ops/linear';
import { reshape } from '../../ops/movement';
import { getActivation, type ActivationName } from '../activations';
import { getInitializer, type Initializer, type InitializerName } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkBoolean, checkInitializer, checkPositiveInteger } from './configChecks';

export interface DenseArgs extends LayerArgs {
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  private readonly activationName: ActivationName;
  private readonly useBias: boolean;
  private readonly kernelInitializer: InitializerName | Initializer;
  private readonly biasInitializer: InitializerName | Initializer;

  constructor(readonly units: number, args: DenseArgs = {}) {
    super(args, 'dense');
    checkPositiveInteger('Dense', 'units', units);
    this.activationName = args.activation ?? 'linear';
    getActivation(this.activationName);
    this.useBias = checkBoolean('Dense', 'useBias', args.useBias, true);
    this.kernelInitializer = checkInitializer('Dense', 'kernelInitializer', args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = checkInitializer('Dense', 'biasInitializer', args.biasInitializer, 'zeros');
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length === 0) throw new ShapeError(`${this.name}: Dense needs inputs with at least one feature axis, got ${formatShape(inputShape)}`);
    return [...inputShape.slice(0, -1), this.units];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    const inputDim = inputShape[inputShape.length - 1];
    const kernel = { name: 'kernel', shape: [inputDim, this.units], initializer: getInitializer(this.kernelInitializer), trainable: true };
    return this.useBias ? [kernel, { name: 'bias', shape: [this.units], initializer: getInitializer(this.biasInitializer), trainable: true }] : [kernel];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    const kernel = this.weights.get('kernel') as Tensor;
    const features = x.shape[x.rank - 1];
    if (features !== kernel.shape[0]) {
      throw new ShapeError(`${this.name}: expected inputs with last dimension ${kernel.shape[0]}, got ${formatShape(x.shape)}`);
    }
    // Higher-rank inputs go through matmul as [rows, features] so the kernel is never broadcast.
    const rows = x.rank === 2 ? x : reshape(x, [-1, features]);
    const bias = this.weights.get('bias') ?? null;
    const toInputRank = (y: Tensor): Tensor => (x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), this.units]));
    // One dispatch when the matmul epilogue can apply the activation; otherwise activate after, on
    // the input's rank, so the output is the activation's own (a softmax keeps its logits for fit).
    if (isEpilogueActivation(this.activationName)) return toInputRank(linear(rows, kernel, bias, this.activationName));
    return getActivation(this.activationName)(toInputRank(linear(rows, kernel, bias)));
  }

  getConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: this.activationName,
      useBias: this.useBias,
      ...(typeof this.kernelInitializer === 'string' ? { kernelInitializer: this.kernelInitializer } : {}),
      ...(typeof this.biasInitializer === 'string' ? { biasInitializer: this.biasInitializer } : {}),
    };
  }
}
