// wg.loadModel() / wg.loadWeights(): rebuild a model from its JSON and safetensors bytes. Loading
// checks all it reads (the JSON, each layer config, the safetensors layout, and that the file holds
// exactly the weights the architecture makes, within the device's buffer limit) before creating
// any tensor, so a bad file allocates nothing and changes no model.
import { ModelFormatError, ValueError, formatShape } from '../errors';
import { shapesEqual } from '../shape';
import type { Layer, SampleShape } from './layer';
import { upgradeActivation } from './activations';
import { deserializeLayer } from './layers';
import { Sequential, assertUniqueLayerNames } from './sequential';
import { Model } from './functional/model';
import { loadFunctional } from './loadFunctional';
import { atLayer, fileWeights, layerKeys, namingOf, plannedEntry, sameWeight, showWeight, writeWeights, type Naming } from './weightFiles';
import { matchFile, type LoadWeightsOptions } from './weightMatching';
import { checkModelJson, type ModelArtifacts, type WeightEntry } from '../io/modelJson';
import { FUNCTIONAL_FORMAT, type FunctionalArtifacts } from '../io/functionalJson';
import { decodeSafetensors, isPlainObject } from '../io/safetensors';

/** Rebuilds a Sequential model with identical architecture and weights. */
export function loadModel(artifacts: ModelArtifacts): Sequential;
export function loadModel(artifacts: FunctionalArtifacts): Model;
export function loadModel(artifacts: ModelArtifacts | FunctionalArtifacts): Sequential | Model;
export function loadModel(artifacts: ModelArtifacts | FunctionalArtifacts): Sequential | Model {
  if (!isPlainObject(artifacts)) throw new ModelFormatError('loadModel: expected { modelJson, weights }');
  if (isPlainObject(artifacts.modelJson) && artifacts.modelJson.format === FUNCTIONAL_FORMAT) {
    return loadFunctional(artifacts.modelJson, decodeSafetensors(artifacts.weights).arrays);
  }
  const modelJson = checkModelJson(artifacts.modelJson as unknown);
  const file = decodeSafetensors(artifacts.weights);
  const layers = modelJson.layers.map((layer, i) => atLayer(i, layer.className, () => deserializeLayer({
    ...layer, config: upgradeActivation(layer.config, modelJson.formatVersion),
  })));
  atLayer(null, '', () => assertUniqueLayerNames(`model '${modelJson.name}'`, layers));
  const sampleShape = layers[0]?.inputShape ?? modelJson.inputShape ?? null;
  if (layers[0]?.inputShape && modelJson.inputShape && !shapesEqual(layers[0].inputShape, modelJson.inputShape)) {
    throw new ModelFormatError(`loadModel: model JSON has inputShape ${formatShape(modelJson.inputShape)} but its first layer ${formatShape(layers[0].inputShape)}`);
  }
  // Layers that build themselves (a custom build) make their weights while planning: dispose
  // them too when the file is refused.
  try {
    const planned = sampleShape ? plannedWeights(layers, sampleShape, namingOf(modelJson.formatVersion)) : [];
    const listed = modelJson.weights.findIndex((entry, i) => !sameWeight(entry, planned[i]));
    if (listed >= 0 || modelJson.weights.length !== planned.length) {
      const at = listed >= 0 ? listed : Math.min(modelJson.weights.length, planned.length);
      throw new ModelFormatError(`loadModel: model JSON lists weights[${at}] as ${showWeight(modelJson.weights[at])}, but its layers make ${showWeight(planned[at])}`);
    }
    const arrays = matchFile('loadModel', planned, file.arrays);
    const model = new Sequential(layers, { name: modelJson.name });
    if (sampleShape) model.build(sampleShape);
    writeWeights(fileWeights(model, namingOf(modelJson.formatVersion)).map(({ tensor: t }) => t), arrays);
    return model;
  } catch (error) {
    for (const layer of layers) layer.dispose();
    throw error;
  }
}

/**
 * Overwrites a model's weights from safetensors bytes (F32, F16, BF16, I32 or I64). Every name, shape
 * and dtype is checked before anything is written, so a bad file leaves the model as it was.
 * Names are those of `model.namedWeights()`; `options` can rename the file's tensors first
 * (stripPrefix, mapName) or match them by order instead.
 */
export function loadWeights(model: Sequential | Model, weights: ArrayBuffer | ArrayBufferView, options: LoadWeightsOptions = {}): void {
  if (!(model instanceof Sequential) && !(model instanceof Model)) throw new ValueError('loadWeights: the first argument must be a Sequential or functional model');
  const file = decodeSafetensors(weights);
  // A file without webgrad's formatVersion names weights by layer name (written before version 2);
  // a user's renaming always targets the names namedWeights() shows.
  const renames = options.stripPrefix !== undefined || options.mapName !== undefined || options.match === 'order';
  const targets = fileWeights(model, renames ? 'position' : namingOf(Number(file.metadata.formatVersion ?? 1)));
  const arrays = matchFile('loadWeights', targets.map(({ name, tensor: t }) => ({ name, shape: [...t.shape], dtype: t.dtype })), file.arrays, options);
  writeWeights(targets.map(({ tensor: t }) => t), arrays);
}

/**
 * The weights `layers` would create for samples of `sampleShape`, worked out without creating any
 * (the same shape walk as Sequential.build); a weight over the device's buffer limit is refused.
 */
function plannedWeights(layers: readonly Layer[], sampleShape: SampleShape, naming: Naming): WeightEntry[] {
  const keys = layerKeys(layers, naming);
  const planned: WeightEntry[] = [];
  let shape: number[] = [...sampleShape];
  layers.forEach((layer, i) => atLayer(i, layer.className, () => {
    if (i > 0 && layer.inputShape && !shapesEqual(layer.inputShape, shape)) {
      throw new ValueError(`'${layer.name}' expects input ${formatShape(layer.inputShape)}, but the previous layer outputs ${formatShape(shape)}`);
    }
    const output = layer.computeOutputShape(shape);
    for (const spec of layer.weightSpecs(shape)) planned.push(plannedEntry(keys[i], spec));
    shape = output;
  }));
  return planned;
}
