// getWeights / setWeights for any model, from its weights named `<layer>/<weight>` in model order.
import { ShapeError, ValueError, formatShape } from '../errors';
import { noGrad } from '../autograd/recorder';
import type { Tensor } from '../tensor';
import { shapesEqual } from '../shape';
import { cast } from '../ops/cast';
import { Conversions, type TensorLike } from '../ops/operand';
import type { Layer } from './layer';

export interface NamedWeight { name: string; tensor: Tensor }

/** Every weight of `layers`, named `<layer>/<weight>` (the names save() writes). */
export function layerWeights(layers: readonly Layer[]): NamedWeight[] {
  return layers.flatMap((layer) => [...layer.weights].map(([name, tensor]) => ({ name: `${layer.name}/${name}`, tensor })));
}

/** Copies of `targets` (the caller owns them). */
export function copyWeights(targets: readonly NamedWeight[]): Tensor[] {
  return noGrad(() => targets.map(({ tensor }) => cast(tensor, tensor.dtype)));
}

/** Overwrites `targets` in order; all shapes are checked before anything changes. */
export function setWeightsOf(targets: readonly NamedWeight[], given: readonly TensorLike[]): void {
  const data = new Conversions('setWeights');
  data.around(() => assignWeights(targets, given.map((value, i) => data.convert(value, `values[${i}]`, targets[i]?.tensor.dtype))));
}

function assignWeights(targets: readonly NamedWeight[], values: readonly Tensor[]): void {
  if (values.length !== targets.length) {
    throw new ValueError(`setWeights: the model has ${targets.length} weights, got ${values.length}`);
  }
  targets.forEach(({ name, tensor }, i) => {
    if (!shapesEqual(tensor.shape, values[i].shape) || tensor.dtype !== values[i].dtype) {
      throw new ShapeError(`setWeights: ${name} is ${formatShape(tensor.shape)} ${tensor.dtype}, got ${formatShape(values[i].shape)} ${values[i].dtype}`);
    }
  });
  targets.forEach(({ tensor }, i) => tensor.assign(values[i]));
}
