// What Sequential and functional model files share: how weights are named in the safetensors
// file, writing a file's arrays into them (weightMatching.ts pairs them up), and turning a
// rebuilding error into a ModelFormatError naming the layer.
import { ModelFormatError, ValueError, formatShape } from '../errors';
import { noGrad } from '../autograd/recorder';
import { tidy } from '../memory';
import { layerWeights, positionKeys, type NamedWeight } from './modelWeights';
import { tensor } from '../ops/creation';
import { getDevice } from '../runtime/device';
import { shapesEqual } from '../shape';
import type { Tensor } from '../tensor';
import type { Layer, WeightSpec } from './layer';
import type { WeightEntry } from '../io/modelJson';
import type { NamedArray } from '../io/safetensors';

/**
 * How a file names weights. 'position' (formatVersion 2, Keras 3's saving scheme): each layer by
 * its class in snake_case, numbered within the model (dense, dense_1, conv2d), so the same
 * architecture reads the same file however many layers the page made before. 'layer name':
 * files written before version 2.
 */
export type Naming = 'position' | 'layer name';

export function layerKeys(layers: readonly Layer[], naming: Naming): string[] {
  return naming === 'layer name' ? layers.map((layer) => layer.name) : positionKeys(layers);
}

export function namingOf(formatVersion: number): Naming {
  return formatVersion >= 2 ? 'position' : 'layer name';
}

/** The model's weights under the names a file gives them, in model order ('position': model.namedWeights()). */
export function fileWeights(model: { layers: readonly Layer[] }, naming: Naming): NamedWeight[] {
  if (naming === 'position') return layerWeights(model.layers);
  return model.layers.flatMap((layer) => [...layer.weights].map(([name, weight]) => ({ name: `${layer.name}/${name}`, tensor: weight })));
}

/** Runs a step of rebuilding layer `index`, turning any error into a ModelFormatError that names the layer. */
export function atLayer<T>(index: number | null, className: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    const where = index === null ? '' : ` layers[${index}] (${className}):`;
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    // A nested model's own error already says where in it: its path follows this layer's.
    if (error instanceof ModelFormatError && message.startsWith('loadModel: ')) throw new ModelFormatError(`loadModel:${where} ${message.slice(11)}`, { cause: error });
    throw new ModelFormatError(`loadModel:${where} ${name === 'ValueError' || name === 'ShapeError' ? '' : `${name}: `}${message}`, { cause: error });
  }
}

/** Uploads every array first and only then overwrites, so a failed upload writes nothing. */
export function writeWeights(targets: readonly Tensor[], arrays: readonly NamedArray[]): void {
  noGrad(() => tidy(() => {
    const uploaded = arrays.map((array, i) => tensor(array.data, array.shape, targets[i].dtype));
    targets.forEach((target, i) => target.assign(uploaded[i]));
  }));
}

/** A planned weight's entry; one over the device's buffer limit is refused before anything is made. */
export function plannedEntry(key: string, spec: WeightSpec): WeightEntry {
  const { maxBufferSize, maxStorageBufferBindingSize } = getDevice().limits;
  const limit = Math.min(maxBufferSize, maxStorageBufferBindingSize);
  const bytes = spec.shape.reduce((a, b) => a * b, 4);
  if (!(bytes <= limit)) throw new ValueError(`weight '${spec.name}' ${formatShape(spec.shape)} would take ${bytes} bytes, over the device's ${limit}-byte buffer limit`);
  return { name: `${key}/${spec.name}`, shape: spec.shape, dtype: 'float32' };
}

export function sameWeight(a: WeightEntry | undefined, b: WeightEntry | undefined): boolean {
  return a !== undefined && b !== undefined && a.name === b.name && a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
}

export function showWeight(entry: WeightEntry | undefined): string {
  return entry ? `${entry.name} ${formatShape(entry.shape)} ${entry.dtype}` : 'nothing';
}
