// model.save({ includeOptimizer: true }) and its loading: Keras's compile config in the model JSON,
// the optimizer's state beside the weights (its step count in the JSON, each weight's slots in the
// safetensors file as optimizer/<weight>/<slot>), so a loaded model trains on exactly as the saved
// one would have.
import { ModelFormatError, ValueError, formatShape } from '../errors';
import { noGrad } from '../autograd/recorder';
import { tidy } from '../memory';
import { tensor } from '../ops/creation';
import { shapesEqual } from '../shape';
import type { Tensor } from '../tensor';
import { deserialize, serialize } from '../optim';
import { getLoss } from '../losses';
import { getMetric } from '../metrics';
import type { CompiledTraining } from './compiled';
import type { ModelBase } from './modelBase';
import { OPTIMIZER_PREFIX, type TrainingConfigJson } from '../io/trainingJson';
import type { NamedArray } from '../io/safetensors';

interface FileWeight { name: string; tensor: Tensor }

/**
 * The compile config and the optimizer's slots under their file names. A custom loss or metric
 * function is refused: a file can only name the built-in ones (Keras needs custom_objects).
 */
export function trainingState(training: CompiledTraining, weights: readonly FileWeight[]): { config: TrainingConfigJson; slots: FileWeight[] } {
  for (const output of training.outputs) {
    const custom = [output.loss, ...output.metrics].find(({ name, fn }) => !resolvesTo(name, fn, output.loss.name));
    if (custom !== undefined) {
      throw new ValueError(`save: output '${output.name}' was compiled with a custom function '${custom.name}', which a file cannot name; save without includeOptimizer, or compile with built-in losses and metrics`);
    }
  }
  const { optimizer, outputs } = training;
  const config: TrainingConfigJson = {
    optimizer: serialize(optimizer),
    loss: outputs.map((output) => output.loss.name),
    metrics: outputs.map((output) => output.metrics.map((metric) => metric.name)),
    lossWeights: outputs.map((output) => output.lossWeight),
    optimizerSteps: optimizer.appliedSteps,
  };
  const slots = weights.flatMap(({ name, tensor: weight }) => [...optimizer.slotsOf(weight)].map(([slot, value]) => ({ name: `${OPTIMIZER_PREFIX}${name}/${slot}`, tensor: value })));
  return { config, slots };
}

/** Whether `name` resolves, as compile resolves a loss or a metric (beside the loss `lossName`), to `fn` itself. */
function resolvesTo(name: string, fn: unknown, lossName: string): boolean {
  try {
    return getLoss(name).fn === fn || getMetric(name, lossName).fn === fn;
  } catch {
    return false;
  }
}

/**
 * Compiles a freshly loaded `model` with the saved settings and gives its optimizer the saved
 * state. Every slot array is checked (a weight of the model, a slot its optimizer keeps, the
 * weight's shape, float32) and uploaded before the state changes; any fault is a ModelFormatError.
 */
export function restoreTraining(model: ModelBase, config: TrainingConfigJson, arrays: readonly NamedArray[], weights: readonly FileWeight[]): void {
  try {
    model.compile({ optimizer: deserialize(config.optimizer), loss: config.loss, metrics: config.metrics, lossWeights: config.lossWeights });
    const optimizer = model.compiled('loadModel').optimizer;
    const byName = new Map(weights.map(({ name, tensor: weight }) => [name, weight]));
    const slotNames = optimizer.slotNames();
    const planned = arrays.map((array) => {
      const path = array.name.slice(OPTIMIZER_PREFIX.length);
      const cut = path.lastIndexOf('/');
      const param = byName.get(path.slice(0, cut));
      const slot = path.slice(cut + 1);
      if (!param || !slotNames.includes(slot)) throw new ValueError(`the file holds '${array.name}', but the model has no weight '${path.slice(0, cut)}' with a ${config.optimizer.className} slot '${slot}' (slots: ${slotNames.join(', ')})`);
      if (array.dtype !== 'F32' || !shapesEqual(array.shape, param.shape)) throw new ValueError(`'${array.name}' is ${formatShape(array.shape)} ${array.dtype}, but its weight is ${formatShape(param.shape)} F32`);
      return { param, name: slot, array };
    });
    const values = noGrad(() => tidy(() => planned.map(({ array }) => tensor(array.data, array.shape))));
    optimizer.restoreState(config.optimizerSteps, planned.map(({ param, name }, i) => ({ param, name, value: values[i] })));
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`loadModel: trainingConfig: ${(error as Error).message}`, { cause: error });
  }
}
