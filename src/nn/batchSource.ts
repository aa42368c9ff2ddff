// Where the training loop's batches come from. fit on tensors slices them on the GPU (this file);
// fit on a dataset pulls them from its stream (datasetBatches.ts). The loop sees only this interface.
import type { Tensor } from '../tensor';
import { batchIndices, batchRows, numBatches, shuffledOrder } from './batches';

/** One batch: `size` samples, its arrays made when the step runs (inside the step's tidy). */
export interface Batch {
  size: number;
  /** The inputs and the labels (one array per model input and output). */
  arrays(): [Tensor[], Tensor[]];
  /** Frees what the batch owns once its step is queued. */
  release(): void;
}

/** One epoch's batches in order; `next` may be synchronous (tensors in memory) or await a stream. */
export interface EpochBatches {
  /** The next batch, or null when the epoch is over. */
  next(): Batch | null | Promise<Batch | null>;
  /** Frees what the epoch holds (a shuffled order, batches pulled but not used). */
  dispose(): void | Promise<void>;
}

export interface BatchSource {
  /** Batches per epoch where known ahead (tensors), null for a stream. */
  readonly batchesPerEpoch: number | null;
  /** Starts an epoch; `seeded` runs a draw on the fit's own generator (for the shuffle). */
  epoch(seeded: <T>(fn: () => T) => T): EpochBatches;
  /** Frees what lasts across epochs (a stream kept open between them). */
  close(): void | Promise<void>;
}

/** Batches sliced from arrays in GPU memory, in a new shuffled order each epoch when `shuffle`. */
export function tensorBatches(x: readonly Tensor[], y: readonly Tensor[], batchSize: number, shuffle: boolean): BatchSource {
  const samples = x[0].shape[0];
  const batches = numBatches(samples, batchSize);
  return {
    batchesPerEpoch: batches,
    epoch(seeded) {
      const order = shuffle && batches > 1 ? seeded(() => shuffledOrder(samples)) : null;
      let batch = 0;
      return {
        next() {
          if (batch >= batches) return null;
          const start = batch++ * batchSize;
          const size = Math.min(batchSize, samples - start);
          return {
            size,
            arrays: () => {
              // One slice of the order per batch, not one per array.
              const indices = order && batchIndices(order, start, size);
              const rows = (arrays: readonly Tensor[]): Tensor[] => arrays.map((array) => batchRows(array, start, size, indices));
              return [rows(x), rows(y)];
            },
            release() {},
          };
        },
        dispose: () => order?.dispose(),
      };
    },
    close() {},
  };
}
