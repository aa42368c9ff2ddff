// SeparableConv2D: a depthwise convolution (depthwise_kernel [KH, KW, inChannels, depthMultiplier])
// then a pointwise one (pointwise_kernel [1, 1, inChannels·depthMultiplier, filters]) plus bias
// [filters], then the activation: Keras's layout and weight names. The pointwise step is one matmul
// over all pixels, with the bias and (for linear, relu, sigmoid, tanh) the activation in its epilogue.
import type { Tensor } from '../../tensor';
import { isEpilogueActivation, linear } from '../../ops/linear';
import { reshape } from '../../ops/movement';
import { getInitializer, type Initializer, type InitializerName } from '../initializers';
import { getActivation } from '../activations';
import type { CallOptions, SampleShape, WeightSpec } from '../layer';
import { checkInitializer, checkPositiveInteger } from './configChecks';
import { initializerConfig } from './convCommon';
import { DepthwiseWindow, type DepthwiseWindowArgs } from './depthwiseConv2d';

export interface SeparableConv2DArgs extends DepthwiseWindowArgs {
  pointwiseInitializer?: InitializerName | Initializer;
}

export class SeparableConv2D extends DepthwiseWindow {
  readonly className = 'SeparableConv2D';
  private readonly pointwiseInitializer: InitializerName | Initializer;

  constructor(readonly filters: number, args: SeparableConv2DArgs) {
    super(args, 'separable_conv2d', 'SeparableConv2D');
    checkPositiveInteger('SeparableConv2D', 'filters', filters);
    this.pointwiseInitializer = checkInitializer('SeparableConv2D', 'pointwiseInitializer', args.pointwiseInitializer, 'glorotUniform');
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return [...this.outputSize(inputShape), this.filters];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    const pointwise = { name: 'pointwise_kernel', shape: [1, 1, inputShape[2] * this.depthMultiplier, this.filters], initializer: getInitializer(this.pointwiseInitializer), trainable: true };
    return [this.depthwiseSpec(inputShape, 'depthwise_kernel'), pointwise, ...this.biasSpec(this.filters)];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    const depthwise = this.depthwise(x, this.weights.get('depthwise_kernel') as Tensor);
    const pointwise = this.weights.get('pointwise_kernel') as Tensor;
    const [batch, height, width, channels] = depthwise.shape;
    const pixels = reshape(depthwise, [batch * height * width, channels]);
    const kernel = reshape(pointwise, [channels, this.filters]);
    const bias = this.weights.get('bias') ?? null;
    const y = isEpilogueActivation(this.activationName)
      ? linear(pixels, kernel, bias, this.activationName)
      : getActivation(this.activationName)(linear(pixels, kernel, bias));
    return reshape(y, [batch, height, width, this.filters]);
  }

  getConfig(): Record<string, unknown> {
    return { filters: this.filters, ...this.windowConfig(), ...initializerConfig('pointwiseInitializer', this.pointwiseInitializer) };
  }
}
