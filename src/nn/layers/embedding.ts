// Embedding (token id → learned vector) and PositionalEmbedding (learned position vectors added).
import { ShapeError, ValueError, formatShape } from '../../errors';
import { tidy } from '../../memory';
import type { Tensor } from '../../tensor';
import { add } from '../../ops/binary';
import { gather } from '../../ops/indexing';
import { slice } from '../../ops/movement';
import { rand } from '../../ops/random';
import { getInitializer, type Initializer, type InitializerName } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkInitializer, checkPositiveInteger } from './configChecks';

/** Keras's Embedding default, 'uniform': U(−0.05, 0.05). */
const uniformEmbedding: Initializer = (shape) => rand(shape, -0.05, 0.05);

export interface EmbeddingArgs extends LayerArgs {
  /** Default: U(−0.05, 0.05) as Keras. */
  embeddingsInitializer?: InitializerName | Initializer;
}

/**
 * Looks up a learned vector per integer id: int32 ids of any shape (typically [batch, T]) give
 * [..., outputDim] float32. fit, evaluate and trainOnBatch read the ids first and refuse any
 * outside [0, inputDim) with a ValueError naming it (as Keras does on the CPU); predict and apply
 * are synchronous and read nothing back, so there an out-of-range id is clamped to the nearest
 * row (gather's GPU rule). Weight: embeddings [inputDim, outputDim]; gradients of repeated ids add up.
 */
export class Embedding extends Layer {
  readonly className = 'Embedding';
  private readonly initializer: InitializerName | Initializer;

  constructor(readonly inputDim: number, readonly outputDim: number, args: EmbeddingArgs = {}) {
    super(args, 'embedding');
    checkPositiveInteger('Embedding', 'inputDim', inputDim);
    checkPositiveInteger('Embedding', 'outputDim', outputDim);
    this.initializer = checkInitializer('Embedding', 'embeddingsInitializer', args.embeddingsInitializer, uniformEmbedding);
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return [...inputShape, this.outputDim];
  }

  override weightSpecs(_inputShape: SampleShape): WeightSpec[] {
    return [{ name: 'embeddings', shape: [this.inputDim, this.outputDim], initializer: getInitializer(this.initializer), trainable: true }];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    if (x.dtype !== 'int32') throw new ValueError(`${this.name}: Embedding takes int32 token ids, got ${x.dtype} ${formatShape(x.shape)}; cast them first`);
    return gather(this.weights.get('embeddings') as Tensor, x, 0);
  }

  getConfig(): Record<string, unknown> {
    return {
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      ...(typeof this.initializer === 'string' ? { embeddingsInitializer: this.initializer } : {}),
    };
  }
}

/**
 * Adds a learned vector per position to a sequence of embeddings: x [batch, T, outputDim] →
 * x + positions[0..T) (T ≤ maxLength; shorter sequences use the first T rows). The weight,
 * embeddings [maxLength, outputDim], is glorot-uniform initialised as keras_hub's
 * PositionEmbedding. Unlike that layer (which returns only the position vectors, for the caller to
 * add), the sum is returned, so it stacks after Embedding in a Sequential.
 */
export class PositionalEmbedding extends Layer {
  readonly className = 'PositionalEmbedding';

  constructor(readonly maxLength: number, readonly outputDim: number, args: LayerArgs = {}) {
    super(args, 'positional_embedding');
    checkPositiveInteger('PositionalEmbedding', 'maxLength', maxLength);
    checkPositiveInteger('PositionalEmbedding', 'outputDim', outputDim);
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 2 || inputShape[0] > this.maxLength || inputShape[1] !== this.outputDim) {
      throw new ShapeError(`${this.name}: expected inputs [batch, T ≤ ${this.maxLength}, ${this.outputDim}], got [batch,${inputShape.join(',')}]`);
    }
    return [...inputShape];
  }

  override weightSpecs(_inputShape: SampleShape): WeightSpec[] {
    return [{ name: 'embeddings', shape: [this.maxLength, this.outputDim], initializer: getInitializer('glorotUniform'), trainable: true }];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.computeOutputShape(x.shape.slice(1));
    const positions = this.weights.get('embeddings') as Tensor;
    const length = x.shape[1];
    return tidy(() => add(x, length === this.maxLength ? positions : slice(positions, [0, 0], [length, this.outputDim])));
  }

  getConfig(): Record<string, unknown> {
    return { maxLength: this.maxLength, outputDim: this.outputDim };
  }
}
