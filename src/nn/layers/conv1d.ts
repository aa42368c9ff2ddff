// Conv1D: y = activation(conv1d(x, kernel) + bias) over sequences [batch, steps, channels], kernel
// [kernelSize, inChannels, filters] (Keras's layout), computed as conv2d on [batch, 1, steps, channels].
import { ShapeError, ValueError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { conv2d } from '../../ops/conv';
import { reshape } from '../../ops/movement';
import type { Padding } from '../../ops/windows';
import type { ActivationName } from '../activations';
import { getInitializer, type Initializer, type InitializerName } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkBoolean, checkInitializer, checkPositiveInteger } from './configChecks';
import { biasAndActivation, checkActivation, checkPaddingName, checkStridesWithDilation, initializerConfig } from './convCommon';

export type Conv1DPadding = 'valid' | 'same' | 'causal';

export interface Conv1DArgs extends LayerArgs {
  /** Kernel length: a number or [length]. */
  kernelSize: number | readonly [number];
  strides?: number | readonly [number];
  /** 'valid' (default), 'same', or 'causal': (kernelSize − 1)·dilationRate zeros on the left only, so step t never sees later steps. */
  padding?: Conv1DPadding;
  dilationRate?: number | readonly [number];
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
}

/** A positive integer given as a number or a one-element list (Keras's 1-tuple). */
function checkLength(name: string, value: unknown): number {
  const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
  return checkPositiveInteger('Conv1D', name, single);
}

export class Conv1D extends Layer {
  readonly className = 'Conv1D';
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Conv1DPadding;
  readonly dilationRate: number;
  private readonly activationName: ActivationName;
  private readonly useBias: boolean;
  private readonly kernelInitializer: InitializerName | Initializer;
  private readonly biasInitializer: InitializerName | Initializer;

  constructor(readonly filters: number, args: Conv1DArgs) {
    super(args, 'conv1d');
    checkPositiveInteger('Conv1D', 'filters', filters);
    if (args?.kernelSize === undefined) throw new ValueError('Conv1D: kernelSize is required (a number or [length])');
    this.kernelSize = checkLength('kernelSize', args.kernelSize);
    this.strides = checkLength('strides', args.strides ?? 1);
    this.dilationRate = checkLength('dilationRate', args.dilationRate ?? 1);
    checkStridesWithDilation('Conv1D', [this.strides], [this.dilationRate]);
    this.padding = checkPaddingName('Conv1D', args.padding, ['valid', 'same', 'causal'] as const);
    this.activationName = checkActivation(args.activation);
    this.useBias = checkBoolean('Conv1D', 'useBias', args.useBias, true);
    this.kernelInitializer = checkInitializer('Conv1D', 'kernelInitializer', args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = checkInitializer('Conv1D', 'biasInitializer', args.biasInitializer, 'zeros');
  }

  /** The conv2d padding over [1, steps]: 'causal' puts all of it before the first step. */
  private get padding2d(): Padding {
    return this.padding === 'causal' ? [[0, 0], [(this.kernelSize - 1) * this.dilationRate, 0]] : this.padding;
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 2) {
      throw new ShapeError(`${this.name}: Conv1D needs samples shaped [steps, channels], got ${formatShape(inputShape)}`);
    }
    const [steps] = inputShape;
    const span = (this.kernelSize - 1) * this.dilationRate + 1;
    if (this.padding === 'same') return [Math.ceil(steps / this.strides), this.filters];
    const padded = steps + (this.padding === 'causal' ? span - 1 : 0);
    if (padded < span) {
      throw new ShapeError(`${this.name}: the kernel spans ${span} steps (kernelSize ${this.kernelSize}, dilationRate ${this.dilationRate}) but the input has ${steps}: input ${formatShape(inputShape)}, padding '${this.padding}'`);
    }
    return [Math.floor((padded - span) / this.strides) + 1, this.filters];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    // The initializer reads fans as Keras does: fanIn = kernelSize·inChannels, fanOut = kernelSize·filters.
    const kernel = { name: 'kernel', shape: [this.kernelSize, inputShape[1], this.filters], initializer: getInitializer(this.kernelInitializer), trainable: true };
    return this.useBias ? [kernel, { name: 'bias', shape: [this.filters], initializer: getInitializer(this.biasInitializer), trainable: true }] : [kernel];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    const kernel = this.weights.get('kernel') as Tensor;
    const [, inChannels, filters] = kernel.shape;
    if (x.rank !== 3 || x.shape[2] !== inChannels) {
      throw new ShapeError(`${this.name}: expected a batch [batch, steps, ${inChannels}], got ${formatShape(x.shape)}`);
    }
    const [outSteps] = this.computeOutputShape(x.shape.slice(1));
    const images = reshape(x, [x.shape[0], 1, x.shape[1], inChannels]);
    const y = conv2d(images, reshape(kernel, [1, this.kernelSize, inChannels, filters]), {
      strides: [1, this.strides], padding: this.padding2d, dilation: [1, this.dilationRate],
    });
    return biasAndActivation(reshape(y, [x.shape[0], outSteps, filters]), this.weights.get('bias'), this.activationName);
  }

  getConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
      activation: this.activationName,
      useBias: this.useBias,
      ...initializerConfig('kernelInitializer', this.kernelInitializer),
      ...initializerConfig('biasInitializer', this.biasInitializer),
    };
  }
}
