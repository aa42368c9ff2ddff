// RMSprop with optional momentum and centering, as keras.optimizers.RMSprop.
import rmspropSource from '../../shaders/optim/rmsprop.wgsl';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import type { Tensor } from '../tensor';
import { Optimizer, type OptimizerOptions } from './optimizer';

const rmspropKernel = defineKernel('rmsprop', rmspropSource);

export interface RMSpropOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Decay rate of the mean square (and mean gradient), in [0, 1]. Default 0.9. */
  rho?: number;
  /** In [0, 1]; 0 (the default) keeps no velocity. */
  momentum?: number;
  /** Added under the square root. Default 1e-7. */
  epsilon?: number;
  /** Normalize by the estimated variance instead of the mean square. Default false. */
  centered?: boolean;
}

export class RMSprop extends Optimizer {
  readonly name = 'rmsprop';
  rho: number;
  momentum: number;
  epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    super(0.001, options);
    this.rho = options.rho ?? 0.9;
    this.momentum = options.momentum ?? 0;
    this.epsilon = options.epsilon ?? 1e-7;
    this.centered = options.centered ?? false;
    this.checkHyperparameters();
  }

  protected override checkHyperparameters(): void {
    super.checkHyperparameters();
    this.checkRange('rho', this.rho, 0, 1);
    this.checkRange('momentum', this.momentum, 0, 1);
    this.checkRange('epsilon', this.epsilon, 0, Infinity);
  }

  protected updateParameter(param: Tensor, grad: Tensor): void {
    const usesMomentum = this.momentum > 0;
    launch(rmspropKernel, {
      buffers: {
        param: param.buffer,
        grad: grad.buffer,
        meanSquare: this.slot(param, 'meanSquare').buffer,
        meanGrad: (this.centered ? this.slot(param, 'meanGrad') : this.unusedSlot('meanGrad')).buffer,
        velocity: (usesMomentum ? this.slot(param, 'velocity') : this.unusedSlot('velocity')).buffer,
      },
      uniforms: {
        count: Math.ceil(param.size / 4),
        learningRate: this.learningRate,
        rho: this.rho,
        momentum: this.momentum,
        epsilon: this.epsilon,
        decay: this.decayFactor,
      },
      variant: { constants: { CENTERED: this.centered ? 1 : 0, MOMENTUM: usesMomentum ? 1 : 0 } },
      threads: Math.ceil(param.size / 4),
    });
  }

  getConfig(): Record<string, number | boolean> {
    return {
      learningRate: this.learningRate,
      rho: this.rho,
      momentum: this.momentum,
      epsilon: this.epsilon,
      centered: this.centered,
      weightDecay: this.weightDecay,
    };
  }
}
