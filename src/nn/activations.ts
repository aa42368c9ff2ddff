// Activations by name, as Keras spells them.
import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { gelu, relu, sigmoid, tanh } from '../ops/unary';
import { softmax } from '../ops/softmax';

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu';
export type ActivationFunction = (x: Tensor) => Tensor;

const activations: Record<ActivationName, ActivationFunction> = {
  linear: (x) => x,
  relu,
  sigmoid,
  tanh,
  softmax: (x) => softmax(x, -1),
  gelu,
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
