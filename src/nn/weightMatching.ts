// Pairing a weights file's arrays with the weights a model expects: by name (optionally renamed
// first: a prefix stripped, a user function) or by order. Every difference is collected and
// reported at once, naming the weights, before anything is written.
import { ModelFormatError, ValueError, formatShape, formatValue } from '../errors';
import { shapesEqual } from '../shape';
import type { DType } from '../tensor';
import type { WeightEntry } from '../io/modelJson';
import { isIntegerDtype, type NamedArray } from '../io/safetensors';

export interface LoadWeightsOptions {
  /**
   * 'name' (default): each file tensor goes to the model weight of the same name. 'order': the
   * file's tensors, in the order of their bytes in the file, go to the weights in
   * `model.namedWeights()` order, names ignored (PyTorch's writer orders tensors by dtype and name,
   * not by module: map names for its files).
   */
  match?: 'name' | 'order';
  /** Removed from the start of every file name that has it (e.g. 'model.' or 'encoder/'). */
  stripPrefix?: string;
  /** Gives each file name (after stripPrefix) the model weight name it loads into; null skips the tensor. */
  mapName?: (name: string) => string | null;
}

/** A file array with the name it matches under and the name the file gave it. */
interface Renamed { array: NamedArray; name: string; fileName: string }

/** The file's array for each expected weight, in order; any unmatched name, shape or dtype throws, listing them all. */
export function matchFile(op: string, expected: readonly WeightEntry[], arrays: readonly NamedArray[], options: LoadWeightsOptions = {}): NamedArray[] {
  const names = new Set(expected.map(({ name }) => name));
  if (names.size !== expected.length) throw new ValueError(`${op}: the model has two weights with one name (${expected.map(({ name }) => name).join(', ')})`);
  const renamed = rename(op, arrays, options);
  const matched = (options.match ?? 'name') === 'order' ? byOrder(op, expected, renamed) : byName(op, expected, renamed);
  const mismatches = expected.flatMap((entry, i) => {
    const { array, fileName } = matched[i];
    const dtype: DType = isIntegerDtype(array.dtype) ? 'int32' : 'float32';
    if (shapesEqual(array.shape, entry.shape) && dtype === entry.dtype) return [];
    const source = fileName === entry.name ? '' : ` (file tensor '${fileName}')`;
    const transposed = entry.shape.length >= 2 && shapesEqual([...entry.shape].reverse(), array.shape) ? ', its transpose: a PyTorch layout? see wg.loadTorchWeights' : '';
    return [`${entry.name} is ${formatShape(entry.shape)} ${entry.dtype} in the model but ${formatShape(array.shape)} ${dtype} in the file${source}${transposed}`];
  });
  if (mismatches.length > 0) throw new ModelFormatError(`${op}: ${listNames(mismatches, '; ')}`);
  return matched.map(({ array }) => array);
}

function rename(op: string, arrays: readonly NamedArray[], { match, stripPrefix, mapName }: LoadWeightsOptions): Renamed[] {
  if (match !== undefined && match !== 'name' && match !== 'order') throw new ValueError(`${op}: match must be 'name' or 'order', got ${formatValue(match)}`);
  if (stripPrefix !== undefined && typeof stripPrefix !== 'string') throw new ValueError(`${op}: stripPrefix must be a string, got ${formatValue(stripPrefix)}`);
  if (mapName !== undefined && typeof mapName !== 'function') throw new ValueError(`${op}: mapName must be a function (name) => string | null, got ${formatValue(mapName)}`);
  return arrays.flatMap((array) => {
    const stripped = stripPrefix && array.name.startsWith(stripPrefix) ? array.name.slice(stripPrefix.length) : array.name;
    const name: unknown = mapName ? mapName(stripped) : stripped;
    if (name === null) return [];
    if (typeof name !== 'string') throw new ValueError(`${op}: mapName('${stripped}') returned ${formatValue(name)}; expected a weight name or null`);
    return [{ array, name, fileName: array.name }];
  });
}

function byName(op: string, expected: readonly WeightEntry[], renamed: readonly Renamed[]): Renamed[] {
  const byName = new Map<string, Renamed>();
  for (const item of renamed) {
    const other = byName.get(item.name);
    if (other) throw new ModelFormatError(`${op}: the file tensors '${other.fileName}' and '${item.fileName}' both load into '${item.name}'`);
    byName.set(item.name, item);
  }
  const names = new Set(expected.map(({ name }) => name));
  const missing = expected.map(({ name }) => name).filter((name) => !byName.has(name));
  const unexpected = renamed.filter(({ name }) => !names.has(name)).map(({ name, fileName }) => (name === fileName ? name : `${fileName} (as ${name})`));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ModelFormatError(`${op}: weight names do not match the model (missing: ${listNames(missing)}; unexpected: ${listNames(unexpected)})`);
  }
  return expected.map(({ name }) => byName.get(name) as Renamed);
}

function byOrder(op: string, expected: readonly WeightEntry[], renamed: readonly Renamed[]): Renamed[] {
  if (renamed.length !== expected.length) {
    throw new ModelFormatError(`${op}: matching by order, the file has ${renamed.length} tensors (${listNames(renamed.map(({ fileName }) => fileName))}) but the model ${expected.length} weights (${listNames(expected.map(({ name }) => name))})`);
  }
  return renamed.map((item, i) => ({ ...item, name: expected[i].name }));
}

/** Up to ten items for a message (a hostile file may hold millions). */
function listNames(names: readonly string[], separator = ', '): string {
  if (names.length === 0) return 'none';
  return names.length <= 10 ? names.join(separator) : `${names.slice(0, 10).join(separator)}${separator}and ${names.length - 10} more`;
}
