// fit's logs on the GPU: each batch's loss and metrics are summed there, and many epochs' means
// and batch losses read back in one readback, since a read per batch would stall the queue. An
// epoch's tensors wait as they are, unpacked: a concat op per epoch cost more JavaScript than a
// compiled training step of a small model.
import { NonFiniteLossError } from '../errors';
import { keep } from '../memory';
import { Tensor } from '../tensor';
import { add, div, mul } from '../ops/binary';
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
 * The running sums `sums + values·size` per log, `sums` being the previous batches'. The training
 * step computes them (training.ts), in its program when compiled, so no per-batch work is left here.
 */
export function weightedSums(sums: readonly Tensor[], values: readonly Tensor[], size: number): Tensor[] {
  return values.map((value, i) => add(sums[i], mul(value, size)));
}

/**
 * An epoch's per-batch [loss, ...metrics] summed on the GPU, weighted by batch size, without reading
 * them. The batch count need not be known ahead (a stream's epoch): an epoch of one batch (the
 * full-batch case) keeps that batch's values as its means, unscaled.
 */
export class EpochAccumulator {
  /** The first batch's values and size: its values are the means of an epoch of one batch. */
  private first: { values: Tensor[]; size: number } | null = null;
  private readonly batchLosses: Tensor[] = [];
  private seen = 0;
  private running: Tensor[] | null = null;
  /** The scalar zeros the first batch's sums start from (one per log: distinct tensors, as the later sums are, so the step's signature stays the same). */
  private zeros: Tensor[] | null = null;

  /**
   * The sums so far, which the next step adds its batch to: before the first batch, `count` zeros
   * (0 + x is x exactly, so the sums equal those started from the first batch's values·size), so
   * that every batch of an epoch runs the same compiled step.
   */
  sumsSoFar(count: number): Tensor[] {
    if (this.running) return this.running;
    this.zeros ??= Array.from({ length: count }, () => tensor(0));
    return this.zeros;
  }

  /** Takes ownership of `values`, one batch's GPU scalars of `size` samples, and of `sums`, the running sums with them added. */
  add(values: Tensor[], size: number, sums: Tensor[]): void {
    this.seen += size;
    this.batchLosses.push(values[0]);
    this.running?.forEach((t) => t.dispose());
    this.running = sums;
    this.zeros?.forEach((t) => t.dispose());
    this.zeros = null;
    if (this.batchLosses.length === 1) {
      this.first = { values, size };
      return;
    }
    this.first?.values.slice(1).forEach((t) => t.dispose());
    this.first = null;
    values.slice(1).forEach((t) => t.dispose());
  }

  get batches(): number {
    return this.batchLosses.length;
  }

  /**
   * The epoch's means, then `extra` (validation logs), then each batch loss, as a pending epoch
   * that owns them (extra included): no op runs but the division of the sums of a multi-batch epoch.
   */
  finish(epoch: number, extra: Tensor[]): PendingEpoch {
    const means = this.first ? this.first.values
      : (this.running ?? []).map((total) => div(total, Math.max(this.seen, 1)));
    const values = [...means, ...extra, ...this.batchLosses].map((t) => keep(t));
    const batches = this.batchLosses.length;
    // Taken over by the pending epoch: dispose() leaves them.
    this.first = null;
    this.batchLosses.length = 0;
    return { epoch, values, batches };
  }

  /** Releases the running sums and batch losses (finish copied what it needed). */
  dispose(): void {
    this.running?.forEach((t) => t.dispose());
    this.zeros?.forEach((t) => t.dispose());
    this.first?.values.slice(1).forEach((t) => t.dispose());
    this.batchLosses.forEach((t) => t.dispose());
    this.running = null;
    this.zeros = null;
    this.first = null;
    this.batchLosses.length = 0;
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
