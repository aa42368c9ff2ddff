// RMSprop with optional momentum and centering, as keras.optimizers.RMSprop.
import type { LearningRateSchedule } from './schedules';
import { Optimizer, type OptimizerOptions, type Ranged } from './optimizer';
import type { UpdateRule } from './updateKernel';

export interface RMSpropOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: number | LearningRateSchedule;
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
  rho: number;
  momentum: number;
  epsilon: number;
  readonly centered: boolean;

  constructor(options: RMSpropOptions = {}) {
    super({ name: 'rmsprop', learningRate: 0.001 }, options);
    this.rho = options.rho ?? 0.9;
    this.momentum = options.momentum ?? 0;
    this.epsilon = options.epsilon ?? 1e-7;
    this.centered = options.centered ?? false;
    this.checkHyperparameters();
  }

  protected hyperparameters(): Record<string, Ranged> {
    return { rho: [this.rho, 0, 1], momentum: [this.momentum, 0, 1], epsilon: [this.epsilon, 0, Infinity] };
  }

  protected flags(): Record<string, boolean> {
    return { centered: this.centered };
  }

  // Keras: s ← ρ·s + (1 − ρ)·g², written s + (g² − s)(1 − ρ) so that float32 rounds only 1 − ρ (a
  // rounded ρ would shift the effective 1 − ρ by up to 3e-3 relative at ρ = 0.99999).
  // Centered: a ← ρ·a + (1 − ρ)·g likewise, denominator √(s − a² + ε), else √(s + ε).
  // increment = lr·g / denominator; momentum μ: b ← μ·b + increment, p ← p − b; else p ← p − increment.
  protected rule(): UpdateRule {
    const { learningRate, epsilon, momentum, centered } = this;
    const lines = ['  let s = meanSquare[i] + (g * g - meanSquare[i]) * oneMinusRho;', '  meanSquare[i] = s;'];
    const slots: Record<string, number> = { meanSquare: 0 };
    if (centered) {
      slots.meanGrad = 0;
      lines.push('  let a = meanGrad[i] + (g - meanGrad[i]) * oneMinusRho;', '  meanGrad[i] = a;');
    }
    lines.push(`  let increment = learningRate * g / sqrt(${centered ? 's - a * a' : 's'} + epsilon);`);
    const constants: Record<string, number> = { learningRate, oneMinusRho: 1 - this.rho, epsilon };
    if (momentum > 0) {
      slots.velocity = 0;
      constants.momentum = momentum;
      lines.push('  let b = momentum * velocity[i] + increment;', '  velocity[i] = b;', '  p -= b;');
    } else {
      lines.push('  p -= increment;');
    }
    return { slots, constants, body: lines.join('\n') };
  }
}
