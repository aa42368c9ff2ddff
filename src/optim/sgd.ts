// Stochastic gradient descent with optional (Nesterov) momentum, as keras.optimizers.SGD.
import type { LearningRateSchedule } from './schedules';
import { Optimizer, type OptimizerOptions, type Ranged } from './optimizer';
import type { UpdateRule } from './updateKernel';

export interface SGDOptions extends OptimizerOptions {
  /** Default 0.01. */
  learningRate?: number | LearningRateSchedule;
  /** In [0, 1]; 0 (the default) is plain gradient descent. */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  momentum: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions = {}) {
    super({ name: 'sgd', learningRate: 0.01 }, options);
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.checkHyperparameters();
  }

  protected hyperparameters(): Record<string, Ranged> {
    return { momentum: [this.momentum, 0, 1] };
  }

  protected flags(): Record<string, boolean> {
    return { nesterov: this.nesterov };
  }

  // Keras: p ← p − lr·g; with momentum μ: v ← μ·v − lr·g, p ← p + v (Nesterov: p ← p + μ·v − lr·g, new v).
  protected rule(): UpdateRule {
    const { learningRate, momentum } = this;
    if (momentum === 0) return { slots: {}, constants: { learningRate }, body: '  p -= learningRate * g;' };
    const step = this.nesterov ? 'p += momentum * v - learningRate * g;' : 'p += v;';
    return {
      slots: { velocity: 0 },
      constants: { learningRate, momentum },
      body: `  let v = momentum * velocity[i] - learningRate * g;\n  velocity[i] = v;\n  ${step}`,
    };
  }
}
