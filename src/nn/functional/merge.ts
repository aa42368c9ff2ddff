// Merge layers (Keras's Add, Multiply, Concatenate): no weights, several inputs, one output. They
// take a list (`layer.apply([a, b])`); applied to a single tensor they refuse, as Keras does.
import { ShapeError, ValueError, formatShape } from '../../errors';
import type { Tensor } from '../../tensor';
import { broadcastShapes } from '../../shape';
import { add, mul } from '../../ops/binary';
import { concat } from '../../ops/movement';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';

abstract class Merge extends Layer {
  /** The output sample shape for at least two input sample shapes (each already checked as a list). */
  protected abstract mergedShape(inputShapes: readonly SampleShape[]): number[];
  protected abstract merge(inputs: readonly Tensor[]): Tensor;

  computeOutputShape(inputShape: SampleShape): number[] {
    throw this.notAList(`one of shape ${formatShape(inputShape)}`);
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    throw this.notAList(`one tensor ${formatShape(x.shape)}`);
  }

  private notAList(got: string): ValueError {
    return new ValueError(`${this.name}: a ${this.className} layer takes a list of at least 2 inputs, got ${got}`);
  }

  override computeOutputShapes(inputShapes: readonly SampleShape[]): number[] {
    if (inputShapes.length < 2) throw this.notAList(String(inputShapes.length));
    return this.mergedShape(inputShapes);
  }

  /** No weights: building only checks the shapes. */
  override buildInputs(inputShapes: readonly SampleShape[]): void {
    this.computeOutputShapes(inputShapes);
  }

  override callInputs(inputs: readonly Tensor[], _options: CallOptions): Tensor {
    this.computeOutputShapes(inputs.map((t) => t.shape.slice(1)));
    return this.merge(inputs);
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}

/** Elementwise merges: sample shapes of one rank, broadcast where a dimension is 1. */
abstract class Elementwise extends Merge {
  protected mergedShape(inputShapes: readonly SampleShape[]): number[] {
    const rank = inputShapes[0].length;
    const different = inputShapes.find((shape) => shape.length !== rank);
    if (different) throw new ShapeError(`${this.name}: ${this.className} inputs must have one rank, got ${inputShapes.map(formatShape).join(' and ')}`);
    return inputShapes.slice(1).reduce<number[]>((shape, next) => broadcastShapes(this.name, shape, next), [...inputShapes[0]]);
  }
}

export class Add extends Elementwise {
  readonly className = 'Add';

  constructor(args: LayerArgs = {}) {
    super(args, 'add');
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    return inputs.slice(1).reduce((sum, x) => add(sum, x), inputs[0]);
  }
}

export class Multiply extends Elementwise {
  readonly className = 'Multiply';

  constructor(args: LayerArgs = {}) {
    super(args, 'multiply');
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    return inputs.slice(1).reduce((product, x) => mul(product, x), inputs[0]);
  }
}

export interface ConcatenateArgs extends LayerArgs {
  /** The axis counted with the batch dimension (Keras's default -1, the last); the batch axis 0 is refused. */
  axis?: number;
}

export class Concatenate extends Merge {
  readonly className = 'Concatenate';
  readonly axis: number;

  constructor(args: ConcatenateArgs = {}) {
    super(args, 'concatenate');
    const { axis = -1 } = args as { axis?: unknown };
    if (!Number.isInteger(axis)) throw new ValueError(`Concatenate: axis must be an integer, got ${String(axis)}`);
    this.axis = axis as number;
  }

  protected mergedShape(inputShapes: readonly SampleShape[]): number[] {
    const rank = inputShapes[0].length + 1;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    const shown = inputShapes.map((shape) => `(None, ${shape.join(', ')})`).join(', ');
    if (axis < 1 || axis >= rank || inputShapes.some((shape) => shape.length + 1 !== rank)) {
      throw new ShapeError(`${this.name}: Concatenate on axis ${this.axis} needs inputs of one rank with that axis past the batch axis, got ${shown}`);
    }
    const sampleAxis = axis - 1;
    const mismatch = inputShapes.some((shape) => shape.some((dim, i) => i !== sampleAxis && dim !== inputShapes[0][i]));
    if (mismatch) throw new ShapeError(`${this.name}: Concatenate on axis ${this.axis} needs inputs matching on every other axis, got ${shown}`);
    const out = [...inputShapes[0]];
    out[sampleAxis] = inputShapes.reduce((total, shape) => total + shape[sampleAxis], 0);
    return out;
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    const rank = inputs[0].rank;
    return concat([...inputs], this.axis < 0 ? this.axis + rank : this.axis);
  }

  override getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}
