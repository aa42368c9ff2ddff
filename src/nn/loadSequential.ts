// Rebuilding a Sequential model from its file: the weights its layers will make are worked out
// from shapes alone (sized against the device's buffer limit) before any is created.
import { ValueError, formatShape } from '../errors';
import { shapesEqual } from '../shape';
import type { Layer, SampleShape } from './layer';
import { Sequential, assertUniqueLayerNames } from './sequential';
import { atLayer, layerKeys, plannedEntry, type Naming } from './weightFiles';
import type { ModelJson, WeightEntry } from '../io/modelJson';

/**
 * A Sequential model of `layers` (made from the checked JSON's layer configs, disposed here if
 * anything fails), built when its input shape is known. `beforeBuild` sees the weights the layers
 * will make, in file order, before any is made (a loader checks them against the file there).
 */
export function buildSequential(json: ModelJson, layers: readonly Layer[], naming: Naming, beforeBuild: (planned: WeightEntry[]) => void): Sequential {
  try {
    atLayer(null, '', () => assertUniqueLayerNames(`model '${json.name}'`, layers));
    const sampleShape = layers[0]?.inputShape ?? json.inputShape ?? null;
    if (layers[0]?.inputShape && json.inputShape && !shapesEqual(layers[0].inputShape, json.inputShape)) {
      atLayer(null, '', () => {
        throw new ValueError(`model JSON has inputShape ${formatShape(json.inputShape as number[])} but its first layer ${formatShape(layers[0].inputShape as SampleShape)}`);
      });
    }
    // Layers that build themselves (a custom build, a nested model) make their weights while planning.
    beforeBuild(sampleShape ? plannedWeights(layers, sampleShape, naming) : []);
    const model = new Sequential([...layers], { name: json.name });
    if (sampleShape) model.build(sampleShape);
    return model;
  } catch (error) {
    for (const layer of layers) layer.dispose();
    throw error;
  }
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
