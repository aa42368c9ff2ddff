// getWeights / setWeights for any model, from its weights named `<layer key>/<weight>` in model order.
import { ShapeError, ValueError, formatShape } from '../errors';
import { snakeCase } from '../names';
import { noGrad } from '../autograd/recorder';
import type { Tensor } from '../tensor';
import { shapesEqual } from '../shape';
import { cast } from '../ops/cast';
import { Conversions, type TensorLike } from '../ops/operand';
import type { Layer } from './layer';

export interface NamedWeight { name: string; tensor: Tensor }

/**
 * Each layer's key in weight names: its class in snake_case, numbered within the model (dense,
 * dense_1, conv2d), as Keras 3 names layers in its weight files. Layer names come from a page-wide
 * counter (dense_7 if six Dense layers were made before); keys depend on the architecture alone,
 * so the same architecture built twice names its weights alike, and no two layers of a model share one.
 */
export function positionKeys(layers: readonly Layer[]): string[] {
  const used = new Map<string, number>();
  return layers.map((layer) => {
    const base = snakeCase(layer.className);
    const count = used.get(base);
    used.set(base, count === undefined ? 0 : count + 1);
    return count === undefined ? base : `${base}_${count + 1}`;
  });
}

/** Every weight of `layers`, named `<layer key>/<weight>` (the names save() writes). */
export function layerWeights(layers: readonly Layer[]): NamedWeight[] {
  const keys = positionKeys(layers);
  return layers.flatMap((layer, i) => [...layer.weights].map(([name, tensor]) => ({ name: `${keys[i]}/${name}`, tensor })));
}

/** Copies of `targets` (the caller owns them). */
export function copyWeights(targets: readonly NamedWeight[]): Tensor[] {
  return noGrad(() => targets.map(({ tensor }) => cast(tensor, tensor.dtype)));
}

/** Overwrites `targets` in order; all shapes are checked before anything changes. */
export function setWeightsOf(targets: readonly NamedWeight[], given: readonly TensorLike[], owner = 'the model'): void {
  const data = new Conversions('setWeights');
  data.around(() => assignWeights(targets, given.map((value, i) => data.convert(value, `values[${i}]`, targets[i]?.tensor.dtype)), owner));
}

function assignWeights(targets: readonly NamedWeight[], values: readonly Tensor[], owner: string): void {
  if (values.length !== targets.length) {
    throw new ValueError(`setWeights: ${owner} has ${targets.length} weights, got ${values.length}`);
  }
  targets.forEach(({ name, tensor }, i) => {
    if (!shapesEqual(tensor.shape, values[i].shape) || tensor.dtype !== values[i].dtype) {
      throw new ShapeError(`setWeights: ${name} is ${formatShape(tensor.shape)} ${tensor.dtype}, got ${formatShape(values[i].shape)} ${values[i].dtype}`);
    }
  });
  targets.forEach(({ tensor }, i) => tensor.assign(values[i]));
}
