// Splitting a dataset into batches on the GPU: a slice per batch, or a gather through a shuffled order.
import type { Tensor } from '../tensor';
import { tensor } from '../ops/creation';
import { gather } from '../ops/indexing';
import { slice } from '../ops/movement';
import { seededUniforms } from './hostRandom';

/** A random permutation of 0..n-1 as an int32 tensor, drawn from the seeded generator. */
export function shuffledOrder(n: number): Tensor {
  const next = seededUniforms();
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return tensor(order, [n], 'int32');
}

/** Entries [start, start + size) of a shuffled order: the rows of one batch, shared by every array (x and y) it gathers. */
export function batchIndices(order: Tensor, start: number, size: number): Tensor {
  return slice(order, [start], [size]);
}

/**
 * Rows [start, start + size) of `data`, or, given the batch's `indices` (batchIndices), the rows
 * they pick. The whole tensor is returned as is when one unshuffled batch covers it (the caller
 * must not dispose it then).
 */
export function batchRows(data: Tensor, start: number, size: number, indices: Tensor | null): Tensor {
  if (indices) return gather(data, indices, 0);
  if (start === 0 && size === data.shape[0]) return data;
  return slice(data, [start, ...data.shape.slice(1).map(() => 0)], [size, ...data.shape.slice(1).map(() => -1)]);
}

export function numBatches(samples: number, batchSize: number): number {
  return Math.ceil(samples / batchSize);
}
