// Float64 references of the optimizer update rules as Keras 3 writes them (keras/src/optimizers/
// sgd.py, adam.py, adamw.py, rmsprop.py, adagrad.py), one element at a time, every constant in
// double precision. Weight decay first: p ← p − p·lr·weightDecay (Keras's _apply_weight_decay).
import type { AdagradOptions, AdamOptions, RMSpropOptions, SGDOptions } from '../../src/optim';

export type Kind = 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
/** Every option of every optimizer (each constructor reads its own). */
export type Options = SGDOptions & AdamOptions & RMSpropOptions & AdagradOptions;

export type State = Record<string, Float64Array>;
export type Rule = (p: Float64Array, g: Float64Array, state: State, step: number) => void;

/** Keras 3's rule for `kind` with `options` (Keras's defaults for the rest), and its starting state. */
export function kerasRule(kind: Kind, options: Options): { rule: Rule; initialState: (n: number) => State } {
  const get = (name: keyof Options, fallback: number): number => (options[name] as number | undefined) ?? fallback;
  const zeros = (n: number, ...names: string[]): State => Object.fromEntries(names.map((name) => [name, new Float64Array(n)]));
  const decayed = (p: Float64Array, lr: number, weightDecay: number): void => {
    for (let i = 0; i < p.length; i++) p[i] -= p[i] * lr * weightDecay;
  };
  switch (kind) {
    case 'SGD': {
      const lr = get('learningRate', 0.01);
      const momentum = get('momentum', 0);
      const nesterov = options.nesterov === true;
      return {
        initialState: (n) => zeros(n, 'velocity'),
        rule: (p, g, { velocity }) => {
          decayed(p, lr, get('weightDecay', 0));
          for (let i = 0; i < p.length; i++) {
            if (momentum === 0) {
              p[i] -= lr * g[i];
              continue;
            }
            velocity[i] = momentum * velocity[i] - lr * g[i];
            p[i] += nesterov ? momentum * velocity[i] - lr * g[i] : velocity[i];
          }
        },
      };
    }
    case 'Adam':
    case 'AdamW': {
      const lr = get('learningRate', 1e-3);
      const [beta1, beta2, epsilon] = [get('beta1', 0.9), get('beta2', 0.999), get('epsilon', 1e-7)];
      const weightDecay = get('weightDecay', kind === 'AdamW' ? 0.004 : 0);
      return {
        initialState: (n) => zeros(n, 'm', 'v', 'vMax'),
        rule: (p, g, { m, v, vMax }, t) => {
          decayed(p, lr, weightDecay);
          const alpha = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
          for (let i = 0; i < p.length; i++) {
            m[i] += (g[i] - m[i]) * (1 - beta1);
            v[i] += (g[i] * g[i] - v[i]) * (1 - beta2);
            vMax[i] = Math.max(vMax[i], v[i]);
            p[i] -= (alpha * m[i]) / (Math.sqrt(options.amsgrad === true ? vMax[i] : v[i]) + epsilon);
          }
        },
      };
    }
    case 'RMSprop': {
      const lr = get('learningRate', 1e-3);
      const [rho, momentum, epsilon] = [get('rho', 0.9), get('momentum', 0), get('epsilon', 1e-7)];
      const centered = options.centered === true;
      return {
        initialState: (n) => zeros(n, 'meanSquare', 'meanGrad', 'velocity'),
        rule: (p, g, { meanSquare, meanGrad, velocity }) => {
          decayed(p, lr, get('weightDecay', 0));
          for (let i = 0; i < p.length; i++) {
            meanSquare[i] = rho * meanSquare[i] + (1 - rho) * g[i] * g[i];
            meanGrad[i] = rho * meanGrad[i] + (1 - rho) * g[i];
            const variance = centered ? meanSquare[i] - meanGrad[i] ** 2 : meanSquare[i];
            const increment = (lr * g[i]) / Math.sqrt(variance + epsilon);
            velocity[i] = momentum * velocity[i] + increment;
            p[i] -= momentum > 0 ? velocity[i] : increment;
          }
        },
      };
    }
    case 'Adagrad': {
      const lr = get('learningRate', 1e-3);
      const epsilon = get('epsilon', 1e-7);
      return {
        initialState: (n) => ({ accumulator: new Float64Array(n).fill(get('initialAccumulatorValue', 0.1)) }),
        rule: (p, g, { accumulator }) => {
          decayed(p, lr, get('weightDecay', 0));
          for (let i = 0; i < p.length; i++) {
            accumulator[i] += g[i] * g[i];
            p[i] -= (lr * g[i]) / Math.sqrt(accumulator[i] + epsilon);
          }
        },
      };
    }
  }
}
