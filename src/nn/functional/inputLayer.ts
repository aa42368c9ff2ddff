// InputLayer and wg.input(): a model input, a layer with no weights whose node has no inputs.
import { ValueError, formatValue } from '../../errors';
import type { DType, Tensor } from '../../tensor';
import { Layer, type CallOptions, type SampleShape } from '../layer';
import { addNode, type SymbolicTensor } from './symbolic';

export interface InputArgs {
  /** The sample shape, without the batch dimension. */
  shape: SampleShape;
  name?: string;
  dtype?: DType;
}

export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  readonly shape: number[];
  readonly dtype: DType;

  constructor(args: InputArgs) {
    super({ name: args.name }, 'input_layer');
    const { shape, dtype = 'float32' } = args as { shape?: unknown; dtype?: unknown };
    if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim > 0)) {
      throw new ValueError(`input: shape must be an array of positive integers (without the batch dimension), got ${formatValue(shape)}`);
    }
    if (dtype !== 'float32' && dtype !== 'int32') throw new ValueError(`input: dtype must be 'float32' or 'int32', got ${formatValue(dtype)}`);
    this.shape = [...shape as number[]];
    this.dtype = dtype;
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return [...inputShape];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    return x;
  }

  getConfig(): Record<string, unknown> {
    return { shape: [...this.shape], dtype: this.dtype };
  }
}

/** Keras's `Input(shape)`: a symbolic tensor to apply layers to, then pass to wg.model({ inputs }). */
export function input(args: InputArgs): SymbolicTensor {
  const layer = new InputLayer(args);
  return addNode(layer, [], layer.shape, layer.dtype);
}
