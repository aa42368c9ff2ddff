// fit's logs on the GPU: each batch's loss and metrics are summed there, an epoch's means and
// batch losses packed into one tensor, and many epochs read back in one readback, since a read
// per batch would stall the queue.
import { NonFiniteLossError } from '../errors';
import { noGrad } from '../autograd/recorder';
import { keep, tidy } from '../memory';
import type { Tensor } from '../tensor';
import { div, mul } from '../ops/binary';
import { concat, reshape, slice } from '../ops/movement';
import { sum } from '../ops/reduce';
import { tensor } from '../ops/creation';
import type { History, Logs } from './callbacks';

/** One epoch's logs waiting on the GPU. */
export interface PendingEpoch {
  epoch: number;
  /** [loss, ...metrics, ...validation loss and metrics, ...each batch's loss] */
  values: Tensor;
  batches: number;
}

/**
 * An epoch's per-batch [loss, ...metrics], kept on the GPU and reduced once at its end to means
 * weighted by batch size (Keras's Mean trackers: Σ value·size / Σ size), without reading them. The
 * batch count need not be known ahead (a stream's epoch). Summing at the end rather than in each
 * training step keeps the step's program to the training itself: a hand-written loop's dispatches.
 */
export class EpochAccumulator {
  /** Each batch's values (GPU scalars, owned) and its size, in order. */
  private readonly values: Tensor[][] = [];
  private readonly sizes: number[] = [];

  /** Takes ownership of `values`, one batch's GPU scalars of `size` samples. */
  add(values: Tensor[], size: number): void {
    this.values.push(values);
    this.sizes.push(size);
  }

  get batches(): number {
    return this.values.length;
  }

  /**
   * The epoch's means (an epoch of one batch, the full-batch case, keeps that batch's values
   * unscaled), then `extra` (validation logs, consumed), then each batch loss, as one kept tensor.
   */
  finish(epoch: number, extra: () => Tensor[]): PendingEpoch {
    const batches = this.values.length;
    const logs = this.values[0].length;
    const values = keep(tidy(() => {
      // [batches, logs], stacked along the leading axis: buffer copies, no dispatch.
      const stacked = reshape(concat(this.values.flat().map((value) => reshape(value, [1])), 0), [batches, logs]);
      const seen = this.sizes.reduce((total, size) => total + size, 0);
      const means = batches === 1 ? reshape(stacked, [logs])
        : div(sum(mul(stacked, tensor(Float32Array.from(this.sizes), [batches, 1])), 0), seen);
      const losses = logs === 1 ? reshape(stacked, [batches]) : reshape(slice(stacked, [0, 0], [batches, 1]), [batches]);
      return concat([means, ...extra(), losses], 0);
    }));
    return { epoch, values, batches };
  }

  /** Releases the batches' values (finish copied what it needed). */
  dispose(): void {
    this.values.forEach((batch) => batch.forEach((t) => t.dispose()));
    this.values.length = 0;
    this.sizes.length = 0;
  }
}

/** Reads every pending epoch's logs in one readback, records them, and stops on a non-finite loss. */
export async function readPendingEpochs(
  pending: PendingEpoch[], names: string[], hasValidation: boolean, history: History, stopTraining: () => boolean,
  onEpochEnd: (epoch: number, logs: Logs) => Promise<void>,
): Promise<void> {
  if (pending.length === 0) return;
  const entries = pending.splice(0);
  const all = noGrad(() => (entries.length === 1 ? entries[0].values : concat(entries.map((entry) => entry.values), 0)));
  let flat: Float32Array | Int32Array;
  try {
    flat = await all.data();
  } finally {
    if (all !== entries[0].values) all.dispose();
    entries.forEach((entry) => entry.values.dispose());
  }
  let offset = 0;
  for (const entry of entries) {
    const logCount = names.length * (hasValidation ? 2 : 1);
    const logs = toLogs(names, flat.subarray(offset, offset + names.length));
    if (hasValidation) Object.assign(logs, toLogs(names.map((name) => `val_${name}`), flat.subarray(offset + names.length, offset + logCount)));
    const batchLosses = flat.subarray(offset + logCount, offset + logCount + entry.batches);
    offset += logCount + entry.batches;
    const badBatch = batchLosses.findIndex((loss) => !Number.isFinite(loss));
    if (badBatch >= 0 && !stopTraining()) {
      history.record(entry.epoch, logs);
      throw new NonFiniteLossError(`fit: the loss became ${batchLosses[badBatch]} at epoch ${entry.epoch + 1}, batch ${badBatch + 1}; lower the learning rate or check the data for NaN/Inf`);
    }
    await onEpochEnd(entry.epoch, logs);
    // After the callbacks, as Keras's History (the last callback): what they add to the logs
    // (ReduceLROnPlateau's learning_rate) is recorded too.
    history.record(entry.epoch, logs);
  }
}

export function toLogs(names: string[], values: ArrayLike<number>): Logs {
  // names come from logNames, which starts with 'loss' (val_ names are merged into such logs).
  return Object.fromEntries(names.map((name, i) => [name, values[i]])) as Logs;
}

/** Reads scalar GPU values as named logs in one readback. */
export async function readLogs(names: string[], values: Tensor[]): Promise<Logs> {
  const stacked = tidy(() => concat(values.map((value) => reshape(value, [1])), 0));
  try {
    return toLogs(names, await stacked.data());
  } finally {
    stacked.dispose();
  }
}

export function formatEpochLine(epoch: number, epochs: number, logs: Logs): string {
  return `Epoch ${epoch + 1}/${epochs} - ${Object.entries(logs).map(([key, value]) => `${key}: ${value.toFixed(4)}`).join(' - ')}`;
}
