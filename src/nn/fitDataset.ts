// TF.js's fitDataset / evaluateDataset, and Keras 3's fit(dataset): the epoch loop of training.ts
// fed by a stream (datasetBatches.ts) instead of slices of tensors in memory.
import { ValueError, formatValue } from '../errors';
import type { Tensor } from '../tensor';
import { forkGenerator, withGenerator } from '../ops/random';
import type { Element } from '../data/element';
import { tensorBatches } from './batchSource';
import type { CallbackHandlers, History, Logs } from './callbacks';
import type { TrainableModel } from './compiled';
import { assertInteger, checkShapes, checkValues } from './dataChecks';
import { isStream, streamBatches, type DataNames } from './datasetBatches';
import { evaluateLogs, runEpochs } from './training';

/** fitDataset's options, as TF.js names them; `Data` is what a validation pair holds. */
export interface FitDatasetOptions<Data = Tensor> {
  epochs?: number;
  /** Batches per epoch from one pass kept open across epochs; by default each epoch is one full pass. */
  batchesPerEpoch?: number;
  initialEpoch?: number;
  /** A dataset (one full pass, or validationBatches batches, after each epoch) or an [x, y] pair. */
  validationData?: AsyncIterable<Element> | [Data, Data];
  /** Batch size for a validation pair (default 32). */
  validationBatchSize?: number;
  /** Batches of a validation dataset evaluated after each epoch (default: all). */
  validationBatches?: number;
  verbose?: 0 | 1 | 2;
  callbacks?: CallbackHandlers | CallbackHandlers[];
}

export interface EvaluateDatasetOptions {
  /** Batches to evaluate (default: one full pass). */
  batches?: number;
}

const FIT_DATASET_OPTIONS = ['epochs', 'batchesPerEpoch', 'initialEpoch', 'validationData', 'validationBatchSize', 'validationBatches', 'verbose', 'callbacks'];
/** fit's in-memory options and why they do not apply to a stream. */
const TENSOR_ONLY_OPTIONS: Record<string, string> = {
  batchSize: 'batch the dataset instead (dataset.batch(n))',
  shuffle: 'shuffle the dataset instead (dataset.shuffle(bufferSize))',
  validationSplit: 'pass validationData (a dataset or an [x, y] pair) instead',
};

/**
 * fit(dataset, options): the second argument is the options, never labels (a dataset yields its
 * own), and no third is accepted.
 */
export function streamFitOptions<Data>(op: string, second: unknown, third: unknown): FitDatasetOptions<Data> {
  const isOptions = second === undefined || (typeof second === 'object' && second !== null && Object.getPrototypeOf(second) === Object.prototype);
  if (!isOptions || third !== undefined) {
    throw new ValueError(`${op}: x is a dataset, which yields the labels too; call ${op}(dataset, options) without y (got ${formatValue(isOptions ? third : second)} after the dataset)`);
  }
  return (second ?? {}) as FitDatasetOptions<Data>;
}

function checkOptions(op: string, options: object): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(TENSOR_ONLY_OPTIONS, key)) throw new ValueError(`${op}: ${key} does not apply to a dataset; ${TENSOR_ONLY_OPTIONS[key]}`);
    if (!FIT_DATASET_OPTIONS.includes(key)) throw new ValueError(`${op}: unknown option '${key}'; the options are ${FIT_DATASET_OPTIONS.join(', ')}`);
  }
}

/**
 * Trains on a stream. As fit, everything up to the generator fork runs synchronously at the call.
 * Each batch is checked before its step (a bad one throws naming its epoch and batch, after the
 * steps before it); `validationPair` is validationData already converted to arrays by the model.
 */
export async function fitStream(
  model: TrainableModel, op: string, stream: AsyncIterable<Element>, names: DataNames,
  options: FitDatasetOptions<unknown>, validationPair: [Tensor[], Tensor[]] | null,
): Promise<History> {
  const end = model.activity.begin('fit');
  try {
    if (!isStream(stream)) throw new ValueError(`${op}: expected a dataset (wg.data) or an async iterable, got ${formatValue(stream)}`);
    checkOptions(op, options);
    const { epochs = 1, batchesPerEpoch, initialEpoch = 0, verbose = 1, validationBatchSize = 32, validationBatches } = options;
    assertInteger(op, 'epochs', epochs, 0);
    assertInteger(op, 'initialEpoch', initialEpoch, 0);
    assertInteger(op, 'validationBatchSize', validationBatchSize, 1);
    if (batchesPerEpoch !== undefined) assertInteger(op, 'batchesPerEpoch', batchesPerEpoch, 1);
    if (validationBatches !== undefined) assertInteger(op, 'validationBatches', validationBatches, 1);
    if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new ValueError(`${op}: verbose must be 0, 1 or 2, got ${String(verbose)}`);
    const given = options.validationData;
    if (given !== undefined && !validationPair && !isStream(given)) throw new ValueError(`${op}: validationData must be a dataset or an [x, y] pair, got ${formatValue(given)}`);
    const training = model.compiled(op);
    if (validationPair) checkShapes(`${op} (validationData)`, model, training, validationPair[0], validationPair[1]);
    const generator = forkGenerator();
    if (validationPair) await checkValues(`${op} (validationData)`, model, training, validationPair[0], validationPair[1]);
    const source = streamBatches(op, stream, model, training, names, { limit: batchesPerEpoch, continuing: batchesPerEpoch !== undefined });
    const validation = validationPair ? tensorBatches(validationPair[0], validationPair[1], validationBatchSize, false)
      : isStream(given) ? streamBatches(`${op} (validationData)`, given, model, training, names, { limit: validationBatches, continuing: false }) : null;
    model.stopTraining = false;
    const callbacks = ([] as CallbackHandlers[]).concat(options.callbacks ?? []);
    return await runEpochs(model, training, source, validation, { epochs, initialEpoch, verbose }, callbacks, (fn) => withGenerator(generator, fn));
  } finally {
    end();
  }
}

/** Mean loss and metrics over one pass of a stream (or its first `batches` batches). */
export async function evaluateStream(model: TrainableModel, op: string, stream: AsyncIterable<Element>, names: DataNames, options: EvaluateDatasetOptions): Promise<Logs> {
  const end = model.activity.begin('evaluate');
  try {
    if (!isStream(stream)) throw new ValueError(`${op}: expected a dataset (wg.data) or an async iterable, got ${formatValue(stream)}`);
    const unknown = Object.keys(options).find((key) => key !== 'batches');
    if (unknown !== undefined) throw new ValueError(`${op}: unknown option '${unknown}'; the only option is batches`);
    if (options.batches !== undefined) assertInteger(op, 'batches', options.batches, 1);
    const training = model.compiled(op);
    return await evaluateLogs(op, model, training, streamBatches(op, stream, model, training, names, { limit: options.batches, continuing: false }));
  } finally {
    end();
  }
}
