// Conv2D: y = activation(conv2d(x, kernel) + bias) on NHWC images, kernel [KH, KW, Cin, filters] (Keras's layout).
import { ShapeError, ValueError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { add } from '../../ops/binary';
import { conv2d } from '../../ops/conv';
import { explicitPadding, windowGeometry, type Padding, type PerAxis } from '../../ops/windows';
import { getActivation, type ActivationName } from '../activations';
import { getInitializer, type Initializer, type InitializerName } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkBoolean, checkInitializer, checkPerAxis, checkPositiveInteger } from './configChecks';

export interface Conv2DArgs extends LayerArgs {
  /** Filter height and width: one number or [height, width]. */
  kernelSize: PerAxis;
  strides?: PerAxis;
  /** 'valid' (default) or 'same' as in Keras; explicit zeros also work: a number, [height, width] or [[top, bottom], [left, right]]. */
  padding?: Padding;
  dilationRate?: PerAxis;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
}

export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  private readonly activationName: ActivationName;
  private readonly useBias: boolean;
  private readonly kernelInitializer: InitializerName | Initializer;
  private readonly biasInitializer: InitializerName | Initializer;

  constructor(readonly filters: number, args: Conv2DArgs) {
    super(args, 'conv2d');
    checkPositiveInteger('Conv2D', 'filters', filters);
    if (args?.kernelSize === undefined) throw new ValueError('Conv2D: kernelSize is required (a number or [height, width])');
    this.kernelSize = checkPerAxis('Conv2D', 'kernelSize', args.kernelSize);
    this.strides = checkPerAxis('Conv2D', 'strides', args.strides ?? 1);
    this.dilationRate = checkPerAxis('Conv2D', 'dilationRate', args.dilationRate ?? 1);
    this.padding = args.padding ?? 'valid';
    if (typeof this.padding !== 'string') explicitPadding('Conv2D', this.padding);
    else if (this.padding !== 'valid' && this.padding !== 'same') throw new ValueError(`Conv2D: padding must be 'valid', 'same', a number, [height, width] or [[top, bottom], [left, right]], got '${this.padding}'`);
    this.activationName = args.activation ?? 'linear';
    getActivation(this.activationName);
    this.useBias = checkBoolean('Conv2D', 'useBias', args.useBias, true);
    this.kernelInitializer = checkInitializer('Conv2D', 'kernelInitializer', args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = checkInitializer('Conv2D', 'biasInitializer', args.biasInitializer, 'zeros');
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 3) {
      throw new ShapeError(`${this.name}: Conv2D needs samples shaped [height, width, channels], got ${formatShape(inputShape)}`);
    }
    const call = `${this.name}: input ${formatShape(inputShape)}, kernelSize [${this.kernelSize}], strides [${this.strides}], padding ${JSON.stringify(this.padding)}, dilationRate [${this.dilationRate}]`;
    const g = windowGeometry(this.name, [1, ...inputShape], this.kernelSize, this.strides, this.padding, this.dilationRate, call);
    return [...g.outSize, this.filters];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    const inChannels = inputShape[2];
    // The initializer reads fans as Keras does: fanIn = KH·KW·Cin, fanOut = KH·KW·filters.
    const kernel = { name: 'kernel', shape: [...this.kernelSize, inChannels, this.filters], initializer: getInitializer(this.kernelInitializer), trainable: true };
    return this.useBias ? [kernel, { name: 'bias', shape: [this.filters], initializer: getInitializer(this.biasInitializer), trainable: true }] : [kernel];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    const kernel = this.weights.get('kernel') as Tensor;
    if (x.rank !== 4 || x.shape[3] !== kernel.shape[2]) {
      throw new ShapeError(`${this.name}: expected a batch [batch, height, width, ${kernel.shape[2]}], got ${formatShape(x.shape)}`);
    }
    let y = conv2d(x, kernel, { strides: this.strides, padding: this.padding, dilation: this.dilationRate });
    const bias = this.weights.get('bias');
    if (bias) y = add(y, bias);
    return getActivation(this.activationName)(y);
  }

  getConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: typeof this.padding === 'string' || typeof this.padding === 'number' ? this.padding : [...this.padding],
      dilationRate: [...this.dilationRate],
      activation: this.activationName,
      useBias: this.useBias,
      ...(typeof this.kernelInitializer === 'string' ? { kernelInitializer: this.kernelInitializer } : {}),
      ...(typeof this.biasInitializer === 'string' ? { biasInitializer: this.biasInitializer } : {}),
    };
  }
}
