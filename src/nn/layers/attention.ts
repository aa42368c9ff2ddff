// MultiHeadAttention as self-attention over a sequence, with Keras's weights (names, shapes, biases).
import { ShapeError, ValueError } from '../../errors';
import { tidy } from '../../memory';
import type { Tensor } from '../../tensor';
import { linear } from '../../ops/linear';
import { reshape, transpose } from '../../ops/movement';
import { scaledDotProductAttention } from '../../ops/attention';
import { getInitializer } from '../initializers';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';

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
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    this.causal = args.causal ?? false;
    this.dropout = args.dropout ?? 0;
    this.useBias = args.useBias ?? true;
    for (const [name, value] of [['numHeads', this.numHeads], ['keyDim', this.keyDim], ['valueDim', this.valueDim]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new ValueError(`MultiHeadAttention: ${name} must be a positive integer, got ${value}`);
    }
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new ValueError(`MultiHeadAttention: dropout must be in [0, 1), got ${this.dropout}`);
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 2) throw new ShapeError(`${this.name}: MultiHeadAttention takes sequences [batch, T, dim], got [batch,${inputShape.join(',')}]`);
    return [...inputShape];
  }

  protected override createWeights(inputShape: SampleShape): void {
    const dim = inputShape[1];
    const heads = this.numHeads;
    // Glorot over the matrix each kernel acts as ([dim, heads·depth] or [heads·valueDim, dim]).
    const kernel = (rows: number, columns: number, shape: number[]): Tensor =>
      tidy(() => reshape(getInitializer('glorotUniform')([rows, columns]), shape));
    const zeros = (shape: number[]): Tensor => getInitializer('zeros')(shape);
    for (const [name, depth] of [['query', this.keyDim], ['key', this.keyDim], ['value', this.valueDim]] as const) {
      this.addWeight(`${name}/kernel`, kernel(dim, heads * depth, [dim, heads, depth]));
      if (this.useBias) this.addWeight(`${name}/bias`, zeros([heads, depth]));
    }
    this.addWeight('attention_output/kernel', kernel(heads * this.valueDim, dim, [heads, this.valueDim, dim]));
    if (this.useBias) this.addWeight('attention_output/bias', zeros([dim]));
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
