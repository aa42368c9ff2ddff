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

/**
 * Rows [start, start + size) of `data`, or of `data` reordered by `order`. The whole tensor is
 * returned as is when one unshuffled batch covers it (the caller must not dispose it then).
 */
export function batchRows(data: Tensor, start: number, size: number, order: Tensor | null): Tensor {
  if (order) return gather(data, slice(order, [start], [size]), 0);
  if (start === 0 && size === data.shape[0]) return data;
  return slice(data, [start, ...data.shape.slice(1).map(() => 0)], [size, ...data.shape.slice(1).map(() => -1)]);
}

export function numBatches(samples: number, batchSize: number): number {
  return Math.ceil(samples / batchSize);
}
