// TransformerBlock: a pre-norm transformer layer built from the other layers.
import { ShapeError, ValueError } from '../../errors';
import { tidy } from '../../memory';
import type { Tensor } from '../../tensor';
import { add } from '../../ops/binary';
import { dropout } from '../../ops/dropout';
import { Layer, type CallOptions, type LayerArgs, type SampleShape, type WeightSpec } from '../layer';
import { checkBoolean, checkNumber, checkPositiveInteger } from './configChecks';
import { MultiHeadAttention } from './attention';
import { Dense } from './dense';
import { LayerNormalization } from './normalization';

export interface TransformerBlockArgs extends LayerArgs {
  numHeads: number;
  keyDim: number;
  /** Width of the hidden layer of the feed-forward MLP. */
  ffDim: number;
  /** Dropout rate on the attention and MLP outputs (before each residual add) during training. */
  dropout?: number;
  /** Causal self-attention, for language models. */
  causal?: boolean;
  /** Layer-norm epsilon (default 1e-5, as keras_hub's transformer layers). */
  epsilon?: number;
}

/**
 * Pre-norm transformer block on x [batch, T, dim]:
 *   h = x + Dropout(MultiHeadAttention(LayerNorm(x)))
 *   y = h + Dropout(Dense(dim)(geluTanh(Dense(ffDim)(LayerNorm(h)))))
 * Its weights are its sub-layers', named `<sublayer>/<weight>`: attention_norm/gamma,
 * attention/query/kernel, …, mlp_norm/beta, mlp_hidden/kernel, mlp_output/bias.
 */
export class TransformerBlock extends Layer {
  readonly className = 'TransformerBlock';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly ffDim: number;
  readonly dropout: number;
  readonly causal: boolean;
  readonly epsilon: number;
  private readonly attentionNorm: LayerNormalization;
  private readonly attention: MultiHeadAttention;
  private readonly mlpNorm: LayerNormalization;
  private readonly mlpHidden: Dense;
  private mlpOutput: Dense | null = null;

  constructor(args: TransformerBlockArgs) {
    super(args, 'transformer_block');
    this.numHeads = checkPositiveInteger('TransformerBlock', 'numHeads', args.numHeads);
    this.keyDim = checkPositiveInteger('TransformerBlock', 'keyDim', args.keyDim);
    this.ffDim = checkPositiveInteger('TransformerBlock', 'ffDim', args.ffDim);
    this.dropout = checkNumber('TransformerBlock', 'dropout', args.dropout, 0);
    this.causal = checkBoolean('TransformerBlock', 'causal', args.causal, false);
    this.epsilon = checkNumber('TransformerBlock', 'epsilon', args.epsilon, 1e-5);
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new ValueError(`TransformerBlock: dropout must be in [0, 1), got ${this.dropout}`);
    this.attentionNorm = new LayerNormalization({ name: 'attention_norm', epsilon: this.epsilon });
    this.attention = new MultiHeadAttention({ name: 'attention', numHeads: this.numHeads, keyDim: this.keyDim, causal: this.causal });
    this.mlpNorm = new LayerNormalization({ name: 'mlp_norm', epsilon: this.epsilon });
    // The tanh form, as GPT-2 and keras_hub's GPT2Backbone (gelu approximate=True); also what
    // every saved TransformerBlock was trained with.
    this.mlpHidden = new Dense(this.ffDim, { name: 'mlp_hidden', activation: 'geluTanh' });
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 2) throw new ShapeError(`${this.name}: TransformerBlock takes sequences [batch, T, dim], got [batch,${inputShape.join(',')}]`);
    return [...inputShape];
  }

  /** Each sub-layer with the input shape it sees (the output projection is made once the width is known). */
  private sublayers(inputShape: SampleShape): [Layer, SampleShape][] {
    if (!this.mlpOutput?.built && this.mlpOutput?.units !== inputShape[1]) this.mlpOutput = new Dense(inputShape[1], { name: 'mlp_output' });
    const hiddenShape = [inputShape[0], this.ffDim];
    return [[this.attentionNorm, inputShape], [this.attention, inputShape], [this.mlpNorm, inputShape], [this.mlpHidden, inputShape], [this.mlpOutput, hiddenShape]];
  }

  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    return this.sublayers(inputShape).flatMap(([layer, shape]) => layer.weightSpecs(shape).map((spec) => ({ ...spec, name: `${layer.name}/${spec.name}` })));
  }

  /** The sub-layers own the weights (their calls use them); the block lists the same tensors under prefixed names. */
  protected override createWeights(inputShape: SampleShape): void {
    for (const [layer, shape] of this.sublayers(inputShape)) {
      layer.build(shape);
      for (const [name, weight] of layer.weights) this.addWeight(`${layer.name}/${name}`, weight, weight.trainable);
    }
  }

  call(x: Tensor, options: CallOptions): Tensor {
    const rate = options.training ? this.dropout : 0;
    const residual = (input: Tensor, branch: Tensor): Tensor => add(input, rate > 0 ? dropout(branch, rate) : branch);
    return tidy(() => {
      const h = residual(x, this.attention.call(this.attentionNorm.call(x, options), options));
      const hidden = this.mlpHidden.call(this.mlpNorm.call(h, options), options);
      return residual(h, (this.mlpOutput as Dense).call(hidden, options));
    });
  }

  getConfig(): Record<string, unknown> {
    return { numHeads: this.numHeads, keyDim: this.keyDim, ffDim: this.ffDim, dropout: this.dropout, causal: this.causal, epsilon: this.epsilon };
  }

  override dispose(): void {
    super.dispose();
    for (const layer of [this.attentionNorm, this.attention, this.mlpNorm, this.mlpHidden, this.mlpOutput]) layer?.dispose();
    this.mlpOutput = null;
  }
}
