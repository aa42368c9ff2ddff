// The model JSON of a functional model: each layer's config and its inbound nodes (for each
// application, the tensors it read, as Keras's functional config records them: [layer, node,
// tensor]), the input and output tensors, and the weight list. checkFunctionalJson checks every
// field's type before any layer is made; the graph itself (references, arity, cycles) is checked
// by the loader while it plans shapes, still before any weight exists.
import { ModelFormatError, formatValue } from '../errors';
import { MODEL_FORMAT_VERSION, type WeightEntry } from './modelJson';
import { isPlainObject } from './safetensors';
import { checkTrainingConfig, type TrainingConfigJson } from './trainingJson';

export const FUNCTIONAL_FORMAT = 'webgrad-functional';

/** A tensor of the graph: output `tensor` (0 but for layers with several) of the `node`-th application of the layer named `layer`. */
export type TensorRef = [layer: string, node: number, tensor: number];

export interface FunctionalLayerJson {
  className: string;
  config: Record<string, unknown>;
  /** One entry per application of the layer in the model, listing the tensors it read (empty for an InputLayer). */
  inboundNodes: TensorRef[][];
}

/** The graph itself: what a functional model nested in another model's file holds (beside its name). */
export interface FunctionalGraphJson {
  layers: FunctionalLayerJson[];
  inputLayers: TensorRef[];
  outputLayers: TensorRef[];
}

export interface FunctionalJson extends FunctionalGraphJson {
  format: typeof FUNCTIONAL_FORMAT;
  formatVersion: number;
  name: string;
  weights: WeightEntry[];
  /** The compile settings, when saved with includeOptimizer. */
  trainingConfig?: TrainingConfigJson;
}

export interface FunctionalArtifacts {
  modelJson: FunctionalJson;
  /** safetensors bytes */
  weights: ArrayBuffer;
}

const KEYS = ['format', 'formatVersion', 'name', 'layers', 'inputLayers', 'outputLayers', 'weights', 'weightsPath', 'trainingConfig'];

/** `value` as a FunctionalJson, or a ModelFormatError naming the first field at fault. */
export function checkFunctionalJson(value: unknown): FunctionalJson {
  const fail = (problem: string) => new ModelFormatError(`loadModel: model JSON ${problem}`);
  if (!isPlainObject(value)) throw fail(`must be an object, got ${formatValue(value)}`);
  const unknown = Object.keys(value).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) throw fail(`has unknown field ${formatValue(unknown)}; expected ${KEYS.join(', ')}`);
  const { format, formatVersion, name, layers, inputLayers, outputLayers, weights } = value;
  if (format !== FUNCTIONAL_FORMAT) throw fail(`has format ${formatValue(format)}, expected '${FUNCTIONAL_FORMAT}'`);
  // Functional files began with version 2 (weights named by position).
  if (formatVersion !== MODEL_FORMAT_VERSION) throw fail(`has formatVersion ${formatValue(formatVersion)}, expected ${MODEL_FORMAT_VERSION}`);
  if (typeof name !== 'string') throw fail(`has name ${formatValue(name)}, expected a string`);
  if (!Array.isArray(layers) || layers.length === 0) throw fail(`has layers ${formatValue(layers)}, expected a non-empty array of { className, config, inboundNodes }`);
  layers.forEach((layer: unknown, i) => {
    if (!isPlainObject(layer) || typeof layer.className !== 'string' || !isPlainObject(layer.config) || Object.keys(layer).length !== 3
      || !Array.isArray(layer.inboundNodes) || !layer.inboundNodes.every((node: unknown) => Array.isArray(node) && node.every(isTensorRef))) {
      throw fail(`has layers[${i}] = ${formatValue(layer)}, expected { className: string, config: object, inboundNodes: [layer, node, tensor][][] }`);
    }
  });
  for (const [field, refs] of [['inputLayers', inputLayers], ['outputLayers', outputLayers]] as const) {
    if (!Array.isArray(refs) || refs.length === 0 || !refs.every(isTensorRef)) throw fail(`has ${field} ${formatValue(refs)}, expected a non-empty array of [layer, node, tensor]`);
  }
  if (!Array.isArray(weights)) throw fail(`has weights ${formatValue(weights)}, expected an array of { name, shape, dtype }`);
  weights.forEach((weight: unknown, i) => {
    if (!isPlainObject(weight) || typeof weight.name !== 'string' || !Array.isArray(weight.shape)
      || !weight.shape.every((dim: unknown) => Number.isSafeInteger(dim) && (dim as number) >= 0)
      || (weight.dtype !== 'float32' && weight.dtype !== 'int32') || Object.keys(weight).length !== 3) {
      throw fail(`has weights[${i}] = ${formatValue(weight)}, expected { name: string, shape: integers, dtype: 'float32' | 'int32' }`);
    }
  });
  if (value.trainingConfig !== undefined) checkTrainingConfig(value.trainingConfig);
  return value as unknown as FunctionalJson;
}

function isTensorRef(value: unknown): value is TensorRef {
  return Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && Number.isSafeInteger(value[1]) && value[1] >= 0
    && Number.isSafeInteger(value[2]) && value[2] >= 0;
}
