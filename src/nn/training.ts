// The training loop behind fit / evaluate / predict / trainOnBatch. Everything per batch stays on
// the GPU: losses and metrics accumulate there and are read once per epoch, or once per hundred
// epochs when nothing (verbose output, a callback, validation) needs them sooner.
import { NonFiniteLossError, ShapeError, ValueError, formatShape } from '../errors';
import { Tape } from '../autograd/tape';
import { noGrad } from '../autograd/recorder';
import { keep, tidy } from '../memory';
import type { Tensor } from '../tensor';
import { shapesEqual } from '../shape';
import { add, div, mul } from '../ops/binary';
import { concat, reshape, slice } from '../ops/movement';
import { max, min } from '../ops/reduce';
import { batchRows, numBatches, shuffledOrder } from './batches';
import { Callback, History, type CallbackHandlers, type Logs } from './callbacks';
import type { CompiledTraining, Sequential } from './sequential';

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  validationData?: [Tensor, Tensor];
  initialEpoch?: number;
  /** 0 silent, 1 or 2 one console line per epoch. */
  verbose?: 0 | 1 | 2;
  callbacks?: CallbackHandlers | CallbackHandlers[];
}

export interface EvaluateOptions {
  batchSize?: number;
}

/** Epochs whose logs may wait on the GPU before being read, when nothing needs them sooner. */
const DEFERRED_EPOCHS = 100;
/** How long fit may run before yielding to the page's event loop. */
const YIELD_INTERVAL_MS = 50;

export async function fitModel(model: Sequential, x: Tensor, y: Tensor, options: FitOptions): Promise<History> {
  const training = model.compiled('fit');
  await validateData('fit', model, training, x, y);
  const { epochs = 1, batchSize = 32, shuffle = true, initialEpoch = 0, verbose = 1 } = options;
  assertPositiveInteger('fit', 'batchSize', batchSize);
  if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`fit: epochs must be a non-negative integer, got ${epochs}`);
  const { trainX, trainY, validation, ownedSplits } = await splitValidation(model, training, x, y, options);
  const callbacks = ([] as CallbackHandlers[]).concat(options.callbacks ?? []);
  for (const callback of callbacks) if (callback instanceof Callback) callback.setModel(model);
  const names = logNames(training);
  const needsBatchLogs = callbacks.some((c) => c.onBatchEnd);
  const needsEpochLogs = verbose > 0 || validation !== null || callbacks.some((c) => c.onEpochEnd);
  const history = new History();
  const pending: PendingEpoch[] = [];
  const samples = trainX.shape[0];
  const batches = numBatches(samples, batchSize);
  let lastYield = performance.now();
  model.stopTraining = false;
  try {
    for (const callback of callbacks) await callback.onTrainBegin?.({});
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      for (const callback of callbacks) await callback.onEpochBegin?.(epoch, {});
      const order = shuffle && batches > 1 ? shuffledOrder(samples) : null;
      let sums: Tensor[] | null = null;
      const batchLosses: Tensor[] = [];
      let seen = 0;
      let epochValues: Tensor;
      // The finally releases this epoch's scratch tensors also when a callback throws mid-epoch.
      try {
        for (let batch = 0; batch < batches && !model.stopTraining; batch++) {
          const start = batch * batchSize;
          const size = Math.min(batchSize, samples - start);
          const values = tidy(() => trainStep(model, training, batchRows(trainX, start, size, order), batchRows(trainY, start, size, order)));
          seen += size;
          const batchLogs = needsBatchLogs ? await readLogs(names, values) : null;
          batchLosses.push(values[0]);
          if (batches === 1) {
            // One batch per epoch (the full-batch case): its values are the epoch's means.
            sums = values;
          } else {
            const previous: Tensor[] | null = sums;
            sums = tidy(() => values.map((value, i) => add(previous ? previous[i] : 0, mul(value, size))));
            previous?.forEach((t) => t.dispose());
            values.slice(1).forEach((t) => t.dispose());
          }
          if (batchLogs) for (const callback of callbacks) await callback.onBatchEnd?.(batch, batchLogs);
          if (performance.now() - lastYield > YIELD_INTERVAL_MS) {
            await yieldToPage();
            lastYield = performance.now();
          }
        }
        epochValues = keep(tidy(() => {
          const means = (sums ?? []).map((total) => reshape(batches === 1 ? total : div(total, Math.max(seen, 1)), [1]));
          const validationMeans = validation ? [evaluateOnGpu(model, training, validation[0], validation[1], batchSize)] : [];
          return concat([...means, ...validationMeans, ...batchLosses.map((loss) => reshape(loss, [1]))], 0);
        }));
      } finally {
        order?.dispose();
        sums?.forEach((t) => t.dispose());
        batchLosses.forEach((t) => t.dispose());
      }
      pending.push({ epoch, values: epochValues, batches: batchLosses.length });
      if (needsEpochLogs || pending.length >= DEFERRED_EPOCHS) {
        await readPendingEpochs(pending, names, validation !== null, history, model, async (epochIndex, logs) => {
          if (verbose > 0) console.log(formatEpochLine(epochIndex, epochs, logs));
          for (const callback of callbacks) await callback.onEpochEnd?.(epochIndex, logs);
        });
      }
    }
    await readPendingEpochs(pending, names, validation !== null, history, model, async () => {});
    const lastLogs = Object.fromEntries(Object.entries(history.history).map(([key, values]) => [key, values[values.length - 1]]));
    for (const callback of callbacks) await callback.onTrainEnd?.(lastLogs);
  } finally {
    pending.forEach((entry) => entry.values.dispose());
    ownedSplits.forEach((t) => t.dispose());
  }
  return history;
}

/** One optimization step; returns the batch's loss and metric values as GPU scalars. */
function trainStep(model: Sequential, training: CompiledTraining, xb: Tensor, yb: Tensor): Tensor[] {
  const params = model.trainableWeights;
  const tape = new Tape();
  const { loss, prediction } = tape.record(() => {
    const prediction = model.apply(xb, { training: true });
    return { loss: training.loss.fn(yb, prediction), prediction };
  });
  const gradients = tape.gradient(loss, params);
  return noGrad(() => {
    training.optimizer.applyGradients(params, gradients);
    return [loss, ...training.metrics.map((metric) => metric.fn(yb, prediction))];
  });
}

interface PendingEpoch {
  epoch: number;
  /** [loss, ...metrics, ...validation loss and metrics, ...each batch's loss] */
  values: Tensor;
  batches: number;
}

/** Reads every pending epoch's logs in one readback, records them, and stops on a non-finite loss. */
async function readPendingEpochs(
  pending: PendingEpoch[], names: string[], hasValidation: boolean, history: History, model: Sequential,
  onEpochEnd: (epoch: number, logs: Logs) => Promise<void>,
): Promise<void> {
  if (pending.length === 0) return;
  const entries = pending.splice(0);
  const all = noGrad(() => (entries.length === 1 ? entries[0].values : concat(entries.map((entry) => entry.values), 0)));
  const flat = await all.data();
  if (all !== entries[0].values) all.dispose();
  entries.forEach((entry) => entry.values.dispose());
  let offset = 0;
  for (const entry of entries) {
    const logCount = names.length * (hasValidation ? 2 : 1);
    const logs = toLogs(names, flat.subarray(offset, offset + names.length));
    if (hasValidation) Object.assign(logs, toLogs(names.map((name) => `val_${name}`), flat.subarray(offset + names.length, offset + logCount)));
    const batchLosses = flat.subarray(offset + logCount, offset + logCount + entry.batches);
    offset += logCount + entry.batches;
    const badBatch = batchLosses.findIndex((loss) => !Number.isFinite(loss));
    history.record(entry.epoch, logs);
    if (badBatch >= 0 && !model.stopTraining) {
      throw new NonFiniteLossError(`fit: the loss became ${batchLosses[badBatch]} at epoch ${entry.epoch + 1}, batch ${badBatch + 1}; lower the learning rate or check the data for NaN/Inf`);
    }
    await onEpochEnd(entry.epoch, logs);
  }
}

function toLogs(names: string[], values: ArrayLike<number>): Logs {
  // names come from logNames, which starts with 'loss' (val_ names are merged into such logs).
  return Object.fromEntries(names.map((name, i) => [name, values[i]])) as Logs;
}

/** Reads scalar GPU values as named logs in one readback. */
async function readLogs(names: string[], values: Tensor[]): Promise<Logs> {
  const stacked = tidy(() => concat(values.map((value) => reshape(value, [1])), 0));
  const flat = await stacked.data();
  stacked.dispose();
  return toLogs(names, flat);
}

function logNames(training: CompiledTraining): string[] {
  return ['loss', ...training.metrics.map((metric) => metric.name)];
}

function formatEpochLine(epoch: number, epochs: number, logs: Logs): string {
  return `Epoch ${epoch + 1}/${epochs} - ${Object.entries(logs).map(([key, value]) => `${key}: ${value.toFixed(4)}`).join(' - ')}`;
}

function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Mean loss and metrics over a dataset, as one GPU tensor [loss, ...metrics]; nothing is read back. */
function evaluateOnGpu(model: Sequential, training: CompiledTraining, x: Tensor, y: Tensor, batchSize: number): Tensor {
  return noGrad(() => tidy(() => {
    const samples = x.shape[0];
    let sums: Tensor | null = null;
    for (let start = 0; start < samples; start += batchSize) {
      const size = Math.min(batchSize, samples - start);
      const xb = batchRows(x, start, size, null);
      const yb = batchRows(y, start, size, null);
      const prediction = model.apply(xb, { training: false });
      const values = concat([training.loss.fn(yb, prediction), ...training.metrics.map((m) => m.fn(yb, prediction))].map((v) => reshape(v, [1])), 0);
      sums = add(sums ?? 0, mul(values, size));
    }
    return div(sums ?? 0, Math.max(samples, 1));
  }));
}

export async function evaluateModel(model: Sequential, x: Tensor, y: Tensor, options: EvaluateOptions): Promise<Logs> {
  const training = model.compiled('evaluate');
  await validateData('evaluate', model, training, x, y);
  const batchSize = options.batchSize ?? 32;
  assertPositiveInteger('evaluate', 'batchSize', batchSize);
  const values = evaluateOnGpu(model, training, x, y, batchSize);
  const flat = await values.data();
  values.dispose();
  return toLogs(logNames(training), flat);
}

export function predictModel(model: Sequential, x: Tensor, batchSize: number): Tensor {
  assertPositiveInteger('predict', 'batchSize', batchSize);
  model.assertInput('predict', x);
  return noGrad(() => tidy(() => {
    const samples = x.shape[0];
    if (samples <= batchSize) return model.apply(x, { training: false });
    const outputs: Tensor[] = [];
    for (let start = 0; start < samples; start += batchSize) {
      outputs.push(model.apply(batchRows(x, start, Math.min(batchSize, samples - start), null), { training: false }));
    }
    return concat(outputs, 0);
  }));
}

export async function trainOnBatch(model: Sequential, x: Tensor, y: Tensor): Promise<Logs> {
  const training = model.compiled('trainOnBatch');
  await validateData('trainOnBatch', model, training, x, y);
  const values = tidy(() => trainStep(model, training, x, y));
  const logs = await readLogs(logNames(training), values);
  values.forEach((value) => value.dispose());
  return logs;
}

/**
 * Checks x and y before any work: sample counts, the input shape, label shapes for the loss, and
 * (for sparse losses, one small readback) that every class index is in range.
 */
async function validateData(op: string, model: Sequential, training: CompiledTraining, x: Tensor, y: Tensor): Promise<void> {
  model.assertInput(op, x);
  y.assertAlive(op);
  if (y.rank === 0 || y.shape[0] !== x.shape[0]) {
    throw new ShapeError(`${op}: x has ${x.shape[0]} samples ${formatShape(x.shape)} but y has ${y.rank === 0 ? 'none (a scalar)' : y.shape[0]} ${formatShape(y.shape)}`);
  }
  const outputShape = model.outputShape ?? [];
  const labelShape = y.shape.slice(1);
  if (/sparse/i.test(training.loss.name)) {
    const classes = outputShape[outputShape.length - 1];
    // One class index per output row: outputs [batch, ..., classes] take labels [batch, ...] or [batch, ..., 1].
    const perSample = outputShape.slice(0, -1);
    if (!(shapesEqual(labelShape, perSample) || shapesEqual(labelShape, [...perSample, 1]))) {
      const dims = perSample.map((dim) => `,${dim}`).join('');
      throw new ShapeError(`${op}: ${training.loss.name} takes class indices of shape [n${dims}] or [n${dims},1], got ${formatShape(y.shape)}`);
    }
    if (y.size > 0) {
      const [lowest, highest] = await Promise.all([min(y).data(), max(y).data()]);
      if (lowest[0] < 0 || highest[0] >= classes || !Number.isInteger(lowest[0]) || !Number.isInteger(highest[0])) {
        throw new ValueError(`${op}: labels must be integer class indices in [0, ${classes - 1}] for ${training.loss.name}; found values from ${lowest[0]} to ${highest[0]}`);
      }
    }
  } else if (!shapesEqual(labelShape, outputShape)) {
    throw new ShapeError(`${op}: y has shape ${formatShape(y.shape)} but the model outputs [batch,${outputShape.join(',')}]`);
  }
}

async function splitValidation(model: Sequential, training: CompiledTraining, x: Tensor, y: Tensor, options: FitOptions): Promise<{
  trainX: Tensor; trainY: Tensor; validation: [Tensor, Tensor] | null; ownedSplits: Tensor[];
}> {
  if (options.validationData) {
    const [vx, vy] = options.validationData;
    await validateData('fit (validationData)', model, training, vx, vy);
    return { trainX: x, trainY: y, validation: [vx, vy], ownedSplits: [] };
  }
  const split = options.validationSplit ?? 0;
  if (split === 0) return { trainX: x, trainY: y, validation: null, ownedSplits: [] };
  if (!(split > 0 && split < 1)) throw new ValueError(`fit: validationSplit must be in (0, 1), got ${split}`);
  const samples = x.shape[0];
  const trainCount = Math.floor(samples * (1 - split));
  if (trainCount === 0 || trainCount === samples) {
    throw new ValueError(`fit: validationSplit ${split} of ${samples} samples leaves an empty training or validation set`);
  }
  const rows = (t: Tensor, start: number, count: number): Tensor => keep(slice(t, [start, ...t.shape.slice(1).map(() => 0)], [count, ...t.shape.slice(1).map(() => -1)]));
  const parts = [rows(x, 0, trainCount), rows(y, 0, trainCount), rows(x, trainCount, samples - trainCount), rows(y, trainCount, samples - trainCount)];
  return { trainX: parts[0], trainY: parts[1], validation: [parts[2], parts[3]], ownedSplits: parts };
}

function assertPositiveInteger(op: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new ValueError(`${op}: ${name} must be a positive integer, got ${value}`);
}
