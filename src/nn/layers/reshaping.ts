// Reshape and Permute: Keras's layers that move a sample's elements without computing (no weights).
// Both act on the sample shape; the batch axis stays first.
import { ShapeError, ValueError, formatShape, formatValue } from '../../errors';
import type { Tensor } from '../../tensor';
import { reshape, transpose } from '../../ops/movement';
import { sizeOf } from '../../shape';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';

export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: number[];

  /** `targetShape` without the batch dimension; one entry may be -1 (inferred from the sample size). */
  constructor(targetShape: readonly number[], args: LayerArgs = {}) {
    super(args, 'reshape');
    const valid = Array.isArray(targetShape) && targetShape.every((dim) => Number.isSafeInteger(dim) && (dim > 0 || dim === -1))
      && targetShape.filter((dim) => dim === -1).length <= 1;
    if (!valid) throw new ValueError(`Reshape: targetShape must be positive integers with at most one -1, got ${formatValue(targetShape)}`);
    this.targetShape = [...targetShape];
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    const size = sizeOf(inputShape);
    const known = sizeOf(this.targetShape.filter((dim) => dim !== -1));
    const inferred = this.targetShape.includes(-1) ? size / known : known === size ? 1 : NaN;
    if (!Number.isInteger(inferred)) {
      throw new ShapeError(`${this.name}: cannot reshape samples ${formatShape(inputShape)} (${size} elements) to ${formatShape(this.targetShape)}`);
    }
    return this.targetShape.map((dim) => (dim === -1 ? inferred : dim));
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    return reshape(x, [x.shape[0], ...this.computeOutputShape(x.shape.slice(1))]);
  }

  getConfig(): Record<string, unknown> {
    return { targetShape: [...this.targetShape] };
  }
}

export class Permute extends Layer {
  readonly className = 'Permute';
  readonly dims: number[];

  /** `dims`: a permutation of 1..rank of the sample axes (1-indexed, the batch axis 0 excluded), as Keras. */
  constructor(dims: readonly number[], args: LayerArgs = {}) {
    super(args, 'permute');
    const valid = Array.isArray(dims) && dims.length > 0 && [...dims].sort((a, b) => a - b).every((dim, i) => dim === i + 1);
    if (!valid) throw new ValueError(`Permute: dims must be a permutation of 1..n (sample axes, 1-indexed), got ${formatValue(dims)}`);
    this.dims = [...dims];
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== this.dims.length) {
      throw new ShapeError(`${this.name}: dims [${this.dims.join(',')}] permute ${this.dims.length} sample axes, got samples ${formatShape(inputShape)}`);
    }
    return this.dims.map((dim) => inputShape[dim - 1]);
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.computeOutputShape(x.shape.slice(1));
    return transpose(x, [0, ...this.dims]);
  }

  getConfig(): Record<string, unknown> {
    return { dims: [...this.dims] };
  }
}
