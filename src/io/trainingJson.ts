// The compile settings a model file may carry (model.save({ includeOptimizer: true }), Keras's
// compile config): the optimizer's config, a loss, metrics and a loss weight per output, and how
// many steps the optimizer has taken. Checked for types here; the names and values are checked
// when the loader compiles with them.
import { ModelFormatError, formatValue } from '../errors';
import { isPlainObject } from './safetensors';

export interface TrainingConfigJson {
  optimizer: { className: string; config: Record<string, unknown> };
  /** One per output, in output order (Keras's names: 'mse', 'binary_crossentropy', ...). */
  loss: string[];
  metrics: string[][];
  lossWeights: number[];
  /** applyGradients calls so far: the step schedules and bias corrections continue from. */
  optimizerSteps: number;
}

/** The prefix of the optimizer's slot arrays in the weights file: optimizer/<weight>/<slot>. */
export const OPTIMIZER_PREFIX = 'optimizer/';

const KEYS = ['optimizer', 'loss', 'metrics', 'lossWeights', 'optimizerSteps'];

/** `value` as a TrainingConfigJson, or a ModelFormatError naming the first field at fault. */
export function checkTrainingConfig(value: unknown): TrainingConfigJson {
  const fail = (problem: string) => new ModelFormatError(`loadModel: model JSON has trainingConfig ${problem}`);
  if (!isPlainObject(value)) throw fail(`${formatValue(value)}, expected an object`);
  const unknown = Object.keys(value).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) throw fail(`with unknown field ${formatValue(unknown)}; expected ${KEYS.join(', ')}`);
  const missing = KEYS.find((key) => !Object.hasOwn(value, key));
  if (missing !== undefined) throw fail(`without its field '${missing}'`);
  const { optimizer, loss, metrics, lossWeights, optimizerSteps } = value;
  if (!isPlainObject(optimizer) || typeof optimizer.className !== 'string' || !isPlainObject(optimizer.config)) throw fail(`optimizer ${formatValue(optimizer)}, expected { className, config }`);
  if (!Array.isArray(loss) || !loss.every((item) => typeof item === 'string')) throw fail(`loss ${formatValue(loss)}, expected a list of loss names`);
  if (!Array.isArray(metrics) || !metrics.every((list) => Array.isArray(list) && list.every((item) => typeof item === 'string'))) throw fail(`metrics ${formatValue(metrics)}, expected a list of metric-name lists`);
  if (!Array.isArray(lossWeights) || !lossWeights.every((item) => Number.isFinite(item))) throw fail(`lossWeights ${formatValue(lossWeights)}, expected a list of finite numbers`);
  if (!Number.isSafeInteger(optimizerSteps) || (optimizerSteps as number) < 0) throw fail(`optimizerSteps ${formatValue(optimizerSteps)}, expected a non-negative integer`);
  return value as unknown as TrainingConfigJson;
}
