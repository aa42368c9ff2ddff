// model.save(): the architecture as JSON (each layer's own serialize()), the weights as safetensors
// named as Keras 3 names them. The bytes' layout is src/io's; the architecture is nn's.
import { snakeCase } from '../names';
import type { Tensor } from '../tensor';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelArtifacts } from '../io/modelJson';
import { encodeSafetensors, type NamedArray } from '../io/safetensors';
import type { Layer } from './layer';
import type { Sequential } from './sequential';

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
export function fileWeights(model: Sequential, naming: Naming): { name: string; tensor: Tensor }[] {
  const keys = layerKeys(model.layers, naming);
  return model.layers.flatMap((layer, i) => [...layer.weights].map(([name, weight]) => ({ name: `${keys[i]}/${name}`, tensor: weight })));
}

export async function saveModel(model: Sequential): Promise<ModelArtifacts> {
  const named = fileWeights(model, 'position');
  const arrays: NamedArray[] = await Promise.all(named.map(async ({ name, tensor: t }) => ({
    name,
    dtype: t.dtype === 'int32' ? 'I32' as const : 'F32' as const,
    shape: [...t.shape],
    data: await t.data(),
  })));
  return {
    modelJson: {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      name: model.name,
      inputShape: model.inputShape ? [...model.inputShape] : null,
      layers: model.layers.map((layer) => layer.serialize()),
      weights: named.map(({ name, tensor: t }) => ({ name, shape: [...t.shape], dtype: t.dtype })),
    },
    weights: encodeSafetensors(arrays, { format: MODEL_FORMAT, formatVersion: String(MODEL_FORMAT_VERSION) }),
  };
}

