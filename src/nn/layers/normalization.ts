// BatchNormalization and LayerNormalization, with Keras's weights, defaults and update rule.
import { ValueError, formatShape, formatValue } from '../../errors';
import { noGrad } from '../../autograd/recorder';
import { tidy } from '../../memory';
import type { Tensor } from '../../tensor';
import { add, mul } from '../../ops/binary';
import { reshape } from '../../ops/movement';
import { batchNorm, layerNorm, moments } from '../../ops/normalization';
import { normalizeAxes, normalizeAxis } from '../../shape';
import { getInitializer } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkBoolean, checkNumber } from './configChecks';

export interface BatchNormalizationArgs extends LayerArgs {
  /** The feature axis of the batched input (default -1; 0 is the batch axis and not allowed). */
  axis?: number;
  momentum?: number;
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
}

/**
 * Normalizes each feature over the batch (and every other non-feature axis). Training uses the
 * batch's mean and (biased) variance and updates the non-trainable moving statistics as Keras:
 * moving = moving·momentum + batch·(1 − momentum). Inference uses the moving statistics.
 * Weights: gamma, beta (trainable), moving_mean, moving_variance (not), each [features].
 */
export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'batch_normalization');
    this.axis = args.axis ?? -1;
    this.momentum = checkNumber('BatchNormalization', 'momentum', args.momentum, 0.99);
    this.epsilon = checkNumber('BatchNormalization', 'epsilon', args.epsilon, 1e-3);
    this.center = checkBoolean('BatchNormalization', 'center', args.center, true);
    this.scale = checkBoolean('BatchNormalization', 'scale', args.scale, true);
    if (!Number.isInteger(this.axis)) throw new ValueError(`BatchNormalization: axis must be an integer, got ${this.axis}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ValueError(`BatchNormalization: momentum must be in [0, 1], got ${this.momentum}`);
    if (!(this.epsilon >= 0)) throw new ValueError(`BatchNormalization: epsilon must be >= 0, got ${this.epsilon}`);
  }

  /** The feature axis in the batched input of a sample shape. */
  private featureAxis(inputShape: SampleShape): number {
    const axis = normalizeAxis(this.name, this.axis, inputShape.length + 1);
    if (axis === 0) throw new ValueError(`${this.name}: axis ${this.axis} is the batch axis of inputs [batch,${inputShape.join(',')}]; pick a feature axis`);
    return axis;
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    this.featureAxis(inputShape);
    return [...inputShape];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    const shape = [inputShape[this.featureAxis(inputShape) - 1]];
    const [ones, zeros] = [getInitializer('ones'), getInitializer('zeros')];
    return [
      ...(this.scale ? [{ name: 'gamma', shape, initializer: ones, trainable: true }] : []),
      ...(this.center ? [{ name: 'beta', shape, initializer: zeros, trainable: true }] : []),
      { name: 'moving_mean', shape, initializer: zeros, trainable: false },
      { name: 'moving_variance', shape, initializer: ones, trainable: false },
    ];
  }

  call(x: Tensor, options: CallOptions): Tensor {
    const axis = this.featureAxis(x.shape.slice(1));
    const features = x.shape[axis];
    const broadcastShape = x.shape.map((dim, a) => (a === axis ? dim : 1));
    const weight = (name: string): Tensor | null => {
      const w = this.weights.get(name);
      return w ? reshape(w, broadcastShape) : null;
    };
    const movingMean = this.weights.get('moving_mean') as Tensor;
    const movingVariance = this.weights.get('moving_variance') as Tensor;
    // Keras 3: a frozen BatchNormalization (trainable false, itself or through its model) runs in
    // inference mode even while training, so fine-tuning under a frozen base neither normalizes
    // with the new data's batch statistics nor moves the statistics learned before.
    if (!options.training || !this.trainable) {
      return tidy(() => batchNorm(x, weight('moving_mean') as Tensor, weight('moving_variance') as Tensor, weight('gamma'), weight('beta'), this.epsilon));
    }
    const reduced = x.shape.map((_, a) => a).filter((a) => a !== axis);
    return tidy(() => {
      const batch = moments(x, reduced, true);
      noGrad(() => tidy(() => {
        const decay = (moving: Tensor, value: Tensor): void =>
          moving.assign(add(mul(moving, this.momentum), mul(reshape(value, [features]), 1 - this.momentum)));
        decay(movingMean, batch.mean);
        decay(movingVariance, batch.variance);
      }));
      return batchNorm(x, batch.mean, batch.variance, weight('gamma'), weight('beta'), this.epsilon);
    });
  }

  getConfig(): Record<string, unknown> {
    return { axis: this.axis, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}

export interface LayerNormalizationArgs extends LayerArgs {
  /** Axis or axes of the batched input normalized over (default -1, the features). */
  axis?: number | readonly number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

/**
 * Normalizes each sample over `axis` (by default each position's feature vector), then scales by
 * gamma and shifts by beta, both shaped like the normalized axes (Keras LayerNormalization).
 */
export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args, 'layer_normalization');
    const axis: unknown = args.axis ?? -1;
    if (!Number.isInteger(axis) && !(Array.isArray(axis) && axis.length > 0 && axis.every(Number.isInteger))) {
      throw new ValueError(`LayerNormalization: axis must be an integer or a non-empty array of integers, got ${formatValue(axis)}`);
    }
    this.axis = Array.isArray(axis) ? [...axis as number[]] : axis as number;
    this.epsilon = checkNumber('LayerNormalization', 'epsilon', args.epsilon, 1e-3);
    this.center = checkBoolean('LayerNormalization', 'center', args.center, true);
    this.scale = checkBoolean('LayerNormalization', 'scale', args.scale, true);
    if (!(this.epsilon >= 0)) throw new ValueError(`LayerNormalization: epsilon must be >= 0, got ${this.epsilon}`);
  }

  /** The normalized axes of the batched input. */
  private normalizedAxes(inputShape: SampleShape): number[] {
    const axes = normalizeAxes(this.name, this.axis, inputShape.length + 1);
    if (axes.includes(0)) throw new ValueError(`${this.name}: axis ${formatAxis(this.axis)} includes the batch axis of inputs [batch,${inputShape.join(',')}]`);
    return axes;
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    this.normalizedAxes(inputShape);
    return [...inputShape];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    const shape = this.normalizedAxes(inputShape).map((a) => inputShape[a - 1]);
    return [
      ...(this.scale ? [{ name: 'gamma', shape, initializer: getInitializer('ones'), trainable: true }] : []),
      ...(this.center ? [{ name: 'beta', shape, initializer: getInitializer('zeros'), trainable: true }] : []),
    ];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    return layerNorm(x, this.weights.get('gamma') ?? null, this.weights.get('beta') ?? null, { axis: this.axis, epsilon: this.epsilon });
  }

  getConfig(): Record<string, unknown> {
    return { axis: this.axis, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}

function formatAxis(axis: number | readonly number[]): string {
  return typeof axis === 'number' ? String(axis) : `[${axis.join(',')}]`;
}
