// fit's logs on the GPU: each batch's loss and metrics are summed there, an epoch's means and
// batch losses packed into one tensor, and many epochs read back in one readback, since a read
// per batch would stall the queue.
import { NonFiniteLossError } from '../errors';
import { noGrad } from '../autograd/recorder';
import { keep, tidy } from '../memory';
import type { Tensor } from '../tensor';
import { add, div, mul } from '../ops/binary';
import { concat, reshape } from '../ops/movement';
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

  /** The epoch's means, then `extra` (validation logs, consumed), then each batch loss, as one kept tensor. */
  finish(epoch: number, extra: () => Tensor[]): PendingEpoch {
    const values = keep(tidy(() => {
      const means = this.first ? this.first.values.map((value) => reshape(value, [1]))
        : (this.running ?? []).map((total) => reshape(div(total, Math.max(this.seen, 1)), [1]));
      return concat([...means, ...extra(), ...this.batchLosses.map((loss) => reshape(loss, [1]))], 0);
    }));
    return { epoch, values, batches: this.batchLosses.length };
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
