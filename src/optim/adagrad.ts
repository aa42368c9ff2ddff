// Adagrad: per-element step sizes that shrink with the sum of squared gradients, as keras.optimizers.Adagrad.
import adagradSource from '../../shaders/optim/adagrad.wgsl';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import type { Tensor } from '../tensor';
import { Optimizer, type OptimizerOptions } from './optimizer';

const adagradKernel = defineKernel('adagrad', adagradSource);

export interface AdagradOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Starting value of every accumulator, ≥ 0. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Added under the square root. Default 1e-7. */
  epsilon?: number;
}

export class Adagrad extends Optimizer {
  readonly name = 'adagrad';
  readonly initialAccumulatorValue: number;
  epsilon: number;

  constructor(options: AdagradOptions = {}) {
    super(0.001, options);
    this.initialAccumulatorValue = options.initialAccumulatorValue ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-7;
    this.checkRange('initialAccumulatorValue', this.initialAccumulatorValue, 0, Infinity);
    this.checkHyperparameters();
  }

  protected override checkHyperparameters(): void {
    super.checkHyperparameters();
    this.checkRange('epsilon', this.epsilon, 0, Infinity);
  }

  protected updateParameter(param: Tensor, grad: Tensor): void {
    launch(adagradKernel, {
      buffers: {
        param: param.buffer,
        grad: grad.buffer,
        accumulator: this.slot(param, 'accumulator', this.initialAccumulatorValue).buffer,
      },
      uniforms: { count: Math.ceil(param.size / 4), learningRate: this.learningRate, epsilon: this.epsilon, decay: this.decayFactor },
      threads: Math.ceil(param.size / 4),
    });
  }

  getConfig(): Record<string, number | boolean> {
    return {
      learningRate: this.learningRate,
      initialAccumulatorValue: this.initialAccumulatorValue,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
  }
}
