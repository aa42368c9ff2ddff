// Every layer class, and the registry that rebuilds a layer from its saved config.
import { ValueError } from '../../errors';
import type { Layer, LayerConfig } from '../layer';
import { Activation } from './activation';
import { Dense } from './dense';
import { Dropout } from './dropout';
import { Flatten } from './flatten';

export { Activation, Dense, Dropout, Flatten };

type LayerFactory = (config: Record<string, unknown>) => Layer;

/** How to rebuild each layer class from `getConfig()` output plus name/inputShape. */
const factories = new Map<string, LayerFactory>([
  ['Dense', (c) => new Dense(c.units as number, c)],
  ['Activation', (c) => new Activation(c.activation as never, c)],
  ['Dropout', (c) => new Dropout(c.rate as number, c)],
  ['Flatten', (c) => new Flatten(c)],
]);

/** Lets a user (or a later layer family) make its own layer class loadable. */
export function registerLayer(className: string, factory: LayerFactory): void {
  factories.set(className, factory);
}

export function deserializeLayer(config: LayerConfig): Layer {
  const factory = factories.get(config.className);
  if (!factory) throw new ValueError(`loadModel: unknown layer class '${config.className}'; known: ${[...factories.keys()].join(', ')}`);
  return factory(config.config);
}
