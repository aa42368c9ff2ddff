// Every layer class, and the registry that rebuilds a layer from its saved config.
import { ValueError, formatValue } from '../../errors';
import type { Layer, LayerConfig } from '../layer';
import { Activation } from './activation';
import { Dense } from './dense';
import { Dropout } from './dropout';
import { Flatten } from './flatten';
import { BatchNormalization, LayerNormalization } from './normalization';
import { Embedding, PositionalEmbedding } from './embedding';
import { MultiHeadAttention } from './attention';
import { TransformerBlock } from './transformer';
import { Conv2D } from './conv2d';
import { AveragePooling2D, MaxPooling2D } from './pooling';
import { Add, Concatenate, Multiply } from '../functional/merge';
import { InputLayer } from '../functional/inputLayer';
import { Permute, Reshape } from './reshaping';
import { LSTM } from './lstm';
import { GRU } from './gru';
import { GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D } from './globalPooling';
import { Conv1D } from './conv1d';
import { DepthwiseConv2D } from './depthwiseConv2d';
import { SeparableConv2D } from './separableConv2d';
import { UpSampling2D } from './upSampling2d';
import { ZeroPadding2D } from './zeroPadding2d';

export { Activation, Dense, Dropout, Flatten };
export { BatchNormalization, LayerNormalization, Embedding, PositionalEmbedding, MultiHeadAttention, TransformerBlock };
export { Conv2D, MaxPooling2D, AveragePooling2D };
export { Add, Multiply, Concatenate, InputLayer };
export { Reshape, Permute, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D };
export { LSTM, GRU };
export { Conv1D, DepthwiseConv2D, SeparableConv2D, UpSampling2D, ZeroPadding2D };
export { Layer } from '../layer';

type LayerFactory = (config: Record<string, unknown>) => Layer;

/** How to rebuild each layer class from `getConfig()` output plus name/inputShape. */
const factories = new Map<string, LayerFactory>([
  ['Dense', (c) => new Dense(c.units as number, c)],
  ['Activation', (c) => new Activation(c.activation as never, c)],
  ['Dropout', (c) => new Dropout(c.rate as number, c)],
  ['Flatten', (c) => new Flatten(c)],
  ['BatchNormalization', (c) => new BatchNormalization(c)],
  ['LayerNormalization', (c) => new LayerNormalization(c)],
  ['Embedding', (c) => new Embedding(c.inputDim as number, c.outputDim as number, c)],
  ['PositionalEmbedding', (c) => new PositionalEmbedding(c.maxLength as number, c.outputDim as number, c)],
  ['MultiHeadAttention', (c) => new MultiHeadAttention(c as never)],
  ['TransformerBlock', (c) => new TransformerBlock(c as never)],
  ['Conv2D', (c) => new Conv2D(c.filters as number, c as never)],
  ['MaxPooling2D', (c) => new MaxPooling2D(c)],
  ['AveragePooling2D', (c) => new AveragePooling2D(c)],
  ['Add', (c) => new Add(c)],
  ['Multiply', (c) => new Multiply(c)],
  ['Concatenate', (c) => new Concatenate(c)],
  ['InputLayer', (c) => new InputLayer(c as never)],
  ['Reshape', (c) => new Reshape(c.targetShape as number[], c)],
  ['Permute', (c) => new Permute(c.dims as number[], c)],
  ['GlobalAveragePooling2D', (c) => new GlobalAveragePooling2D(c)],
  ['GlobalMaxPooling2D', (c) => new GlobalMaxPooling2D(c)],
  ['GlobalAveragePooling1D', (c) => new GlobalAveragePooling1D(c)],
  ['LSTM', (c) => new LSTM(c.units as number, c)],
  ['GRU', (c) => new GRU(c.units as number, c)],
  ['Conv1D', (c) => new Conv1D(c.filters as number, c as never)],
  ['DepthwiseConv2D', (c) => new DepthwiseConv2D(c as never)],
  ['SeparableConv2D', (c) => new SeparableConv2D(c.filters as number, c as never)],
  ['UpSampling2D', (c) => new UpSampling2D(c)],
  ['ZeroPadding2D', (c) => new ZeroPadding2D(c)],
]);

/** Lets a user (or a later layer family) make its own layer class loadable. */
export function registerLayer(className: string, factory: LayerFactory): void {
  factories.set(className, factory);
}

/**
 * Rebuilds a layer from its saved config (creating no weights). A config key the layer does not
 * write back in its own config is one its constructor ignored (a typo, or a hostile '__proto__'),
 * so it is refused rather than silently dropped.
 */
export function deserializeLayer(config: LayerConfig): Layer {
  const factory = factories.get(config.className);
  if (!factory) throw new ValueError(`unknown layer class ${formatValue(config.className)}; known: ${[...factories.keys()].join(', ')}`);
  // Keras writes `trainable` into every layer's config; webgrad writes it for a frozen layer.
  const { trainable, ...options } = config.config;
  if (trainable !== undefined && typeof trainable !== 'boolean') throw new ValueError(`${config.className} has trainable ${formatValue(trainable)}, expected true or false`);
  const layer = factory(options);
  const known = Object.keys(layer.serialize().config);
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new ValueError(`${config.className} has no config option ${formatValue(unknown[0])}; it takes ${known.join(', ')}, trainable`);
  if (trainable === false) layer.trainable = false;
  return layer;
}
