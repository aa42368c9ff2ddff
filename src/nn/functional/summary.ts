// A functional model's summary: Keras's table with its "Connected to" column, which names each
// tensor a layer reads as `layer[node][tensor]` (node: which application of that layer in this model
// made it; tensor: which of that application's outputs).
import { formatOutputShape, formatSummaryTable } from '../summary';
import type { Layer } from '../layer';
import type { GraphNode } from './symbolic';
import { nodeNumber } from './graph';

export function formatFunctionalSummary(model: { name: string; layers: readonly Layer[]; nodes: readonly GraphNode[] }): string {
  const rows = model.layers.map((layer) => {
    const nodes = model.nodes.filter((node) => node.layer === layer);
    const shapes = [...new Set(nodes.map((node) => node.outputs.map((t) => formatOutputShape(t.shape)).join(', ')))];
    // Keras prints 'multiple' for a shared layer whose applications give different shapes.
    const shape = shapes.length === 1 ? shapes[0] : 'multiple';
    const sources = nodes.flatMap((node) => node.inputs.map((t) => `${t.layer.name}[${nodeNumber(model.nodes, t.node)}][${t.index}]`));
    return [`${layer.name} (${layer.className})`, shape, String(layer.countParams()), sources.length > 0 ? sources.join(', ') : '-'];
  });
  return formatSummaryTable(model.name, [['Layer (type)', false], ['Output Shape', false], ['Param #', true], ['Connected to', false]], rows, model.layers);
}
