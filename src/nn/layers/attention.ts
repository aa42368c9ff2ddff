// MultiHeadAttention as self-attention over a sequence, with Keras's weights (names, shapes, biases).
import { ShapeError, ValueError } from '../../errors';
import { tidy } from '../../memory';
import type { Tensor } from '../../tensor';
import { linear } from '../../ops/linear';
import { reshape, transpose } from '../../ops/movement';
import { scaledDotProductAttention } from '../../ops/attention';
import { getInitializer } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkBoolean, checkNumber, checkPositiveInteger } from './configChecks';

export interface MultiHeadAttentionArgs extends LayerArgs {
  numHeads: number;
  /** Size of each head's query and key vectors. */
  keyDim: number;
  /** Size of each head's value vectors (default keyDim). */
  valueDim?: number;
  /** Each position attends only to itself and earlier ones (Keras's use_causal_mask). */
  causal?: boolean;
  /** Dropout rate on the attention weights during training (default 0). */
  dropout?: number;
  useBias?: boolean;
}

/**
 * Self-attention on x [batch, T, dim] → [batch, T, dim]: per head h, q = x·Wq[h] + bq[h] (and k, v
 * alike), softmax(q·kᵀ/√keyDim)·v, then the heads concatenated and projected back to dim.
 * Weights as Keras's MultiHeadAttention: query/key/value kernels [dim, heads, keyDim|valueDim] with
 * biases [heads, keyDim|valueDim], attention_output kernel [heads, valueDim, dim] and bias [dim].
 */
export class MultiHeadAttention extends Layer {
  readonly className = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly causal: boolean;
  readonly dropout: number;
  readonly useBias: boolean;

  constructor(args: MultiHeadAttentionArgs) {
    super(args, 'multi_head_attention');
    this.numHeads = checkPositiveInteger('MultiHeadAttention', 'numHeads', args.numHeads);
    this.keyDim = checkPositiveInteger('MultiHeadAttention', 'keyDim', args.keyDim);
    this.valueDim = checkPositiveInteger('MultiHeadAttention', 'valueDim', args.valueDim ?? args.keyDim);
    this.causal = checkBoolean('MultiHeadAttention', 'causal', args.causal, false);
    this.dropout = checkNumber('MultiHeadAttention', 'dropout', args.dropout, 0);
    this.useBias = checkBoolean('MultiHeadAttention', 'useBias', args.useBias, true);
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new ValueError(`MultiHeadAttention: dropout must be in [0, 1), got ${this.dropout}`);
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 2) throw new ShapeError(`${this.name}: MultiHeadAttention takes sequences [batch, T, dim], got [batch,${inputShape.join(',')}]`);
    return [...inputShape];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    const dim = inputShape[1];
    const heads = this.numHeads;
    // Glorot over the matrix each kernel acts as ([dim, heads·depth] or [heads·valueDim, dim]).
    const kernel = (name: string, rows: number, columns: number, shape: number[]): WeightSpec => ({
      name, shape, trainable: true, initializer: (s) => tidy(() => reshape(getInitializer('glorotUniform')([rows, columns]), s)),
    });
    const bias = (name: string, shape: number[]): WeightSpec[] => (this.useBias ? [{ name, shape, initializer: getInitializer('zeros'), trainable: true }] : []);
    const specs: WeightSpec[] = [];
    for (const [name, depth] of [['query', this.keyDim], ['key', this.keyDim], ['value', this.valueDim]] as const) {
      specs.push(kernel(`${name}/kernel`, dim, heads * depth, [dim, heads, depth]), ...bias(`${name}/bias`, [heads, depth]));
    }
    specs.push(kernel('attention_output/kernel', heads * this.valueDim, dim, [heads, this.valueDim, dim]), ...bias('attention_output/bias', [dim]));
    return specs;
  }

  call(x: Tensor, options: CallOptions): Tensor {
    const [batch, length, dim] = x.shape;
    const heads = this.numHeads;
    return tidy(() => {
      const rows = reshape(x, [batch * length, dim]);
      /** [batch·T, dim] → [batch, heads, T, depth] through the named projection. */
      const project = (name: string, depth: number): Tensor => {
        const bias = this.weights.get(`${name}/bias`);
        const y = linear(rows, reshape(this.weights.get(`${name}/kernel`) as Tensor, [dim, heads * depth]), bias ? reshape(bias, [heads * depth]) : null);
        return transpose(reshape(y, [batch, length, heads, depth]), [0, 2, 1, 3]);
      };
      const attended = scaledDotProductAttention(project('query', this.keyDim), project('key', this.keyDim), project('value', this.valueDim), {
        causal: this.causal,
        dropout: options.training ? this.dropout : 0,
      });
      const merged = reshape(transpose(attended, [0, 2, 1, 3]), [batch * length, heads * this.valueDim]);
      const out = linear(merged, reshape(this.weights.get('attention_output/kernel') as Tensor, [heads * this.valueDim, dim]), this.weights.get('attention_output/bias') ?? null);
      return reshape(out, [batch, length, dim]);
    });
  }

  getConfig(): Record<string, unknown> {
    return { numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim, causal: this.causal, dropout: this.dropout, useBias: this.useBias };
  }
}
