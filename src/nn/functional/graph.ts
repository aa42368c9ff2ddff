// The graph between a functional model's inputs and outputs: its nodes in an order where every
// node comes after the nodes that feed it, found by walking back from the outputs.
import { ValueError } from '../../errors';
import type { Tensor } from '../../tensor';
import type { CallOptions, Layer } from '../layer';
import type { GraphNode, SymbolicTensor } from './symbolic';

/**
 * The nodes `outputs` depend on, inputs first, each after its inputs. Keras's rule: every path
 * must end at one of `inputs` ("graph disconnected" otherwise).
 */
export function graphNodes(modelName: string, inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): GraphNode[] {
  const order: GraphNode[] = [];
  const done = new Set<GraphNode>();
  const given = new Set(inputs.map((t) => t.node));
  // Iterative depth-first walk (a deep residual stack would overflow a recursive one).
  for (const output of outputs) {
    const stack: { node: GraphNode; next: number }[] = [{ node: output.node, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (done.has(top.node)) {
        stack.pop();
        continue;
      }
      if (top.node.inputs.length === 0 && !given.has(top.node)) {
        throw new ValueError(`${modelName}: graph disconnected: output '${output.name}' depends on the input '${top.node.layer.name}', which is not among the model's inputs (${inputs.map((t) => t.name).join(', ')})`);
      }
      if (top.next < top.node.inputs.length) {
        stack.push({ node: top.node.inputs[top.next].node, next: 0 });
        top.next += 1;
      } else {
        done.add(top.node);
        order.push(top.node);
        stack.pop();
      }
    }
  }
  // Inputs no output depends on still belong to the model (Keras keeps them, and fit expects their data).
  const unused = inputs.filter((t) => !done.has(t.node)).map((t) => t.node);
  return [...unused, ...order];
}

/**
 * Which application of its layer `node` is among `nodes` (0 for the first): the node number in
 * `layer[node][0]`, counted within one model so a layer applied in another graph before does not
 * shift it.
 */
export function nodeNumber(nodes: readonly GraphNode[], node: GraphNode): number {
  return nodes.filter((other) => other.layer === node.layer).indexOf(node);
}

/** Each distinct layer of `nodes`, in the order of its first node. */
export function graphLayers(nodes: readonly GraphNode[]): Layer[] {
  return [...new Set(nodes.map((node) => node.layer))];
}

/** Runs the graph on real tensors, one per input; returns one tensor per output. */
export function runGraph(nodes: readonly GraphNode[], inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[], values: readonly Tensor[], options: CallOptions): Tensor[] {
  const computed = new Map<SymbolicTensor, Tensor>(inputs.map((t, i) => [t, values[i]]));
  for (const node of nodes) {
    if (node.inputs.length === 0) continue;
    const results = node.layer.callAll(node.inputs.map((t) => computed.get(t) as Tensor), options);
    node.outputs.forEach((t, k) => computed.set(t, results[k]));
  }
  return outputs.map((t) => computed.get(t) as Tensor);
}
