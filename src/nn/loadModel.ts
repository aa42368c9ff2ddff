// wg.loadModel() / wg.loadWeights(): rebuild a model from its JSON and safetensors bytes. Loading
// checks all it reads (the JSON, each layer config, the safetensors layout, and that the file holds
// exactly the weights the architecture makes, within the device's buffer limit) before creating
// any tensor (but those of layers that build themselves and of nested models, disposed if the file
// is refused), so a bad file leaks nothing and changes no model.
import { ModelFormatError, ValueError } from '../errors';
import { Sequential } from './sequential';
import { Model } from './functional/model';
import { buildFunctional } from './loadFunctional';
import { buildSequential } from './loadSequential';
import { rebuildLayers } from './rebuildLayer';
import { fileWeights, namingOf, sameWeight, showWeight, writeWeights } from './weightFiles';
import { matchFile, type LoadWeightsOptions } from './weightMatching';
import { checkModelJson, type ModelArtifacts, type WeightEntry } from '../io/modelJson';
import { FUNCTIONAL_FORMAT, checkFunctionalJson, type FunctionalArtifacts } from '../io/functionalJson';
import { decodeSafetensors, isPlainObject, type NamedArray } from '../io/safetensors';
import { OPTIMIZER_PREFIX } from '../io/trainingJson';
import { restoreTraining } from './trainingState';

/**
 * Rebuilds a Sequential or functional model with identical architecture and weights; a file saved
 * with includeOptimizer comes back compiled, its optimizer in the state it was saved in.
 */
export function loadModel(artifacts: ModelArtifacts): Sequential;
export function loadModel(artifacts: FunctionalArtifacts): Model;
export function loadModel(artifacts: ModelArtifacts | FunctionalArtifacts): Sequential | Model;
export function loadModel(artifacts: ModelArtifacts | FunctionalArtifacts): Sequential | Model {
  if (!isPlainObject(artifacts)) throw new ModelFormatError('loadModel: expected { modelJson, weights }');
  const functional = isPlainObject(artifacts.modelJson) && artifacts.modelJson.format === FUNCTIONAL_FORMAT;
  const json = functional ? checkFunctionalJson(artifacts.modelJson) : checkModelJson(artifacts.modelJson as unknown);
  const file = decodeSafetensors(artifacts.weights);
  const naming = namingOf(json.formatVersion);
  // The optimizer's slots travel beside the weights only in a file saved with includeOptimizer.
  const isSlot = (array: NamedArray): boolean => json.trainingConfig !== undefined && array.name.startsWith(OPTIMIZER_PREFIX);
  let arrays: NamedArray[] = [];
  const matchListed = (planned: WeightEntry[]): void => {
    checkListed(json.weights, planned);
    arrays = matchFile('loadModel', planned, file.arrays.filter((array) => !isSlot(array)));
  };
  const layers = rebuildLayers(json.layers, json.formatVersion);
  const model = 'inputLayers' in json ? buildFunctional(json, layers, matchListed) : buildSequential(json, layers, naming, matchListed);
  try {
    const weights = fileWeights(model, naming);
    writeWeights(weights.map(({ tensor }) => tensor), arrays);
    if (json.trainingConfig) restoreTraining(model, json.trainingConfig, file.arrays.filter(isSlot), weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** The model JSON's weight list must be exactly the weights the layers make, in order. */
function checkListed(listed: readonly WeightEntry[], planned: readonly WeightEntry[]): void {
  const at = listed.findIndex((entry, i) => !sameWeight(entry, planned[i]));
  if (at >= 0 || listed.length !== planned.length) {
    const index = at >= 0 ? at : Math.min(listed.length, planned.length);
    throw new ModelFormatError(`loadModel: model JSON lists weights[${index}] as ${showWeight(listed[index])}, but its layers make ${showWeight(planned[index])}`);
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
