// wg.loadModel() / wg.loadWeights(): rebuilds a model from its JSON architecture and safetensors
// weights. Loading checks all it reads (the JSON, each layer config, the safetensors layout,
// and that the file holds exactly the weights the architecture makes, within the device's buffer
// limit) before creating any tensor, so a bad file allocates nothing and changes no model.
import { ModelFormatError, ValueError, formatShape } from '../errors';
import { noGrad } from '../autograd/recorder';
import { tidy } from '../memory';
import { tensor } from '../ops/creation';
import { getDevice } from '../runtime/device';
import { shapesEqual } from '../shape';
import type { DType, Tensor } from '../tensor';
import { checkModelJson, type ModelArtifacts, type WeightEntry } from '../io/modelJson';
import { decodeSafetensors, isPlainObject, type NamedArray } from '../io/safetensors';
import type { Layer, SampleShape } from './layer';
import { upgradeActivation } from './activations';
import { deserializeLayer } from './layers';
import { Sequential, assertUniqueLayerNames } from './sequential';
import { fileWeights, layerKeys, namingOf, type Naming } from './saveModel';

/** Rebuilds a Sequential model with identical architecture and weights. */
export function loadModel(artifacts: ModelArtifacts): Sequential {
  if (!isPlainObject(artifacts)) throw new ModelFormatError('loadModel: expected { modelJson, weights }');
  const modelJson = checkModelJson(artifacts.modelJson);
  const file = decodeSafetensors(artifacts.weights);
  const layers = modelJson.layers.map((layer, i) => atLayer(i, layer.className, () => deserializeLayer({
    ...layer, config: upgradeActivation(layer.config, modelJson.formatVersion),
  })));
  atLayer(null, '', () => assertUniqueLayerNames(`model '${modelJson.name}'`, layers));
  const sampleShape = layers[0]?.inputShape ?? modelJson.inputShape ?? null;
  if (layers[0]?.inputShape && modelJson.inputShape && !shapesEqual(layers[0].inputShape, modelJson.inputShape)) {
    throw new ModelFormatError(`loadModel: model JSON has inputShape ${formatShape(modelJson.inputShape)} but its first layer ${formatShape(layers[0].inputShape)}`);
  }
  const planned = sampleShape ? plannedWeights(layers, sampleShape, namingOf(modelJson.formatVersion)) : [];
  const listed = modelJson.weights.findIndex((entry, i) => !sameWeight(entry, planned[i]));
  if (listed >= 0 || modelJson.weights.length !== planned.length) {
    const at = listed >= 0 ? listed : Math.min(modelJson.weights.length, planned.length);
    throw new ModelFormatError(`loadModel: model JSON lists weights[${at}] as ${showWeight(modelJson.weights[at])}, but its layers make ${showWeight(planned[at])}`);
  }
  const arrays = matchFile('loadModel', planned, file.arrays);
  try {
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
 * Overwrites a model's weights from safetensors bytes. Every name, shape and dtype is checked
 * before anything is written, so a bad file leaves the model as it was.
 */
export function loadWeights(model: Sequential, weights: ArrayBuffer | ArrayBufferView): void {
  if (!(model instanceof Sequential)) throw new ValueError('loadWeights: the first argument must be a Sequential model');
  const file = decodeSafetensors(weights);
  const targets = fileWeights(model, namingOf(Number(file.metadata.formatVersion ?? 1)));
  const arrays = matchFile('loadWeights', targets.map(({ name, tensor: t }) => ({ name, shape: [...t.shape], dtype: t.dtype })), file.arrays);
  writeWeights(targets.map(({ tensor: t }) => t), arrays);
}

/** Runs a step of rebuilding layer `index`, turning any error into a ModelFormatError that names the layer. */
function atLayer<T>(index: number | null, className: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    const where = index === null ? '' : ` layers[${index}] (${className}):`;
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    throw new ModelFormatError(`loadModel:${where} ${name === 'ValueError' || name === 'ShapeError' ? '' : `${name}: `}${message}`, { cause: error });
  }
}

/**
 * The weights `layers` would create for samples of `sampleShape`, worked out without creating any
 * (the same shape walk as Sequential.build); a weight over the device's buffer limit is refused.
 */
function plannedWeights(layers: readonly Layer[], sampleShape: SampleShape, naming: Naming): WeightEntry[] {
  const keys = layerKeys(layers, naming);
  const { maxBufferSize, maxStorageBufferBindingSize } = getDevice().limits;
  const limit = Math.min(maxBufferSize, maxStorageBufferBindingSize);
  const planned: WeightEntry[] = [];
  let shape: number[] = [...sampleShape];
  layers.forEach((layer, i) => atLayer(i, layer.className, () => {
    if (i > 0 && layer.inputShape && !shapesEqual(layer.inputShape, shape)) {
      throw new ValueError(`'${layer.name}' expects input ${formatShape(layer.inputShape)}, but the previous layer outputs ${formatShape(shape)}`);
    }
    const output = layer.computeOutputShape(shape);
    for (const spec of layer.weightSpecs(shape)) {
      const bytes = spec.shape.reduce((a, b) => a * b, 4);
      if (!(bytes <= limit)) throw new ValueError(`weight '${spec.name}' ${formatShape(spec.shape)} would take ${bytes} bytes, over the device's ${limit}-byte buffer limit`);
      planned.push({ name: `${keys[i]}/${spec.name}`, shape: spec.shape, dtype: 'float32' });
    }
    shape = output;
  }));
  return planned;
}

/** The file's array for each expected weight, in order; any name, shape or dtype difference throws. */
function matchFile(op: string, expected: readonly WeightEntry[], arrays: readonly NamedArray[]): NamedArray[] {
  const names = new Set(expected.map(({ name }) => name));
  if (names.size !== expected.length) throw new ValueError(`${op}: the model has two weights with one name (${expected.map(({ name }) => name).join(', ')})`);
  const byName = new Map(arrays.map((array) => [array.name, array]));
  const missing = [...names].filter((name) => !byName.has(name));
  const unexpected = arrays.map(({ name }) => name).filter((name) => !names.has(name));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ModelFormatError(`${op}: weight names do not match the model (missing: ${listNames(missing)}; unexpected: ${listNames(unexpected)})`);
  }
  return expected.map((entry) => {
    const array = byName.get(entry.name) as NamedArray;
    const dtype: DType = array.dtype === 'I32' ? 'int32' : 'float32';
    if (!shapesEqual(array.shape, entry.shape) || dtype !== entry.dtype) {
      throw new ModelFormatError(`${op}: ${entry.name} is ${formatShape(entry.shape)} ${entry.dtype} in the model but ${formatShape(array.shape)} ${dtype} in the file`);
    }
    return array;
  });
}

/** Uploads every array first and only then overwrites, so a failed upload writes nothing. */
function writeWeights(targets: readonly Tensor[], arrays: readonly NamedArray[]): void {
  noGrad(() => tidy(() => {
    const uploaded = arrays.map((array, i) => tensor(array.data, array.shape, targets[i].dtype));
    targets.forEach((target, i) => target.assign(uploaded[i]));
  }));
}

/** Up to ten names for a message (a hostile file may hold millions). */
function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
}

function sameWeight(a: WeightEntry | undefined, b: WeightEntry | undefined): boolean {
  return a !== undefined && b !== undefined && a.name === b.name && a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
}

function showWeight(entry: WeightEntry | undefined): string {
  return entry ? `${entry.name} ${formatShape(entry.shape)} ${entry.dtype}` : 'nothing';
}
