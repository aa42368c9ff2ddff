// Activations by name, as Keras spells them ('geluTanh': Keras's gelu with approximate=True).
import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { gelu } from '../ops/gelu';
import { relu, sigmoid, tanh } from '../ops/unary';
import { softmaxActivation } from './outputLogits';

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu' | 'geluTanh';
export type ActivationFunction = (x: Tensor) => Tensor;

const activations: Record<ActivationName, ActivationFunction> = {
  linear: (x) => x,
  relu,
  sigmoid,
  tanh,
  // Remembers its logits, from which fit computes the categorical cross-entropies (outputLogits.ts).
  softmax: softmaxActivation,
  gelu: (x) => gelu(x),
  geluTanh: (x) => gelu(x, { approximate: true }),
};

export function isActivationName(name: string): name is ActivationName {
  // Own keys only: 'constructor' or 'toString' from a file must not find Object's members.
  return typeof name === 'string' && Object.hasOwn(activations, name);
}

export function getActivation(name: string = 'linear'): ActivationFunction {
  if (!isActivationName(name)) {
    throw new ValueError(`unknown activation '${String(name)}'; known: ${Object.keys(activations).join(', ')}`);
  }
  return activations[name];
}

/**
 * Model files of format version 1 wrote 'gelu' for the tanh form (webgrad's only gelu then); from
 * version 2 'gelu' is the exact form. Renames it in a version-1 layer config so old models compute
 * what they were trained with.
 */
export function upgradeActivation(config: Record<string, unknown>, formatVersion: number): Record<string, unknown> {
  return formatVersion < 2 && config.activation === 'gelu' ? { ...config, activation: 'geluTanh' } : config;
}
