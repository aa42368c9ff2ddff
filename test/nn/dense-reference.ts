// Float64 forward passes of small Dense stacks, from weights read out of a GPU model, so tests can
// check predictions and losses without trusting the library's own ops.

/** Row-major [rows, cols] values. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(rows: number, cols: number, values: ArrayLike<number>): Matrix {
  if (values.length !== rows * cols) throw new Error(`matrix: ${values.length} values for [${rows},${cols}]`);
  return { rows, cols, data: Float64Array.from(values) };
}

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** activation(x · kernel + bias), kernel [in, out], bias [out]. */
export function dense(x: Matrix, kernel: Matrix, bias: ArrayLike<number> | null, activation: Activation): Matrix {
  if (x.cols !== kernel.rows) throw new Error(`dense: [${x.rows},${x.cols}] · [${kernel.rows},${kernel.cols}]`);
  const out = new Float64Array(x.rows * kernel.cols);
  for (let r = 0; r < x.rows; r++) {
    for (let c = 0; c < kernel.cols; c++) {
      let total = bias ? bias[c] : 0;
      for (let k = 0; k < x.cols; k++) total += x.data[r * x.cols + k] * kernel.data[k * kernel.cols + c];
      out[r * kernel.cols + c] = total;
    }
  }
  return activate({ rows: x.rows, cols: kernel.cols, data: out }, activation);
}

export function activate(x: Matrix, activation: Activation): Matrix {
  const data = Float64Array.from(x.data);
  if (activation === 'softmax') {
    for (let r = 0; r < x.rows; r++) {
      const row = data.subarray(r * x.cols, (r + 1) * x.cols);
      const top = Math.max(...row);
      let total = 0;
      for (let c = 0; c < row.length; c++) total += (row[c] = Math.exp(row[c] - top));
      for (let c = 0; c < row.length; c++) row[c] /= total;
    }
  } else {
    const fn = { linear: (v: number) => v, relu: (v: number) => Math.max(v, 0), sigmoid, tanh: Math.tanh }[activation];
    for (let i = 0; i < data.length; i++) data[i] = fn(data[i]);
  }
  return { rows: x.rows, cols: x.cols, data };
}

/** Keras's binary cross-entropy (mean over elements), probabilities clipped to [1e-7, 1 − 1e-7]. */
export function binaryCrossentropy(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < predictions.length; i++) {
    const p = Math.min(Math.max(predictions[i], 1e-7), 1 - 1e-7);
    total -= targets[i] * Math.log(p) + (1 - targets[i]) * Math.log(1 - p);
  }
  return total / predictions.length;
}

export function meanSquaredError(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < predictions.length; i++) total += (predictions[i] - targets[i]) ** 2;
  return total / predictions.length;
}

/** Fraction of (prediction > 0.5) equal to the 0/1 target. */
export function binaryAccuracy(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if ((predictions[i] > 0.5 ? 1 : 0) === targets[i]) correct++;
  return correct / predictions.length;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
