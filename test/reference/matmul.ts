// numpy.matmul: the last two axes multiply as matrices, leading (batch) axes broadcast.
import { broadcastOffset, broadcastShapes } from './elementwise';
import { type NdArray, multiIndex, sizeOf } from './ndarray';

export interface MatmulOptions {
  /** Use a with its last two axes swapped. */
  transposeA?: boolean;
  /** Use b with its last two axes swapped. */
  transposeB?: boolean;
}

/**
 * a [..., m, k] @ b [..., k, n] → [...batch, m, n]. As in NumPy, a 1-D a is a row vector [1, k]
 * and a 1-D b a column vector [k, 1], and the added axis is dropped from the result.
 */
export function matmul(a: NdArray, b: NdArray, options: MatmulOptions = {}): NdArray {
  if (a.shape.length === 0 || b.shape.length === 0) throw new Error('matmul: scalars are not matrices');
  const aIsVector = a.shape.length === 1;
  const bIsVector = b.shape.length === 1;
  const aShape = aIsVector ? [1, a.shape[0]] : a.shape;
  const bShape = bIsVector ? [b.shape[0], 1] : b.shape;
  const transposeA = !aIsVector && options.transposeA === true;
  const transposeB = !bIsVector && options.transposeB === true;

  const aRows = aShape[aShape.length - 2];
  const aCols = aShape[aShape.length - 1];
  const bRows = bShape[bShape.length - 2];
  const bCols = bShape[bShape.length - 1];
  const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kB) {
    throw new Error(`matmul: inner dimensions differ, [${a.shape.join(',')}] @ [${b.shape.join(',')}]`);
  }

  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const batchShape = broadcastShapes(aBatch, bBatch);
  const batchCount = sizeOf(batchShape);
  const data = new Float64Array(batchCount * m * n);
  for (let batch = 0; batch < batchCount; batch++) {
    const batchIndex = multiIndex(batch, batchShape);
    const aBase = broadcastOffset(batchIndex, aBatch) * aRows * aCols;
    const bBase = broadcastOffset(batchIndex, bBatch) * bRows * bCols;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const aValue = a.data[aBase + (transposeA ? p * aCols + i : i * aCols + p)];
          const bValue = b.data[bBase + (transposeB ? j * bCols + p : p * bCols + j)];
          sum += aValue * bValue;
        }
        data[(batch * m + i) * n + j] = sum;
      }
    }
  }
  const shape = [...batchShape, ...(aIsVector ? [] : [m]), ...(bIsVector ? [] : [n])];
  return { shape, data };
}
