// Moving weights between webgrad's layers and PyTorch state dicts. webgrad keeps Keras's layouts:
// Dense kernel [in, out] where nn.Linear's weight is [out, in]; Conv2D kernel HWIO [kh, kw, in, out]
// where nn.Conv2d's is OIHW [out, in, kh, kw]. Biases, norms and embeddings match as they are,
// under other names. The user says which PyTorch module each layer is: { fc1: model.layers[0] }.
import { ModelFormatError, ValueError, formatShape, formatValue } from '../errors';
import { shapesEqual, stridesOf } from '../shape';
import { checkNamedArray, decodeSafetensors, encodeSafetensors, isIntegerDtype, type NamedArray } from '../io/safetensors';
import { Layer } from './layer';
import { FILE_DTYPES, checkSaveOptions, type SaveOptions } from './saveModel';
import { writeWeights } from './weightFiles';

/** One weight's PyTorch name, and where each PyTorch axis comes from in webgrad's layout (none: the same). */
interface TorchWeight { name: string; axes?: number[] }

/** By layer class, each webgrad weight's PyTorch counterpart (the module types in comments). */
const TORCH_LAYOUTS: Record<string, Record<string, TorchWeight>> = {
  // nn.Linear: weight [out, in] = kernel transposed.
  Dense: { kernel: { name: 'weight', axes: [1, 0] }, bias: { name: 'bias' } },
  // nn.Conv2d: weight [out, in, kh, kw] from kernel [kh, kw, in, out].
  Conv2D: { kernel: { name: 'weight', axes: [3, 2, 0, 1] }, bias: { name: 'bias' } },
  // nn.BatchNorm1d / nn.BatchNorm2d.
  BatchNormalization: { gamma: { name: 'weight' }, beta: { name: 'bias' }, moving_mean: { name: 'running_mean' }, moving_variance: { name: 'running_var' } },
  // nn.LayerNorm.
  LayerNormalization: { gamma: { name: 'weight' }, beta: { name: 'bias' } },
  // nn.Embedding.
  Embedding: { embeddings: { name: 'weight' } },
};

/** The PyTorch modules the layers stand for: state-dict prefix ('fc1', 'features.0') → layer. */
export type TorchModules = Record<string, Layer>;

interface Pairing { layer: Layer; weight: string; key: string; axes: number[] | undefined }

/**
 * Loads a PyTorch state dict (safetensors bytes, as `safetensors.torch.save_file(model.state_dict(), path)`
 * writes, or already decoded arrays) into built layers, converting layouts. Every key of the
 * state dict must belong to a listed module and every weight of a listed layer must be found,
 * with the right shape; all is checked before anything is written.
 */
export function loadTorchWeights(stateDict: ArrayBuffer | ArrayBufferView | readonly NamedArray[], modules: TorchModules): void {
  const op = 'loadTorchWeights';
  const pairings = pairModules(op, modules);
  const arrays = Array.isArray(stateDict)
    ? (stateDict as readonly NamedArray[]).map((array) => checkNamedArray(op, array))
    : decodeSafetensors(stateDict as ArrayBuffer | ArrayBufferView).arrays;
  const byKey = new Map(arrays.map((array) => [array.name, array]));
  if (byKey.size !== arrays.length) throw new ValueError(`${op}: the state dict names a tensor twice`);
  const problems: string[] = [];
  const converted = pairings.map(({ layer, weight, key, axes }) => {
    const target = layer.weights.get(weight)!;
    const array = byKey.get(key);
    byKey.delete(key);
    if (!array) {
      problems.push(`missing ${key} (${layer.className} '${layer.name}' ${weight})`);
      return null;
    }
    const torchShape = axes ? axes.map((axis) => target.shape[axis]) : [...target.shape];
    if (!shapesEqual(array.shape, torchShape) || isIntegerDtype(array.dtype)) {
      problems.push(`${key} is ${formatShape(array.shape)} ${array.dtype} in the state dict, but ${layer.className} '${layer.name}' ${weight} ${formatShape(target.shape)} needs ${formatShape(torchShape)} float`);
      return null;
    }
    return axes ? permute(array, inverse(axes)) : array;
  });
  for (const key of byKey.keys()) {
    if (!isStepCounter(key, modules)) problems.push(`unexpected ${key} (no listed module takes it)`);
  }
  if (problems.length > 0) {
    const shown = problems.length <= 10 ? problems : [...problems.slice(0, 10), `and ${problems.length - 10} more`];
    throw new ModelFormatError(`${op}: the state dict does not fit the layers: ${shown.join('; ')}`);
  }
  writeWeights(pairings.map(({ layer, weight }) => layer.weights.get(weight)!), converted as NamedArray[]);
}

/** The layers' weights as a PyTorch state dict in safetensors bytes (`safetensors.torch.load_file` reads it). */
export async function saveTorchWeights(modules: TorchModules, options: SaveOptions = {}): Promise<ArrayBuffer> {
  const dtype = FILE_DTYPES[checkSaveOptions('saveTorchWeights', options)];
  const pairings = pairModules('saveTorchWeights', modules);
  const arrays = await Promise.all(pairings.map(async ({ layer, weight, key, axes }): Promise<NamedArray> => {
    const target = layer.weights.get(weight)!;
    const array: NamedArray = { name: key, dtype, shape: [...target.shape], data: await target.data() as Float32Array };
    return axes ? permute(array, axes) : array;
  }));
  return encodeSafetensors(arrays);
}

/** BatchNorm's step counter (`<module>.num_batches_tracked`, int64): webgrad's layer keeps none, so it is skipped. */
function isStepCounter(key: string, modules: TorchModules): boolean {
  const suffix = '.num_batches_tracked';
  if (!key.endsWith(suffix)) return false;
  const prefix = key.slice(0, -suffix.length);
  return Object.hasOwn(modules, prefix) && modules[prefix]?.className === 'BatchNormalization';
}

/** Each weight of each listed layer with its state-dict key; an unbuilt or unsupported layer is refused. */
function pairModules(op: string, modules: TorchModules): Pairing[] {
  if (typeof modules !== 'object' || modules === null || Array.isArray(modules)) {
    throw new ValueError(`${op}: modules must map PyTorch module names to layers, as { fc1: model.layers[0] }; got ${formatValue(modules)}`);
  }
  const seen = new Map<Layer, string>();
  return Object.entries(modules).flatMap(([prefix, layer]) => {
    if (!(layer instanceof Layer)) throw new ValueError(`${op}: modules['${prefix}'] must be a layer, got ${formatValue(layer)}`);
    const layout = Object.hasOwn(TORCH_LAYOUTS, layer.className) ? TORCH_LAYOUTS[layer.className] : undefined;
    if (!layout) throw new ValueError(`${op}: modules['${prefix}'] is a ${layer.className}; PyTorch layouts are known for ${Object.keys(TORCH_LAYOUTS).join(', ')}`);
    if (!layer.built) throw new ValueError(`${op}: modules['${prefix}'] ('${layer.name}') is not built yet; build the model first (an inputShape, model.build, or one predict) so its weights exist`);
    const other = seen.get(layer);
    if (other !== undefined) throw new ValueError(`${op}: '${layer.name}' is listed twice, as '${other}' and '${prefix}'`);
    seen.set(layer, prefix);
    return [...layer.weights.keys()].map((weight) => {
      if (!Object.hasOwn(layout, weight)) throw new ValueError(`${op}: ${layer.className} '${layer.name}' has a weight '${weight}' with no known PyTorch counterpart`);
      const { name, axes } = layout[weight];
      return { layer, weight, key: prefix === '' ? name : `${prefix}.${name}`, axes };
    });
  });
}

/** The array with its axes rearranged: output axis j is input axis axes[j]. */
function permute(array: NamedArray, axes: readonly number[]): NamedArray {
  const { shape, data } = array;
  const outShape = axes.map((axis) => shape[axis]);
  const inStrides = stridesOf(shape);
  const strides = axes.map((axis) => inStrides[axis]);
  const out = new Float32Array(data.length);
  const index = outShape.map(() => 0);
  for (let flat = 0; flat < out.length; flat++) {
    out[flat] = data[index.reduce((offset, i, j) => offset + i * strides[j], 0)];
    for (let j = index.length - 1; j >= 0; j--) {
      if (++index[j] < outShape[j]) break;
      index[j] = 0;
    }
  }
  return { ...array, shape: outShape, data: out };
}

function inverse(axes: readonly number[]): number[] {
  const result: number[] = [];
  axes.forEach((axis, j) => { result[axis] = j; });
  return result;
}
