// The model JSON that save() writes beside the weights, and the check of one read from outside:
// every field's type and range, before any layer is made.
import { ModelFormatError, formatValue } from '../errors';
import type { LayerConfig } from '../nn/layer';
import { isPlainObject } from './safetensors';
import { checkTrainingConfig, type TrainingConfigJson } from './trainingJson';

export const MODEL_FORMAT = 'webgrad-sequential';
/**
 * 2: weights in the file are named by position in the model (Keras 3's scheme), not by layer name;
 * activation 'gelu' is the exact form (version 1 files meant the tanh form: see upgradeActivation).
 */
export const MODEL_FORMAT_VERSION = 2;

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  name: string;
  inputShape: number[] | null;
  layers: LayerConfig[];
  /** Names, shapes and dtypes of the weights in the safetensors file, in model order. */
  weights: WeightEntry[];
  /** The compile settings, when saved with includeOptimizer. */
  trainingConfig?: TrainingConfigJson;
}

export interface WeightEntry { name: string; shape: number[]; dtype: 'float32' | 'int32' }

export interface ModelArtifacts {
  modelJson: ModelJson;
  /** safetensors bytes */
  weights: ArrayBuffer;
}

/** The top-level keys a model JSON may have (weightsPath: where loadModelFromUrl finds the weights). */
const MODEL_KEYS = ['format', 'formatVersion', 'name', 'inputShape', 'layers', 'weights', 'weightsPath', 'trainingConfig'];

/** `value` as a ModelJson, or a ModelFormatError naming the first field at fault. */
export function checkModelJson(value: unknown): ModelJson {
  const fail = (problem: string) => new ModelFormatError(`loadModel: model JSON ${problem}`);
  if (!isPlainObject(value)) throw fail(`must be an object, got ${formatValue(value)}`);
  const unknown = Object.keys(value).find((key) => !MODEL_KEYS.includes(key));
  if (unknown !== undefined) throw fail(`has unknown field ${formatValue(unknown)}; expected ${MODEL_KEYS.join(', ')}`);
  const { format, formatVersion, name, inputShape, layers, weights } = value;
  if (format !== MODEL_FORMAT) throw fail(`has format ${formatValue(format)}, expected '${MODEL_FORMAT}'`);
  if (!Number.isInteger(formatVersion) || (formatVersion as number) < 1) throw fail(`has formatVersion ${formatValue(formatVersion)}, expected a positive integer`);
  if ((formatVersion as number) > MODEL_FORMAT_VERSION) {
    throw fail(`has formatVersion ${formatVersion}, newer than this webgrad reads (${MODEL_FORMAT_VERSION})`);
  }
  if (typeof name !== 'string') throw fail(`has name ${formatValue(name)}, expected a string`);
  if (inputShape !== null && inputShape !== undefined && !isShape(inputShape, 1)) {
    throw fail(`has inputShape ${formatValue(inputShape)}, expected null or an array of positive integers`);
  }
  if (!Array.isArray(layers)) throw fail(`has layers ${formatValue(layers)}, expected an array of { className, config }`);
  layers.forEach((layer: unknown, i) => {
    if (!isPlainObject(layer) || typeof layer.className !== 'string' || !isPlainObject(layer.config) || Object.keys(layer).length !== 2) {
      throw fail(`has layers[${i}] = ${formatValue(layer)}, expected { className: string, config: object }`);
    }
  });
  if (!Array.isArray(weights)) throw fail(`has weights ${formatValue(weights)}, expected an array of { name, shape, dtype }`);
  weights.forEach((weight: unknown, i) => {
    if (!isPlainObject(weight) || typeof weight.name !== 'string' || !isShape(weight.shape, 0)
      || (weight.dtype !== 'float32' && weight.dtype !== 'int32') || Object.keys(weight).length !== 3) {
      throw fail(`has weights[${i}] = ${formatValue(weight)}, expected { name: string, shape: integers, dtype: 'float32' | 'int32' }`);
    }
  });
  if (value.trainingConfig !== undefined) checkTrainingConfig(value.trainingConfig);
  return value as unknown as ModelJson;
}

function isShape(value: unknown, least: number): value is number[] {
  return Array.isArray(value) && value.every((dim) => Number.isSafeInteger(dim) && dim >= least);
}
