// Adam, and AdamW as Adam with weight decay on by default, as keras.optimizers.Adam / AdamW.
import type { LearningRateSchedule } from './schedules';
import { Optimizer, type OptimizerDefaults, type OptimizerOptions, type Ranged } from './optimizer';
import type { UpdateRule } from './updateKernel';

export interface AdamOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: number | LearningRateSchedule;
  /** Decay rate of the first-moment average, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay rate of the second-moment average, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to √v (Keras's "epsilon hat"). Default 1e-7. */
  epsilon?: number;
  /** Divide by the running maximum of v (AMSGrad). Default false. */
  amsgrad?: boolean;
}

export type AdamWOptions = AdamOptions;

/** Keras's two names for the Adam rule: AdamW is Adam whose weightDecay defaults to 0.004. */
const ADAM: OptimizerDefaults = { name: 'adam', learningRate: 0.001, weightDecay: 0 };
const ADAMW: OptimizerDefaults = { name: 'adamw', learningRate: 0.001, weightDecay: 0.004 };

export class Adam extends Optimizer {
  beta1: number;
  beta2: number;
  epsilon: number;
  readonly amsgrad: boolean;

  /** `defaults` is internal: AdamW passes its name and weight-decay default. */
  constructor(options: AdamOptions = {}, defaults: OptimizerDefaults = ADAM) {
    super(defaults, options);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.amsgrad = options.amsgrad ?? false;
    this.checkHyperparameters();
  }

  protected hyperparameters(): Record<string, Ranged> {
    return { beta1: [this.beta1, 0, 1 - Number.EPSILON], beta2: [this.beta2, 0, 1 - Number.EPSILON], epsilon: [this.epsilon, 0, Infinity] };
  }

  protected flags(): Record<string, boolean> {
    return { amsgrad: this.amsgrad };
  }

  // Keras (adam.py): m ← m + (g − m)(1 − β₁);  v ← v + (g² − v)(1 − β₂);  AMSGrad: vMax ← max(vMax, v),
  // used for v below;  p ← p − α·m / (√v + ε), with the bias corrections of step t folded into
  // α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ). Keras takes βᵗ of a float32 β; here every constant is exact to
  // double precision and rounded once.
  protected rule(step: number): UpdateRule {
    const { beta1, beta2 } = this;
    const alpha = (this.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
    const moments = ['  let mNew = m[i] + (g - m[i]) * oneMinusBeta1;', '  m[i] = mNew;', '  var vNew = v[i] + (g * g - v[i]) * oneMinusBeta2;', '  v[i] = vNew;'];
    const amsgrad = this.amsgrad ? ['  vNew = max(vMax[i], vNew);', '  vMax[i] = vNew;'] : [];
    return {
      slots: this.amsgrad ? { m: 0, v: 0, vMax: 0 } : { m: 0, v: 0 },
      constants: { oneMinusBeta1: 1 - beta1, oneMinusBeta2: 1 - beta2, alpha, epsilon: this.epsilon },
      body: [...moments, ...amsgrad, '  p -= alpha * mNew / (sqrt(vNew) + epsilon);'].join('\n'),
    };
  }
}

/** How `AdamW` may be called: with or without `new`, it makes an Adam named 'adamw'. */
export interface AdamWConstructor {
  new (options?: AdamWOptions): Adam;
  (options?: AdamWOptions): Adam;
}

function adamW(options: AdamWOptions = {}): Adam {
  return new Adam(options, ADAMW);
}
// `instanceof AdamW` holds for the Adams it made, as Keras users expect of a class.
Object.defineProperty(adamW, Symbol.hasInstance, { value: (value: unknown) => value instanceof Adam && value.name === ADAMW.name });

/**
 * keras.optimizers.AdamW: Adam whose weightDecay defaults to 0.004 (p ← p − p·lr·weightDecay
 * before each step), named 'adamw'. A variant by its defaults, not a subclass: `new AdamW(options)`
 * returns an Adam.
 */
export const AdamW = adamW as AdamWConstructor;
export type AdamW = Adam;
