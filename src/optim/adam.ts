// Adam and AdamW (Adam with decoupled weight decay), as keras.optimizers.Adam / AdamW.
import adamSource from '../../shaders/optim/adam.wgsl';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import type { Tensor } from '../tensor';
import { Optimizer, type OptimizerOptions } from './optimizer';

const adamKernel = defineKernel('adam', adamSource);

export interface AdamOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Decay rate of the first-moment average, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay rate of the second-moment average, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to √v (Keras's "epsilon hat"). Default 1e-7. */
  epsilon?: number;
  /** Divide by the running maximum of v (AMSGrad). Default false. */
  amsgrad?: boolean;
}

export class Adam extends Optimizer {
  // A getter, so that AdamW's name holds already while Adam's constructor checks the options.
  get name(): string {
    return 'adam';
  }
  beta1: number;
  beta2: number;
  epsilon: number;
  readonly amsgrad: boolean;

  constructor(options: AdamOptions = {}, defaultWeightDecay = 0) {
    super(0.001, options, defaultWeightDecay);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.amsgrad = options.amsgrad ?? false;
    this.checkHyperparameters();
  }

  protected override checkHyperparameters(): void {
    super.checkHyperparameters();
    this.checkRange('beta1', this.beta1, 0, 1 - Number.EPSILON);
    this.checkRange('beta2', this.beta2, 0, 1 - Number.EPSILON);
    this.checkRange('epsilon', this.epsilon, 0, Infinity);
  }

  protected updateParameter(param: Tensor, grad: Tensor): void {
    // The bias corrections of step t fold into one step size, as Keras computes it.
    const t = this.iterations + 1;
    const alpha = (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    launch(adamKernel, {
      buffers: {
        param: param.buffer,
        grad: grad.buffer,
        m: this.slot(param, 'm').buffer,
        v: this.slot(param, 'v').buffer,
        vMax: (this.amsgrad ? this.slot(param, 'vMax') : this.unusedSlot('vMax')).buffer,
      },
      uniforms: { count: Math.ceil(param.size / 4), alpha, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.decayFactor },
      variant: { constants: { AMSGRAD: this.amsgrad ? 1 : 0 } },
      threads: Math.ceil(param.size / 4),
    });
  }

  getConfig(): Record<string, number | boolean> {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      amsgrad: this.amsgrad,
      weightDecay: this.weightDecay,
    };
  }
}

export type AdamWOptions = AdamOptions;

/** Adam whose weightDecay defaults to 0.004 (Keras's AdamW): p ← p − p·lr·weightDecay before each step. */
export class AdamW extends Adam {
  override get name(): string {
    return 'adamw';
  }

  constructor(options: AdamWOptions = {}) {
    super(options, 0.004);
  }
}
