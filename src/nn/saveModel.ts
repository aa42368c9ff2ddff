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
import { FUNCTIONAL_FORMAT, type FunctionalArtifacts, type FunctionalGraphJson, type FunctionalJson, type TensorRef } from '../io/functionalJson';
import { encodeSafetensors, type NamedArray, type SafetensorsDtype } from '../io/safetensors';
import type { NamedWeight } from './modelWeights';
import { trainingState } from './trainingState';

export interface SaveOptions {
  /**
   * How float32 weights are stored: 'float32' (default, exact), or 'float16' / 'bfloat16' (half the
   * bytes, rounded to nearest even; float16 overflows beyond ±65504 to ±Infinity). Loading widens
   * them back to float32. int32 weights are always stored as they are; optimizer state as float32.
   */
  dtype?: 'float32' | 'float16' | 'bfloat16';
  /**
   * Keras's include_optimizer (TF.js's includeOptimizer): also store the compile settings and the
   * optimizer's state, so wg.loadModel returns a compiled model that trains on as this one would.
   * Default false; ignored for a model never compiled.
   */
  includeOptimizer?: boolean;
}

export const FILE_DTYPES: Record<NonNullable<SaveOptions['dtype']>, SafetensorsDtype> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

function isFunctional(model: Sequential | Model): model is Model {
  return (model as { className?: string }).className === 'Functional';
}

export async function saveModel(model: Sequential, options?: SaveOptions): Promise<ModelArtifacts>;
export async function saveModel(model: Model, options?: SaveOptions): Promise<FunctionalArtifacts>;
export async function saveModel(model: Sequential | Model, options?: SaveOptions): Promise<ModelArtifacts | FunctionalArtifacts>;
export async function saveModel(model: Sequential | Model, options: SaveOptions = {}): Promise<ModelArtifacts | FunctionalArtifacts> {
  const { includeOptimizer = false } = options as { includeOptimizer?: unknown };
  if (typeof includeOptimizer !== 'boolean') throw new ValueError(`save: includeOptimizer must be true or false, got ${formatValue(includeOptimizer)}`);
  const named = fileWeights(model, 'position');
  const training = includeOptimizer && model.optimizer ? trainingState(model.compiled('save'), named) : null;
  const trainingConfig = training ? { trainingConfig: training.config } : {};
  const weights: WeightEntry[] = named.map(({ name, tensor: t }) => ({ name, shape: [...t.shape], dtype: t.dtype }));
  const bytes = await encodeWeights('save', model, options, training?.slots ?? []);
  if (isFunctional(model)) return { modelJson: { ...functionalJson(model, weights), ...trainingConfig }, weights: bytes };
  return {
    modelJson: {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      name: model.name,
      inputShape: model.inputShape ? [...model.inputShape] : null,
      layers: model.layers.map((layer) => layer.serialize()),
      weights,
      ...trainingConfig,
    },
    weights: bytes,
  };
}

/** The model's weights as safetensors bytes, named as save() names them (what wg.loadWeights reads). */
export function saveWeights(model: Sequential | Model, options: SaveOptions = {}): Promise<ArrayBuffer> {
  return encodeWeights('saveWeights', model, options, []);
}

/** The weights (in the dtype the options ask for) and then `state` (optimizer slots, float32) as safetensors. */
async function encodeWeights(op: string, model: Sequential | Model, options: SaveOptions, state: readonly NamedWeight[]): Promise<ArrayBuffer> {
  const floatDtype = checkSaveOptions(op, options);
  const stored = (t: NamedWeight['tensor'], float: SafetensorsDtype): SafetensorsDtype => (t.dtype === 'int32' ? 'I32' : float);
  const entries = [
    ...fileWeights(model, 'position').map((weight) => ({ weight, dtype: stored(weight.tensor, FILE_DTYPES[floatDtype]) })),
    ...state.map((weight) => ({ weight, dtype: stored(weight.tensor, 'F32') })),
  ];
  const arrays: NamedArray[] = await Promise.all(entries.map(async ({ weight: { name, tensor: t }, dtype }) => ({
    name, dtype, shape: [...t.shape], data: await t.data(),
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

/** A functional model's JSON: its graph and the weight list. */
export function functionalJson(model: Model, weights: WeightEntry[]): FunctionalJson {
  return { format: FUNCTIONAL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, name: model.name, ...functionalGraph(model), weights };
}

/** The graph: each layer's config with the tensors each of its nodes reads, and the input and output tensors (nested as is inside an outer model's file). */
export function functionalGraph(model: Model): FunctionalGraphJson {
  const ref = (t: SymbolicTensor): TensorRef => [t.layer.name, nodeNumber(model.nodes, t.node), t.index];
  return {
    layers: model.layers.map((layer) => ({
      ...layer.serialize(),
      inboundNodes: model.nodes.filter((node) => node.layer === layer && node.inputs.length > 0).map((node) => node.inputs.map(ref)),
    })),
    inputLayers: model.inputs.map(ref),
    outputLayers: model.outputs.map(ref),
  };
}
