// Adagrad: per-element step sizes that shrink with the sum of squared gradients, as keras.optimizers.Adagrad.
import type { LearningRateSchedule } from './schedules';
import { Optimizer, type OptimizerOptions, type Ranged } from './optimizer';
import type { UpdateRule } from './updateKernel';

export interface AdagradOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: number | LearningRateSchedule;
  /** Starting value of every accumulator, ≥ 0. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Added under the square root. Default 1e-7. */
  epsilon?: number;
}

export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  epsilon: number;

  constructor(options: AdagradOptions = {}) {
    super({ name: 'adagrad', learningRate: 0.001 }, options);
    this.initialAccumulatorValue = options.initialAccumulatorValue ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-7;
    this.checkHyperparameters();
  }

  protected hyperparameters(): Record<string, Ranged> {
    return { initialAccumulatorValue: [this.initialAccumulatorValue, 0, Infinity], epsilon: [this.epsilon, 0, Infinity] };
  }

  protected flags(): Record<string, boolean> {
    return {};
  }

  // Keras: s ← s + g²;  p ← p − lr·g / √(s + ε).
  protected rule(): UpdateRule {
    return {
      slots: { accumulator: this.initialAccumulatorValue },
      constants: { learningRate: this.learningRate, epsilon: this.epsilon },
      body: '  let s = accumulator[i] + g * g;\n  accumulator[i] = s;\n  p -= learningRate * g / sqrt(s + epsilon);',
    };
  }
}
