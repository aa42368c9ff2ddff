// Stochastic gradient descent with optional (Nesterov) momentum, as keras.optimizers.SGD.
import sgdSource from '../../shaders/optim/sgd.wgsl';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import type { Tensor } from '../tensor';
import { Optimizer, type OptimizerOptions } from './optimizer';

const sgdKernel = defineKernel('sgd', sgdSource);

export interface SGDOptions extends OptimizerOptions {
  /** Default 0.01. */
  learningRate?: number;
  /** In [0, 1]; 0 (the default) is plain gradient descent. */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly name = 'sgd';
  momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    super(0.01, options);
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.checkHyperparameters();
  }

  protected override checkHyperparameters(): void {
    super.checkHyperparameters();
    this.checkRange('momentum', this.momentum, 0, 1);
  }

  protected updateParameter(param: Tensor, grad: Tensor): void {
    const usesMomentum = this.momentum !== 0;
    launch(sgdKernel, {
      buffers: {
        param: param.buffer,
        grad: grad.buffer,
        velocity: (usesMomentum ? this.slot(param, 'velocity') : this.unusedSlot('velocity')).buffer,
      },
      uniforms: { count: Math.ceil(param.size / 4), learningRate: this.learningRate, momentum: this.momentum, decay: this.decayFactor },
      variant: { constants: { MOMENTUM: usesMomentum ? 1 : 0, NESTEROV: this.nesterov ? 1 : 0 } },
      threads: Math.ceil(param.size / 4),
    });
  }

  getConfig(): Record<string, number | boolean> {
    return { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }
}
