// Optimizers by name, as Keras's `optimizer='adam'`.
import { ValueError } from '../errors';
import { Adagrad } from './adagrad';
import { Adam, AdamW } from './adam';
import { Optimizer } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

export { Optimizer, type OptimizerDefaults, type OptimizerOptions, type Ranged } from './optimizer';
export type { UpdateRule } from './updateKernel';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions, type AdamWConstructor, type AdamWOptions } from './adam';
export { RMSprop, type RMSpropOptions } from './rmsprop';
export { Adagrad, type AdagradOptions } from './adagrad';

/** Each known name and a constructor with Keras's defaults. */
const optimizersByName: Record<string, () => Optimizer> = {
  sgd: () => new SGD(),
  adam: () => new Adam(),
  adamw: () => new AdamW(),
  rmsprop: () => new RMSprop(),
  adagrad: () => new Adagrad(),
};

/** An optimizer instance passes through; a name (case-insensitive) makes a new one with default options. */
export function getOptimizer(identifier: string | Optimizer): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  const make = typeof identifier === 'string' ? optimizersByName[identifier.toLowerCase()] : undefined;
  if (!make) {
    throw new ValueError(`getOptimizer: unknown optimizer ${JSON.stringify(identifier)}; known: ${Object.keys(optimizersByName).join(', ')}`);
  }
  return make();
}
