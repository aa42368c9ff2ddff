// DepthwiseConv2D: y = activation(depthwiseConv2d(x, kernel) + bias) on NHWC images, kernel [KH, KW,
// inChannels, depthMultiplier] and bias [inChannels·depthMultiplier] (Keras's layout), and the window
// options it shares with SeparableConv2D (Keras's BaseDepthwiseConv).
import { ShapeError, ValueError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { depthwiseConv2d } from '../../ops/depthwiseConv';
import { windowGeometry, type PerAxis } from '../../ops/windows';
import type { ActivationName } from '../activations';
import { getInitializer, type Initializer, type InitializerName } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkBoolean, checkInitializer, checkPerAxis, checkPositiveInteger } from './configChecks';
import { biasAndActivation, checkActivation, checkPaddingName, checkStridesWithDilation, initializerConfig } from './convCommon';

export interface DepthwiseWindowArgs extends LayerArgs {
  /** Filter height and width: one number or [height, width]. */
  kernelSize: PerAxis;
  strides?: PerAxis;
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  /** Filters per input channel (default 1). */
  depthMultiplier?: number;
  dilationRate?: PerAxis;
  activation?: ActivationName;
  useBias?: boolean;
  depthwiseInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
}

/** The depthwise step's options, output size and config: what DepthwiseConv2D and SeparableConv2D share. */
export abstract class DepthwiseWindow extends Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly depthMultiplier: number;
  readonly dilationRate: [number, number];
  protected readonly activationName: ActivationName;
  protected readonly useBias: boolean;
  protected readonly depthwiseInitializer: InitializerName | Initializer;
  protected readonly biasInitializer: InitializerName | Initializer;

  constructor(args: DepthwiseWindowArgs, baseName: string, className: string) {
    super(args, baseName);
    if (args?.kernelSize === undefined) throw new ValueError(`${className}: kernelSize is required (a number or [height, width])`);
    this.kernelSize = checkPerAxis(className, 'kernelSize', args.kernelSize);
    this.strides = checkPerAxis(className, 'strides', args.strides ?? 1);
    this.dilationRate = checkPerAxis(className, 'dilationRate', args.dilationRate ?? 1);
    checkStridesWithDilation(className, this.strides, this.dilationRate);
    this.padding = checkPaddingName(className, args.padding, ['valid', 'same'] as const);
    this.depthMultiplier = checkPositiveInteger(className, 'depthMultiplier', args.depthMultiplier ?? 1);
    this.activationName = checkActivation(args.activation);
    this.useBias = checkBoolean(className, 'useBias', args.useBias, true);
    this.depthwiseInitializer = checkInitializer(className, 'depthwiseInitializer', args.depthwiseInitializer, 'glorotUniform');
    this.biasInitializer = checkInitializer(className, 'biasInitializer', args.biasInitializer, 'zeros');
  }

  /** The depthwise step's [outHeight, outWidth]; validates the input. */
  protected outputSize(inputShape: SampleShape): [number, number] {
    if (inputShape.length !== 3) {
      throw new ShapeError(`${this.name}: ${this.className} needs samples shaped [height, width, channels], got ${formatShape(inputShape)}`);
    }
    const call = `${this.name}: input ${formatShape(inputShape)}, kernelSize [${this.kernelSize}], strides [${this.strides}], padding '${this.padding}', dilationRate [${this.dilationRate}]`;
    return windowGeometry(this.name, [1, ...inputShape], this.kernelSize, this.strides, this.padding, this.dilationRate, call).outSize;
  }

  protected depthwiseSpec(inputShape: SampleShape, name: string): WeightSpec {
    // Keras's fans for [KH, KW, C, M]: fanIn = KH·KW·C, fanOut = KH·KW·M.
    return { name, shape: [...this.kernelSize, inputShape[2], this.depthMultiplier], initializer: getInitializer(this.depthwiseInitializer), trainable: true };
  }

  protected biasSpec(units: number): WeightSpec[] {
    return this.useBias ? [{ name: 'bias', shape: [units], initializer: getInitializer(this.biasInitializer), trainable: true }] : [];
  }

  /** depthwiseConv2d of a batch with `kernel`, after checking the batch against it. */
  protected depthwise(x: Tensor, kernel: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[3] !== kernel.shape[2]) {
      throw new ShapeError(`${this.name}: expected a batch [batch, height, width, ${kernel.shape[2]}], got ${formatShape(x.shape)}`);
    }
    return depthwiseConv2d(x, kernel, { strides: this.strides, padding: this.padding, dilation: this.dilationRate });
  }

  protected windowConfig(): Record<string, unknown> {
    return {
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      depthMultiplier: this.depthMultiplier,
      dilationRate: [...this.dilationRate],
      activation: this.activationName,
      useBias: this.useBias,
      ...initializerConfig('depthwiseInitializer', this.depthwiseInitializer),
      ...initializerConfig('biasInitializer', this.biasInitializer),
    };
  }
}

export class DepthwiseConv2D extends DepthwiseWindow {
  readonly className = 'DepthwiseConv2D';

  constructor(args: DepthwiseWindowArgs) {
    super(args, 'depthwise_conv2d', 'DepthwiseConv2D');
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return [...this.outputSize(inputShape), inputShape[2] * this.depthMultiplier];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    return [this.depthwiseSpec(inputShape, 'kernel'), ...this.biasSpec(inputShape[2] * this.depthMultiplier)];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    return biasAndActivation(this.depthwise(x, this.weights.get('kernel') as Tensor), this.weights.get('bias'), this.activationName);
  }

  getConfig(): Record<string, unknown> {
    return this.windowConfig();
  }
}
