// model.save() / wg.loadModel(): the architecture as JSON, the weights as safetensors.
import { ShapeError, ValueError, formatShape } from '../errors';
import { noGrad } from '../autograd/recorder';
import { tidy } from '../memory';
import { tensor } from '../ops/creation';
import { shapesEqual } from '../shape';
import { upgradeActivation } from '../nn/activations';
import type { LayerConfig } from '../nn/layer';
import { deserializeLayer } from '../nn/layers';
import { Sequential } from '../nn/sequential';
import { decodeSafetensors, encodeSafetensors, type NamedArray } from './safetensors';

export const MODEL_FORMAT = 'webgrad-sequential';
/** 2: activation 'gelu' is the exact form (version 1 files meant the tanh form: see upgradeActivation). */
export const MODEL_FORMAT_VERSION = 2;

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  name: string;
  inputShape: number[] | null;
  layers: LayerConfig[];
  /** Names, shapes and dtypes of the weights in the safetensors file, in model order. */
  weights: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[];
}

export interface ModelArtifacts {
  modelJson: ModelJson;
  /** safetensors bytes */
  weights: ArrayBuffer;
}

export async function saveModel(model: Sequential): Promise<ModelArtifacts> {
  const named = model.namedWeights();
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
    weights: encodeSafetensors(arrays, { format: MODEL_FORMAT }),
  };
}

/** Rebuilds a Sequential model with identical architecture and weights. */
export function loadModel(artifacts: ModelArtifacts): Sequential {
  const { modelJson } = artifacts;
  if (modelJson?.format !== MODEL_FORMAT) throw new ValueError(`loadModel: expected format '${MODEL_FORMAT}', got '${String(modelJson?.format)}'`);
  if (modelJson.formatVersion > MODEL_FORMAT_VERSION) {
    throw new ValueError(`loadModel: format version ${modelJson.formatVersion} is newer than this webgrad reads (${MODEL_FORMAT_VERSION})`);
  }
  const layers = modelJson.layers.map((layer) => deserializeLayer({ ...layer, config: upgradeActivation(layer.config, modelJson.formatVersion) }));
  const model = new Sequential(layers, { name: modelJson.name });
  if (modelJson.inputShape) model.build(modelJson.inputShape);
  try {
    loadWeights(model, artifacts.weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/**
 * Overwrites a model's weights from safetensors bytes. Every name, shape and dtype is checked
 * before anything is written, so a mismatch leaves the model as it was.
 */
export function loadWeights(model: Sequential, weights: ArrayBuffer): void {
  const { arrays } = decodeSafetensors(weights);
  const byName = new Map(arrays.map((array) => [array.name, array]));
  const targets = model.namedWeights();
  const missing = targets.filter(({ name }) => !byName.has(name)).map(({ name }) => name);
  const unexpected = arrays.filter((array) => !targets.some(({ name }) => name === array.name)).map((array) => array.name);
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ValueError(`loadWeights: weight names do not match the model (missing: ${missing.join(', ') || 'none'}; unexpected: ${unexpected.join(', ') || 'none'})`);
  }
  for (const { name, tensor: target } of targets) {
    const array = byName.get(name) as NamedArray;
    const dtype = array.dtype === 'I32' ? 'int32' : 'float32';
    if (!shapesEqual(array.shape, target.shape) || dtype !== target.dtype) {
      throw new ShapeError(`loadWeights: ${name} is ${formatShape(target.shape)} ${target.dtype} in the model but ${formatShape(array.shape)} ${dtype} in the file`);
    }
  }
  noGrad(() => tidy(() => {
    for (const { name, tensor: target } of targets) {
      const array = byName.get(name) as NamedArray;
      target.assign(tensor(array.data, array.shape, target.dtype));
    }
  }));
}
