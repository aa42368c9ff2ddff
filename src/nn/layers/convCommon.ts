// What Conv1D, DepthwiseConv2D and SeparableConv2D share: Keras's checks on their options, the bias
// + activation epilogue, and how an initializer option is written back to the config.
import { ValueError, formatValue } from '../../errors';
import type { Tensor } from '../../tensor';
import { add } from '../../ops/binary';
import { getActivation, type ActivationName } from '../activations';
import type { Initializer, InitializerName } from '../initializers';

/** `padding`, or 'valid' when undefined, if it is one of `allowed` (Keras's string paddings). */
export function checkPaddingName<T extends string>(className: string, value: unknown, allowed: readonly T[]): T {
  const padding = value ?? 'valid';
  if (!allowed.includes(padding as T)) {
    throw new ValueError(`${className}: padding must be ${allowed.map((name) => `'${name}'`).join(', ')}, got ${formatValue(value)}`);
  }
  return padding as T;
}

/** Keras refuses strides > 1 together with dilation > 1 in these layers (TF has no kernel for both). */
export function checkStridesWithDilation(className: string, strides: readonly number[], dilationRate: readonly number[]): void {
  if (Math.max(...strides) > 1 && Math.max(...dilationRate) > 1) {
    throw new ValueError(`${className}: strides > 1 cannot be combined with dilationRate > 1 (as in Keras), got strides [${strides}] and dilationRate [${dilationRate}]`);
  }
}

/** The activation name (default 'linear'), checked now rather than at the first call. */
export function checkActivation(value: ActivationName | undefined): ActivationName {
  const name = value ?? 'linear';
  getActivation(name);
  return name;
}

/** activation(y + bias), the bias (if any) broadcast over the last axis. */
export function biasAndActivation(y: Tensor, bias: Tensor | undefined, activation: ActivationName): Tensor {
  return getActivation(activation)(bias ? add(y, bias) : y);
}

/** `{ [key]: value }` for an initializer given by name; a function cannot be saved, so it is left out. */
export function initializerConfig(key: string, value: InitializerName | Initializer): Record<string, string> {
  return typeof value === 'string' ? { [key]: value } : {};
}
