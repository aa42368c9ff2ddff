// Rebuilding functional models from their files. Loading plans the whole graph first (every reference,
// each layer's arity and shapes, cycles, and the weights each layer will make, which the loader
// checks against the JSON's weight list and the file) without creating a weight, then rebuilds the
// graph with the same layer calls a user makes.
import { ValueError, formatShape } from '../errors';
import type { Layer, SampleShape } from './layer';
import { assertUniqueLayerNames } from './sequential';
import { InputLayer } from './functional/inputLayer';
import { Model } from './functional/model';
import { addNode, connect, type SymbolicTensor } from './functional/symbolic';
import type { FunctionalJson, TensorRef } from '../io/functionalJson';
import type { WeightEntry } from '../io/modelJson';
import { atLayer, layerKeys, plannedEntry } from './weightFiles';

/** One application of a layer in the file: its layer's index and its node number there. */
interface PlannedNode { layer: number; node: number; refs: TensorRef[] }

/**
 * Rebuilds a functional model's graph from its checked JSON and its layers (made from the JSON's
 * layer configs, disposed here if anything fails). `beforeGraph` sees the weights the layers will
 * make, in file order, before any is made (a loader checks them against the file there).
 */
export function buildFunctional(json: FunctionalJson, layers: readonly Layer[], beforeGraph: (planned: WeightEntry[]) => void): Model {
  try {
    atLayer(null, '', () => assertUniqueLayerNames(`model '${json.name}'`, layers));
    const order = planGraph(json, layers);
    // Layers that build themselves (a custom build, a nested model) make their weights while planning.
    beforeGraph(plannedWeights(layers, order.inputShapes));
    const tensors = new Map<string, SymbolicTensor>();
    for (const { layer, node, refs } of order.nodes) {
      const target = layers[layer];
      const made = atLayer(layer, target.className, () => (target instanceof InputLayer
        ? [addNode(target, [], target.shape, target.dtype)]
        : connect(target, refs.map((r) => tensors.get(key(r)) as SymbolicTensor))));
      made.forEach((t, index) => tensors.set(key([target.name, node, index]), t));
    }
    const model = atLayer(null, '', () => new Model({
      inputs: json.inputLayers.map((r) => tensors.get(key(r)) as SymbolicTensor),
      outputs: json.outputLayers.map((r) => tensors.get(key(r)) as SymbolicTensor),
      name: json.name,
    }));
    const listed = layers.map((layer) => layer.name).join(', ');
    if (model.layers.map((layer) => layer.name).join(', ') !== listed) {
      atLayer(null, '', () => {
        throw new ValueError(`the layers [${listed}] are not those between the inputs and outputs, in graph order [${model.layers.map((layer) => layer.name).join(', ')}]`);
      });
    }
    return model;
  } catch (error) {
    for (const layer of layers) layer.dispose();
    throw error;
  }
}

function key(ref: TensorRef): string {
  return `${ref[0]}\u0000${ref[1]}\u0000${ref[2]}`;
}

/** A node's key (its layer and node number), whichever of its outputs a reference reads. */
function nodeKey(ref: TensorRef): string {
  return `${ref[0]}\u0000${ref[1]}`;
}

/**
 * The nodes in an order where each comes after the nodes it reads (Kahn's algorithm), and each
 * layer's input shapes at its first node, worked out from shapes alone: a reference to a missing
 * layer or node, a wrong number of inputs, shapes a layer refuses, a shared layer given other
 * shapes, or a cycle is a ModelFormatError naming the layer.
 */
function planGraph(json: FunctionalJson, layers: readonly Layer[]): { nodes: PlannedNode[]; inputShapes: (SampleShape[] | null)[] } {
  const indexOf = new Map(layers.map((layer, i) => [layer.name, i]));
  const nodes: PlannedNode[] = [];
  json.layers.forEach((entry, i) => atLayer(i, entry.className, () => {
    const isInput = layers[i] instanceof InputLayer;
    if (isInput && entry.inboundNodes.length > 0) throw new ValueError('an InputLayer reads no tensors, but inboundNodes lists some');
    if (!isInput && entry.inboundNodes.length === 0) throw new ValueError('the layer has no inbound nodes (it is applied to nothing)');
    if (isInput) nodes.push({ layer: i, node: 0, refs: [] });
    entry.inboundNodes.forEach((refs, node) => nodes.push({ layer: i, node, refs }));
  }));
  const nodeCount = (layerIndex: number): number => Math.max(json.layers[layerIndex].inboundNodes.length, 1);
  const checkRef = (r: TensorRef, where: string): void => {
    const target = indexOf.get(r[0]);
    if (target === undefined) throw new ValueError(`${where} reads unknown layer '${r[0]}'`);
    if (r[1] >= nodeCount(target)) throw new ValueError(`${where} reads node ${r[1]} of '${r[0]}', which has ${nodeCount(target)}`);
    const outputs = layers[target].outputCount();
    if (r[2] >= outputs) throw new ValueError(`${where} reads output ${r[2]} of '${r[0]}', which has ${outputs}`);
  };
  for (const planned of nodes) atLayer(planned.layer, layers[planned.layer].className, () => planned.refs.forEach((r) => checkRef(r, `inbound node ${planned.node}`)));
  atLayer(null, '', () => {
    json.inputLayers.forEach((r, i) => {
      checkRef(r, `inputLayers[${i}]`);
      if (!(layers[indexOf.get(r[0]) as number] instanceof InputLayer)) throw new ValueError(`inputLayers[${i}] names '${r[0]}', which is not an InputLayer`);
    });
    json.outputLayers.forEach((r, i) => checkRef(r, `outputLayers[${i}]`));
  });
  // Kahn's algorithm over node keys.
  const shapes = new Map<string, SampleShape>();
  const waiting = new Map<string, PlannedNode[]>();
  const missing = new Map<PlannedNode, number>();
  const ready: PlannedNode[] = [];
  for (const planned of nodes) {
    missing.set(planned, planned.refs.length);
    if (planned.refs.length === 0) ready.push(planned);
    for (const r of planned.refs) waiting.set(nodeKey(r), [...(waiting.get(nodeKey(r)) ?? []), planned]);
  }
  const inputShapes: (SampleShape[] | null)[] = layers.map(() => null);
  const ordered: PlannedNode[] = [];
  while (ready.length > 0) {
    const planned = ready.shift() as PlannedNode;
    const layer = layers[planned.layer];
    const outputs = atLayer(planned.layer, layer.className, () => {
      if (layer instanceof InputLayer) return [[...layer.shape]];
      const given = planned.refs.map((r) => shapes.get(key(r)) as SampleShape);
      const first = inputShapes[planned.layer];
      if (first && given.map(formatShape).join() !== first.map(formatShape).join()) {
        throw new ValueError(`node ${planned.node} reads shapes ${given.map(formatShape).join(', ')}, but the layer's first node read ${first.map(formatShape).join(', ')} (a shared layer has one set of weights)`);
      }
      inputShapes[planned.layer] = given;
      return layer.outputShapesFor(given);
    });
    ordered.push(planned);
    outputs.forEach((shape, index) => shapes.set(key([layer.name, planned.node, index]), shape));
    // A node that reads two outputs of this one waits for it once per reference.
    for (const next of waiting.get(nodeKey([layer.name, planned.node, 0])) ?? []) {
      const left = (missing.get(next) as number) - 1;
      missing.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (ordered.length < nodes.length) {
    const placed = new Set(ordered);
    const stuck = [...new Set(nodes.filter((planned) => !placed.has(planned)).map((planned) => layers[planned.layer].name))];
    atLayer(null, '', () => {
      throw new ValueError(`the graph has a cycle: the layers ${stuck.join(', ')} read each other's outputs`);
    });
  }
  assertConnected(json, nodes, layers);
  return { nodes: ordered, inputShapes };
}

/** Every layer listed must lie on a path to an output (or be a listed input): Keras saves no others. */
function assertConnected(json: FunctionalJson, nodes: readonly PlannedNode[], layers: readonly Layer[]): void {
  const byKey = new Map(nodes.map((planned) => [nodeKey([layers[planned.layer].name, planned.node, 0]), planned]));
  const reached = new Set<number>();
  const seen = new Set<string>();
  const stack = [...json.outputLayers, ...json.inputLayers].map(nodeKey);
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    const planned = byKey.get(next) as PlannedNode;
    reached.add(planned.layer);
    for (const r of planned.refs) stack.push(nodeKey(r));
  }
  const stray = layers.findIndex((_, i) => !reached.has(i));
  if (stray >= 0) {
    atLayer(stray, layers[stray].className, () => {
      throw new ValueError(`'${layers[stray].name}' is not between the model's inputs and outputs`);
    });
  }
}

/** The weights each layer makes at its first node, in layer order, as the file must list them. */
function plannedWeights(layers: readonly Layer[], inputShapes: readonly (SampleShape[] | null)[]): WeightEntry[] {
  const keys = layerKeys(layers, 'position');
  return layers.flatMap((layer, i) => atLayer(i, layer.className, () => {
    const shapes = inputShapes[i];
    return shapes ? layer.weightSpecsFor(shapes).map((spec) => plannedEntry(keys[i], spec)) : [];
  }));
}
