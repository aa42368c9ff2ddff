// Rebuilding one entry of a model file's layer list: a layer from its config, or a nested model
// (className 'Functional' or 'Sequential', its architecture in its config, as Keras nests them)
// rebuilt whole and used as a layer. A nested model's weights are made here, at their planned
// sizes, so a loader that refuses the file later disposes them with the layer.
import { ValueError, formatValue } from '../errors';
import type { Layer, LayerConfig } from './layer';
import { upgradeActivation } from './activations';
import { deserializeLayer } from './layers';
import { buildFunctional } from './loadFunctional';
import { buildSequential } from './loadSequential';
import { atLayer, namingOf } from './weightFiles';
import { FUNCTIONAL_FORMAT, checkFunctionalJson } from '../io/functionalJson';
import { MODEL_FORMAT, checkModelJson } from '../io/modelJson';
import type { Model } from './functional/model';
import type { Sequential } from './sequential';

const NESTED_KEYS = {
  Functional: ['name', 'trainable', 'layers', 'inputLayers', 'outputLayers'],
  Sequential: ['name', 'trainable', 'inputShape', 'layers'],
};

/** Each entry rebuilt (errors name the entry's index); if one fails, those made before are disposed. */
export function rebuildLayers(entries: readonly LayerConfig[], formatVersion: number): Layer[] {
  const layers: Layer[] = [];
  try {
    entries.forEach((entry, i) => layers.push(atLayer(i, entry.className, () => rebuildLayer(entry, formatVersion))));
    return layers;
  } catch (error) {
    for (const layer of layers) layer.dispose();
    throw error;
  }
}

function rebuildLayer(entry: LayerConfig, formatVersion: number): Layer {
  if (entry.className !== 'Functional' && entry.className !== 'Sequential') {
    return deserializeLayer({ className: entry.className, config: upgradeActivation(entry.config, formatVersion) });
  }
  const { config } = entry;
  const known = NESTED_KEYS[entry.className];
  const unknown = Object.keys(config).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new ValueError(`a nested ${entry.className} model has no config field ${formatValue(unknown)}; it takes ${known.join(', ')}`);
  if (config.trainable !== undefined && typeof config.trainable !== 'boolean') throw new ValueError(`a nested model has trainable ${formatValue(config.trainable)}, expected true or false`);
  const { name, layers, inputLayers, outputLayers, inputShape } = config;
  // The nested architecture is checked as a model file of its own (with no weight list: the outer file lists the weights).
  const model = entry.className === 'Functional'
    ? nestedFunctional({ format: FUNCTIONAL_FORMAT, formatVersion, name, layers, inputLayers, outputLayers, weights: [] })
    : nestedSequential({ format: MODEL_FORMAT, formatVersion, name, inputShape: inputShape ?? null, layers, weights: [] });
  if (config.trainable === false) model.restoreTrainable(false);
  return model.asLayer();
}

function nestedFunctional(value: Record<string, unknown>): Model {
  const json = checkFunctionalJson(value);
  return buildFunctional(json, rebuildLayers(json.layers, json.formatVersion), () => {});
}

function nestedSequential(value: Record<string, unknown>): Sequential {
  const json = checkModelJson(value);
  return buildSequential(json, rebuildLayers(json.layers, json.formatVersion), namingOf(json.formatVersion), () => {});
}
