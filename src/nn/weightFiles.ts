// What Sequential and functional model files share: how weights are named in the safetensors
// file, matching a file's arrays to the weights a model makes, writing them, and turning a
// rebuilding error into a ModelFormatError naming the layer.
import { ModelFormatError, ValueError, formatShape } from '../errors';
import { noGrad } from '../autograd/recorder';
import { tidy } from '../memory';
import { snakeCase } from '../names';
import { tensor } from '../ops/creation';
import { getDevice } from '../runtime/device';
import { shapesEqual } from '../shape';
import type { DType, Tensor } from '../tensor';
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
  if (naming === 'layer name') return layers.map((layer) => layer.name);
  const used = new Map<string, number>();
  return layers.map((layer) => {
    const base = snakeCase(layer.className);
    const count = used.get(base);
    used.set(base, count === undefined ? 0 : count + 1);
    return count === undefined ? base : `${base}_${count + 1}`;
  });
}

export function namingOf(formatVersion: number): Naming {
  return formatVersion >= 2 ? 'position' : 'layer name';
}

/** The model's weights under the names a file gives them, in model order. */
export function fileWeights(model: { layers: readonly Layer[] }, naming: Naming): { name: string; tensor: Tensor }[] {
  const keys = layerKeys(model.layers, naming);
  return model.layers.flatMap((layer, i) => [...layer.weights].map(([name, weight]) => ({ name: `${keys[i]}/${name}`, tensor: weight })));
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

/** The file's array for each expected weight, in order; any name, shape or dtype difference throws. */
export function matchFile(op: string, expected: readonly WeightEntry[], arrays: readonly NamedArray[]): NamedArray[] {
  const names = new Set(expected.map(({ name }) => name));
  if (names.size !== expected.length) throw new ValueError(`${op}: the model has two weights with one name (${expected.map(({ name }) => name).join(', ')})`);
  const byName = new Map(arrays.map((array) => [array.name, array]));
  const missing = [...names].filter((name) => !byName.has(name));
  const unexpected = arrays.map(({ name }) => name).filter((name) => !names.has(name));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ModelFormatError(`${op}: weight names do not match the model (missing: ${listNames(missing)}; unexpected: ${listNames(unexpected)})`);
  }
  return expected.map((entry) => {
    const array = byName.get(entry.name) as NamedArray;
    const dtype: DType = array.dtype === 'I32' ? 'int32' : 'float32';
    if (!shapesEqual(array.shape, entry.shape) || dtype !== entry.dtype) {
      throw new ModelFormatError(`${op}: ${entry.name} is ${formatShape(entry.shape)} ${entry.dtype} in the model but ${formatShape(array.shape)} ${dtype} in the file`);
    }
    return array;
  });
}

/** Uploads every array first and only then overwrites, so a failed upload writes nothing. */
export function writeWeights(targets: readonly Tensor[], arrays: readonly NamedArray[]): void {
  noGrad(() => tidy(() => {
    const uploaded = arrays.map((array, i) => tensor(array.data, array.shape, targets[i].dtype));
    targets.forEach((target, i) => target.assign(uploaded[i]));
  }));
}

/** Up to ten names for a message (a hostile file may hold millions). */
function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
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
