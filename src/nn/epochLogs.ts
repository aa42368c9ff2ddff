// fit's logs on the GPU: each batch's loss and metrics stay there, an epoch's means are taken at its
// end, and many epochs are read back in one readback, since a read per batch would stall the queue.
// An epoch's tensors wait as they are, unpacked: a concat op per epoch cost more JavaScript than
// the compiled training step of a small model.
import { NonFiniteLossError } from '../errors';
import { keep, tidy } from '../memory';
import { Tensor } from '../tensor';
import { div, mul } from '../ops/binary';
import { concat, reshape } from '../ops/movement';
import { sum } from '../ops/reduce';
import { tensor } from '../ops/creation';
import type { History, Logs } from './callbacks';

/** One epoch's logs waiting on the GPU. */
export interface PendingEpoch {
  epoch: number;
  /**
   * [loss, ...metrics, ...validation loss and metrics, ...each batch's loss], scalars or vectors read
   * in this order, owned by the entry (a tensor may appear twice: an epoch of one batch has its
   * loss as the epoch's loss and as its batch loss).
   */
  values: Tensor[];
  batches: number;
}

/** Frees a pending epoch's tensors, each once. */
export function disposePending(entry: PendingEpoch): void {
  new Set(entry.values).forEach((t) => t.dispose());
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
  add(values: readonly Tensor[], size: number): void {
    this.values.push([...values]);
    this.sizes.push(size);
  }

  get batches(): number {
    return this.values.length;
  }

  /**
   * The epoch's means (an epoch of one batch, the full-batch case, keeps that batch's values
   * unscaled), then `extra` (validation logs), then each batch loss, as a pending epoch that owns
   * them (extra included). An epoch of one batch runs no op here; a longer one a few, once.
   */
  finish(epoch: number, extra: Tensor[]): PendingEpoch {
    const batches = this.values.length;
    const losses = this.values.map((values) => values[0]);
    const means = batches === 1 ? [...this.values[0]] : [keep(tidy(() => {
      const logs = this.values[0].length;
      // [batches, logs], stacked along the leading axis: buffer copies, no dispatch.
      const stacked = reshape(concat(this.values.flat().map((value) => reshape(value, [1])), 0), [batches, logs]);
      const seen = this.sizes.reduce((total, size) => total + size, 0);
      return div(sum(mul(stacked, tensor(Float32Array.from(this.sizes), [batches, 1])), 0), seen);
    }))];
    // Taken over by the pending epoch: dispose() frees only the rest (other batches' metrics).
    this.values.forEach((values) => values.splice(0, batches === 1 ? values.length : 1));
    return { epoch, values: [...means, ...extra, ...losses].map((t) => keep(t)), batches };
  }

  /** Releases the batches' values that finish did not take (all of them if it did not run). */
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
  let flat: Float32Array;
  try {
    flat = flatten(await Tensor.dataOfAll(entries.flatMap((entry) => entry.values)));
  } finally {
    entries.forEach(disposePending);
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
  return toLogs(names, flatten(await Tensor.dataOfAll(values)));
}

/** Values read back, one after the other, as float32 (logs are float32; an int32 count converts exactly below 2^24). */
function flatten(parts: readonly (Float32Array | Int32Array)[]): Float32Array {
  const flat = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    flat.set(part, offset);
    offset += part.length;
  }
  return flat;
}

export function formatEpochLine(epoch: number, epochs: number, logs: Logs): string {
  return `Epoch ${epoch + 1}/${epochs} - ${Object.entries(logs).map(([key, value]) => `${key}: ${value.toFixed(4)}`).join(' - ')}`;
}
