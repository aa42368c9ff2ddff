// Symbolic tensors: what wg.input() returns and what layer.apply() returns on one. Each records the
// node that made it (a layer and the symbolic tensors it was applied to), so wg.model() can walk
// back from its outputs to its inputs and run the same layers on real tensors.
import { ShapeError, formatShape } from '../../errors';
import type { DType } from '../../tensor';
import type { Layer, SampleShape } from '../layer';

/** One application of a layer: `layer` applied to `inputs` made `outputs` (most layers make one). */
export class GraphNode {
  readonly outputs: readonly SymbolicTensor[];

  constructor(readonly layer: Layer, readonly inputs: readonly SymbolicTensor[], shapes: readonly SampleShape[], dtype: DType) {
    this.outputs = shapes.map((shape, index) => new SymbolicTensor([...shape], dtype, this, index));
  }

  /** The first (for most layers the only) output. */
  get output(): SymbolicTensor {
    return this.outputs[0];
  }
}

/** A placeholder with a sample shape (no batch dimension) and a dtype, but no values. */
export class SymbolicTensor {
  /** `index`: which of its node's outputs it is (0 but for layers with several, e.g. LSTM's states). */
  constructor(readonly shape: SampleShape, readonly dtype: DType, readonly node: GraphNode, readonly index = 0) {}

  /** The layer that made it (an InputLayer for a model input). */
  get layer(): Layer {
    return this.node.layer;
  }

  /**
   * Keras's name for the tensor: the layer's name, and for a layer's later outputs its index after
   * a '/' (which layer names cannot contain, so no other tensor has the name).
   */
  get name(): string {
    return this.index === 0 ? this.node.layer.name : `${this.node.layer.name}/${this.index}`;
  }
}

/** A new node of `layer` whose one output has `shape` and `dtype`. */
export function addNode(layer: Layer, inputs: readonly SymbolicTensor[], shape: SampleShape, dtype: DType): SymbolicTensor {
  return new GraphNode(layer, [...inputs], [shape], dtype).output;
}

/**
 * `layer` applied to symbolic `inputs`: builds the layer for their shapes (weights are made here,
 * as Keras does on a layer's first call) and records the node. A layer applied again reuses its
 * weights (a shared layer), so its inputs must have the shapes it was built for.
 */
export function connect(layer: Layer, inputs: readonly SymbolicTensor[]): readonly SymbolicTensor[] {
  const shapes = inputs.map((input) => input.shape);
  if (layer.inputShape && shapes.length === 1 && formatShape(layer.inputShape) !== formatShape(shapes[0])) {
    throw new ShapeError(`${layer.name}: the layer expects input ${formatShape(layer.inputShape)}, but is applied to ${inputs[0].name} of shape ${formatShape(shapes[0])}`);
  }
  layer.buildInputs(shapes);
  return new GraphNode(layer, [...inputs], layer.outputShapesFor(shapes), 'float32').outputs;
}
