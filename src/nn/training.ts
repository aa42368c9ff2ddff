// The training loop behind fit / evaluate / predict / trainOnBatch. Everything per batch stays on
// the GPU: losses and metrics accumulate there (epochLogs.ts) and are read once per epoch, or once
// per hundred epochs when nothing (verbose output, a callback, validation) needs them sooner.
// Arguments are checked first (dataChecks.ts); a model runs one training call at a time (activity.ts).
// The epoch loop takes its batches from a BatchSource (batchSource.ts): slices of tensors here,
// a stream in fitDataset.ts.
import { ValueError } from '../errors';
import { Tape } from '../autograd/tape';
import { noGrad } from '../autograd/recorder';
import { keep, tidy } from '../memory';
import type { Tensor } from '../tensor';
import { add, div, mul } from '../ops/binary';
import { concat, reshape, slice } from '../ops/movement';
import { tensor } from '../ops/creation';
import { forkGenerator, withGenerator, type RandomGenerator } from '../ops/random';
import { batchRows } from './batches';
import { tensorBatches, type BatchSource } from './batchSource';
import { Callback, History, type CallbackHandlers, type Logs } from './callbacks';
import { assertInteger, assertSameSamples, checkShapes, checkValues, fitSettings, type FitOptions, type FitSettings } from './dataChecks';
import { disposePending, EpochAccumulator, formatEpochLine, readLogs, readPendingEpochs, toLogs, type PendingEpoch } from './epochLogs';
import { batchValues, logNames, type CompiledTraining, type TrainableModel } from './compiled';
import { compiledEvaluation, compiledPrediction, compiledTrainStep } from './compiledFunctions';
import { trainableFlagVersion } from './layer';
import { outputLoss } from './outputLogits';

export type { FitOptions } from './dataChecks';

export interface EvaluateOptions {
  batchSize?: number;
}

/** Epochs whose logs may wait on the GPU before being read, when nothing needs them sooner. */
const DEFERRED_EPOCHS = 100;
/** How long fit may run before yielding to the event loop: the page's, or a worker's (where worker.fit's stop requests arrive). */
const YIELD_INTERVAL_MS = 50;

/**
 * Keras's fit. Everything up to the generator fork runs synchronously at the call, so fits started
 * together (Promise.all) take their generators in call order and train exactly as they would one
 * after another: shuffles and dropout masks come from the fit's own generator, never from draws
 * that other code makes at the awaits in between. `forked`: a generator forked elsewhere instead
 * (worker.fit forks it on the page, so the fit in the worker draws what one on the page would).
 */
export async function fitModel(model: TrainableModel, x: Tensor[], y: Tensor[], options: FitOptions<Tensor[]>, forked?: RandomGenerator): Promise<History> {
  const end = model.activity.begin('fit');
  try {
    const settings = fitSettings(options);
    const training = model.compiled('fit');
    checkShapes('fit', model, training, x, y);
    const validationData = options.validationData;
    if (validationData) checkShapes('fit (validationData)', model, training, validationData[0], validationData[1]);
    const trainCount = validationData ? x[0].shape[0] : trainingCount(x[0].shape[0], settings.validationSplit);
    const generator = forked ?? forkGenerator();
    await Promise.all([
      checkValues('fit', model, training, x, y),
      validationData ? checkValues('fit (validationData)', model, training, validationData[0], validationData[1]) : null,
    ]);
    const { trainX, trainY, validation, owned } = splitValidation(x, y, validationData ?? null, trainCount);
    try {
      model.stopTraining = false;
      const validationBatches = validation && tensorBatches(validation[0], validation[1], settings.batchSize, false);
      return await runEpochs(model, training, tensorBatches(trainX, trainY, settings.batchSize, settings.shuffle), validationBatches, settings, ([] as CallbackHandlers[]).concat(options.callbacks ?? []), (fn) => withGenerator(generator, fn));
    } finally {
      owned.forEach((t) => t.dispose());
    }
  } finally {
    end();
  }
}

/**
 * The epoch loop shared by fit (batches sliced from tensors) and fitDataset (batches from a
 * stream): callbacks, logs accumulated on the GPU, validation after each epoch, History.
 */
export async function runEpochs(
  model: TrainableModel, training: CompiledTraining, source: BatchSource, validation: BatchSource | null,
  settings: Pick<FitSettings, 'epochs' | 'initialEpoch' | 'verbose'>, callbacks: CallbackHandlers[], seeded: <T>(fn: () => T) => T,
): Promise<History> {
  const { epochs, initialEpoch, verbose } = settings;
  for (const callback of callbacks) if (callback instanceof Callback) callback.setModel(model);
  const names = logNames(training);
  const needsBatchLogs = callbacks.some((c) => c.onBatchEnd);
  const needsEpochLogs = verbose > 0 || validation !== null || callbacks.some((c) => c.onEpochEnd);
  const history = new History();
  const pending: PendingEpoch[] = [];
  const stopTraining = (): boolean => model.stopTraining;
  let lastYield = performance.now();
  try {
    for (const callback of callbacks) await callback.onTrainBegin?.({});
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      for (const callback of callbacks) await callback.onEpochBegin?.(epoch, {});
      const batches = source.epoch(seeded);
      const accumulator = new EpochAccumulator();
      // The finally releases this epoch's scratch tensors also when a callback throws mid-epoch.
      try {
        for (let batch = 0; !model.stopTraining; batch++) {
          const pulled = batches.next();
          const item = pulled instanceof Promise ? await pulled : pulled;
          if (!item) break;
          let values: Tensor[];
          try {
            values = seeded(() => tidy(() => trainStep(model, training, ...item.arrays())));
          } finally {
            item.release();
          }
          accumulator.add(values, item.size);
          const batchLogs = needsBatchLogs ? await readLogs(names, values) : null;
          if (batchLogs) for (const callback of callbacks) await callback.onBatchEnd?.(batch, batchLogs);
          if (performance.now() - lastYield > YIELD_INTERVAL_MS) {
            await yieldToPage();
            lastYield = performance.now();
          }
        }
        // An epoch without batches (stopped before its first, or a stream run dry) ends training.
        if (accumulator.batches === 0) break;
        const validationValues = validation ? await evaluateOnGpu('fit (validation)', model, training, validation) : null;
        try {
          pending.push(accumulator.finish(epoch, validationValues ? [validationValues] : []));
        } catch (error) {
          validationValues?.dispose();
          throw error;
        }
      } finally {
        await batches.dispose();
        accumulator.dispose();
      }
      if (needsEpochLogs || pending.length >= DEFERRED_EPOCHS) {
        await readPendingEpochs(pending, names, validation !== null, history, stopTraining, async (epochIndex, logs) => {
          if (verbose > 0) console.log(formatEpochLine(epochIndex, epochs, logs));
          for (const callback of callbacks) await callback.onEpochEnd?.(epochIndex, logs);
        });
      }
    }
    await readPendingEpochs(pending, names, validation !== null, history, stopTraining, async () => {});
    const lastLogs = Object.fromEntries(Object.entries(history.history).map(([key, values]) => [key, values[values.length - 1]]));
    for (const callback of callbacks) await callback.onTrainEnd?.(lastLogs);
  } finally {
    pending.forEach(disposePending);
    await Promise.all([source.close(), validation?.close()]);
  }
  return history;
}

/**
 * One optimization step; returns the batch's loss and metric values as GPU scalars (the epoch's
 * means are taken from them at its end: EpochAccumulator). Compiled (see CompiledTraining.jit): one
 * program per batch shape, set of trainable weights (which it captures by reference) and state of
 * the layers' trainable flags, so freezing a layer between fits selects another program.
 */
function trainStep(model: TrainableModel, training: CompiledTraining, xb: Tensor[], yb: Tensor[]): Tensor[] {
  if (!training.jit) return eagerTrainStep(model, training, xb, yb);
  const step = compiledTrainStep(model, training, (xs, ys) => eagerTrainStep(model, training, xs, ys));
  return step(xb, yb, `${model.trainableWeights.map((weight) => weight.id).join(',')} flags@${trainableFlagVersion()}`);
}

function eagerTrainStep(model: TrainableModel, training: CompiledTraining, xb: Tensor[], yb: Tensor[]): Tensor[] {
  const params = model.trainableWeights;
  const tape = new Tape();
  const { total, losses, predictions } = tape.record(() => forwardLosses(model, training, xb, yb, true));
  const gradients = tape.gradient(total, params);
  return noGrad(() => {
    training.optimizer.applyGradients(params, gradients);
    return batchValues(training, yb, predictions, losses, total);
  });
}

/**
 * The predictions, each output's loss (from a softmax output's logits where outputLoss can), and
 * Keras's total loss: their sum weighted by lossWeights (1 when not given).
 */
function forwardLosses(model: TrainableModel, training: CompiledTraining, xb: Tensor[], yb: Tensor[], isTraining: boolean): {
  total: Tensor; losses: Tensor[]; predictions: Tensor[];
} {
  const predictions = model.applyAll(xb, { training: isTraining });
  const losses = training.outputs.map((output, i) => outputLoss(output.loss, yb[i], predictions[i]));
  const weighted = losses.map((loss, i) => (training.outputs[i].lossWeight === 1 ? loss : mul(loss, training.outputs[i].lossWeight)));
  const total = weighted.slice(1).reduce((sum, loss) => add(sum, loss), weighted[0]);
  return { total, losses, predictions };
}

/** setTimeout, not requestAnimationFrame: workers have it, and hidden pages still run it (if throttled). */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Mean loss and metrics over every batch of `source`, as one GPU tensor [loss, ...metrics]; nothing is read back. */
export async function evaluateOnGpu(op: string, model: TrainableModel, training: CompiledTraining, source: BatchSource): Promise<Tensor> {
  const batches = source.epoch((fn) => fn());
  // The running sums start from zeros (0 + x is x exactly), so every batch runs the same program.
  let sums = tensor(new Float32Array(logNames(training).length));
  let samples = 0;
  try {
    for (;;) {
      const pulled = batches.next();
      const item = pulled instanceof Promise ? await pulled : pulled;
      if (!item) break;
      const previous = sums;
      try {
        sums = keep(noGrad(() => tidy((): Tensor => {
          const [xb, yb] = item.arrays();
          return evaluateBatch(model, training, xb, yb, previous, item.size);
        })));
      } finally {
        item.release();
      }
      previous.dispose();
      samples += item.size;
    }
    if (samples === 0) throw new ValueError(`${op}: the data yielded no batches`);
    const total = sums;
    return noGrad(() => tidy(() => div(total, samples)));
  } finally {
    sums.dispose();
    await batches.dispose();
  }
}

/** `sums` plus one batch's [loss, ...metrics]·size, as one tensor; compiled like trainStep, the sum in the same program. */
function evaluateBatch(model: TrainableModel, training: CompiledTraining, xb: Tensor[], yb: Tensor[], sums: Tensor, size: number): Tensor {
  const evaluate = (xs: Tensor[], ys: Tensor[], previous: Tensor, batchSize: number): Tensor => {
    const { total, losses, predictions } = forwardLosses(model, training, xs, ys, false);
    const values = concat(batchValues(training, ys, predictions, losses, total).map((v) => reshape(v, [1])), 0);
    return add(previous, mul(values, batchSize));
  };
  return training.jit ? compiledEvaluation(model, training, evaluate)(xb, yb, sums, size) : evaluate(xb, yb, sums, size);
}

export async function evaluateModel(model: TrainableModel, x: Tensor[], y: Tensor[], options: EvaluateOptions): Promise<Logs> {
  const end = model.activity.begin('evaluate');
  try {
    const batchSize = options.batchSize ?? 32;
    assertInteger('evaluate', 'batchSize', batchSize, 1);
    const training = model.compiled('evaluate');
    checkShapes('evaluate', model, training, x, y);
    await checkValues('evaluate', model, training, x, y);
    return await evaluateLogs('evaluate', model, training, tensorBatches(x, y, batchSize, false));
  } finally {
    end();
  }
}

/** evaluateOnGpu read back as named logs. */
export async function evaluateLogs(op: string, model: TrainableModel, training: CompiledTraining, source: BatchSource): Promise<Logs> {
  const values = await evaluateOnGpu(op, model, training, source);
  try {
    return toLogs(logNames(training), await values.data());
  } finally {
    values.dispose();
  }
}

export interface PredictOptions {
  batchSize?: number;
  /**
   * Run each batch's forward pass as a compiled program (wg.jit), one per batch shape. Default:
   * compile's `jit` setting, or true for a model never compiled; false runs every op eagerly.
   */
  jit?: boolean;
}

/**
 * Inference in batches. Synchronous, so token ids are not read back here: an Embedding clamps an
 * out-of-range id to the nearest row (gather's GPU rule), where fit and evaluate refuse it.
 */
export function predictModel(model: TrainableModel, x: Tensor[], options: PredictOptions): Tensor[] {
  const { batchSize = 32, jit = model.compiledJit() } = options;
  assertInteger('predict', 'batchSize', batchSize, 1);
  if (typeof jit !== 'boolean') throw new ValueError(`predict: jit must be true or false, got ${String(jit)}`);
  model.assertInputs('predict', x);
  assertSameSamples('predict', x, 'x');
  const forward = jit ? compiledPrediction(model) : (xs: Tensor[]) => model.applyAll(xs, { training: false });
  return noGrad(() => tidy(() => {
    const samples = x[0].shape[0];
    if (samples <= batchSize) return forward(x);
    const batches: Tensor[][] = [];
    for (let start = 0; start < samples; start += batchSize) {
      const rows = x.map((array) => batchRows(array, start, Math.min(batchSize, samples - start), null));
      batches.push(forward(rows));
    }
    return batches[0].map((_, output) => concat(batches.map((outputs) => outputs[output]), 0));
  }));
}

/** One step on one batch; as fit, it forks its generator (for dropout) at the call, before any await. */
export async function trainOnBatch(model: TrainableModel, x: Tensor[], y: Tensor[]): Promise<Logs> {
  const end = model.activity.begin('trainOnBatch');
  try {
    const training = model.compiled('trainOnBatch');
    checkShapes('trainOnBatch', model, training, x, y);
    const generator = forkGenerator();
    await checkValues('trainOnBatch', model, training, x, y);
    const values = withGenerator(generator, () => tidy(() => trainStep(model, training, x, y)));
    try {
      return await readLogs(logNames(training), values);
    } finally {
      values.forEach((value) => value.dispose());
    }
  } finally {
    end();
  }
}

/** How many leading samples train when `split` of them (taken from the end, as Keras) validate. */
function trainingCount(samples: number, split: number): number {
  if (split === 0) return samples;
  const count = Math.floor(samples * (1 - split));
  if (count === 0 || count === samples) {
    throw new ValueError(`fit: validationSplit ${split} of ${samples} samples leaves an empty training or validation set`);
  }
  return count;
}

/** The training rows and the validation pair; `owned` are copies fit must dispose. */
function splitValidation(x: Tensor[], y: Tensor[], validationData: [Tensor[], Tensor[]] | null, trainCount: number): {
  trainX: Tensor[]; trainY: Tensor[]; validation: [Tensor[], Tensor[]] | null; owned: Tensor[];
} {
  if (validationData) return { trainX: x, trainY: y, validation: validationData, owned: [] };
  const samples = x[0].shape[0];
  if (trainCount === samples) return { trainX: x, trainY: y, validation: null, owned: [] };
  const rows = (t: Tensor, start: number, count: number): Tensor => keep(slice(t, [start, ...t.shape.slice(1).map(() => 0)], [count, ...t.shape.slice(1).map(() => -1)]));
  const part = (arrays: Tensor[], start: number, count: number): Tensor[] => arrays.map((t) => rows(t, start, count));
  const trainX = part(x, 0, trainCount);
  const trainY = part(y, 0, trainCount);
  const validation: [Tensor[], Tensor[]] = [part(x, trainCount, samples - trainCount), part(y, trainCount, samples - trainCount)];
  return { trainX, trainY, validation, owned: [...trainX, ...trainY, ...validation[0], ...validation[1]] };
}
