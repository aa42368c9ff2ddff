// model.save(): the architecture as JSON (each layer's own serialize(), and for a functional model
// its graph), the weights as safetensors named as Keras 3 names them. The bytes' layout is
// src/io's; the architecture is nn's. Models are imported as types only: the model classes
// import this file for their save().
import type { Model } from './functional/model';
import { nodeNumber } from './functional/graph';
import type { SymbolicTensor } from './functional/symbolic';
import type { Sequential } from './sequential';
import { fileWeights } from './weightFiles';
import { ValueError, formatValue } from '../errors';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelArtifacts, type WeightEntry } from '../io/modelJson';
import { FUNCTIONAL_FORMAT, type FunctionalArtifacts, type FunctionalJson, type TensorRef } from '../io/functionalJson';
import { encodeSafetensors, type NamedArray, type SafetensorsDtype } from '../io/safetensors';

export interface SaveOptions {
  /**
   * How float32 weights are stored: 'float32' (default, exact), or 'float16' / 'bfloat16' (half the
   * bytes, rounded to nearest even; float16 overflows beyond ±65504 to ±Infinity). Loading widens
   * them back to float32. int32 weights are always stored as they are.
   */
  dtype?: 'float32' | 'float16' | 'bfloat16';
}

export const FILE_DTYPES: Record<NonNullable<SaveOptions['dtype']>, SafetensorsDtype> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

function isFunctional(model: Sequential | Model): model is Model {
  return (model as { className?: string }).className === 'Functional';
}

export async function saveModel(model: Sequential, options?: SaveOptions): Promise<ModelArtifacts>;
export async function saveModel(model: Model, options?: SaveOptions): Promise<FunctionalArtifacts>;
export async function saveModel(model: Sequential | Model, options?: SaveOptions): Promise<ModelArtifacts | FunctionalArtifacts>;
export async function saveModel(model: Sequential | Model, options: SaveOptions = {}): Promise<ModelArtifacts | FunctionalArtifacts> {
  const named = fileWeights(model, 'position');
  const weights: WeightEntry[] = named.map(({ name, tensor: t }) => ({ name, shape: [...t.shape], dtype: t.dtype }));
  const bytes = await encodeWeights('save', model, options);
  if (isFunctional(model)) return { modelJson: functionalJson(model, weights), weights: bytes };
  return {
    modelJson: {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      name: model.name,
      inputShape: model.inputShape ? [...model.inputShape] : null,
      layers: model.layers.map((layer) => layer.serialize()),
      weights,
    },
    weights: bytes,
  };
}

/** The model's weights as safetensors bytes, named as save() names them (what wg.loadWeights reads). */
export function saveWeights(model: Sequential | Model, options: SaveOptions = {}): Promise<ArrayBuffer> {
  return encodeWeights('saveWeights', model, options);
}

async function encodeWeights(op: string, model: Sequential | Model, options: SaveOptions): Promise<ArrayBuffer> {
  const floatDtype = checkSaveOptions(op, options);
  const arrays: NamedArray[] = await Promise.all(fileWeights(model, 'position').map(async ({ name, tensor: t }) => ({
    name,
    dtype: t.dtype === 'int32' ? 'I32' as const : FILE_DTYPES[floatDtype],
    shape: [...t.shape],
    data: await t.data(),
  })));
  const format = isFunctional(model) ? FUNCTIONAL_FORMAT : MODEL_FORMAT;
  return encodeSafetensors(arrays, { format, formatVersion: String(MODEL_FORMAT_VERSION) });
}

/** The float dtype the options ask for, or a ValueError naming `op`. */
export function checkSaveOptions(op: string, options: SaveOptions): NonNullable<SaveOptions['dtype']> {
  const dtype = options.dtype ?? 'float32';
  if (!Object.hasOwn(FILE_DTYPES, dtype)) throw new ValueError(`${op}: dtype must be 'float32', 'float16' or 'bfloat16', got ${formatValue(dtype)}`);
  return dtype;
}

/** The graph part of a functional model's JSON (save adds the weight list). */
export function functionalJson(model: Model, weights: WeightEntry[]): FunctionalJson {
  const ref = (t: SymbolicTensor): TensorRef => [t.layer.name, nodeNumber(model.nodes, t.node), t.index];
  return {
    format: FUNCTIONAL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    name: model.name,
    layers: model.layers.map((layer) => ({
      ...layer.serialize(),
      inboundNodes: model.nodes.filter((node) => node.layer === layer && node.inputs.length > 0).map((node) => node.inputs.map(ref)),
    })),
    inputLayers: model.inputs.map(ref),
    outputLayers: model.outputs.map(ref),
    weights,
  };
}
