// Optimizers by name, as Keras's `optimizer='adam'`, and their JSON form (keras.optimizers.serialize).
import { ValueError, formatValue } from '../errors';
import { readConfigForm } from './configForm';
import { Adagrad } from './adagrad';
import { Adam, AdamW } from './adam';
import { Optimizer, type OptimizerConfig, type OptimizerOptions } from './optimizer';
import { RMSprop } from './rmsprop';
import { deserialize as deserializeSchedule } from './schedules';
import { SGD } from './sgd';

export { Optimizer, type OptimizerConfig, type OptimizerDefaults, type OptimizerOptions, type Ranged } from './optimizer';
export type { GradientOptions } from './gradientTransform';
export type { UpdateRule } from './updateKernel';
export { setTensorsPerDispatch } from './tensorGroups';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions, type AdamWConstructor, type AdamWOptions } from './adam';
export { RMSprop, type RMSpropOptions } from './rmsprop';
export { Adagrad, type AdagradOptions } from './adagrad';
export { LearningRateSchedule, type SerializedSchedule } from './schedules';
export * as schedules from './schedules';

/** Each optimizer by its Keras class name, made from options (Keras's defaults for the rest). */
const optimizersByClass: Record<string, (options?: OptimizerOptions) => Optimizer> = {
  SGD: (options) => new SGD(options),
  Adam: (options) => new Adam(options),
  AdamW: (options) => new AdamW(options),
  RMSprop: (options) => new RMSprop(options),
  Adagrad: (options) => new Adagrad(options),
};

/** The options any optimizer's config may carry beyond its own hyperparameters. */
const GRADIENT_OPTIONS = ['clipnorm', 'clipvalue', 'globalClipnorm', 'gradientAccumulationSteps'];

/** The Keras class name of a built-in optimizer ('adamw' → 'AdamW'). */
function classNameOf(optimizer: Optimizer): string {
  const className = Object.keys(optimizersByClass).find((name) => name.toLowerCase() === optimizer.name);
  if (className === undefined) throw new ValueError(`optimizers.serialize: '${optimizer.name}' is not a built-in optimizer`);
  return className;
}

/** An optimizer instance passes through; a name (case-insensitive) makes a new one with default options. */
export function getOptimizer(identifier: string | Optimizer): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  const className = typeof identifier === 'string' ? Object.keys(optimizersByClass).find((name) => name.toLowerCase() === identifier.toLowerCase()) : undefined;
  if (className === undefined) {
    throw new ValueError(`getOptimizer: unknown optimizer ${JSON.stringify(identifier)}; known: ${Object.keys(optimizersByClass).map((name) => name.toLowerCase()).join(', ')}`);
  }
  return optimizersByClass[className]();
}

/** keras.optimizers.serialize: `{ className, config }`, a schedule in config.learningRate serialized too. State (slots, step count) is not included, as in Keras. */
export function serialize(optimizer: Optimizer): { className: string; config: OptimizerConfig } {
  return { className: classNameOf(optimizer), config: optimizer.getConfig() };
}

/**
 * keras.optimizers.deserialize: a fresh optimizer from `{ className, config }`. Every key and value
 * type is checked (a schedule learning rate by schedules.deserialize) and the constructor checks
 * the ranges, so a bad config is a ValueError and makes nothing.
 */
export function deserialize(value: unknown): Optimizer {
  const { className, make, config } = readConfigForm('optimizers.deserialize', value, optimizersByClass);
  const defaults = make().getConfig();
  const options: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(config)) {
    const fail = (expected: string): ValueError => new ValueError(`optimizers.deserialize: ${className} config ${key} must be ${expected}, got ${formatValue(option)}`);
    if (key === 'learningRate') {
      if (typeof option !== 'number') options.learningRate = deserializeSchedule(option);
      else options.learningRate = option;
    } else if (GRADIENT_OPTIONS.includes(key)) {
      if (option !== null && typeof option !== 'number') throw fail('a number or null');
      options[key] = option;
    } else if (key in defaults) {
      if (typeof option !== typeof defaults[key]) throw fail(`a ${typeof defaults[key]}`);
      options[key] = option;
    } else {
      throw new ValueError(`optimizers.deserialize: ${className} has no option ${formatValue(key)}; its options are ${[...Object.keys(defaults), ...GRADIENT_OPTIONS].join(', ')}`);
    }
  }
  return make(options as OptimizerOptions);
}
