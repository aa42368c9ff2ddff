// Float64 forward passes of the two functional test models (a residual MLP, and a two-input,
// two-output model with a shared layer), from weights read out of the GPU model, and their
// losses and central-difference gradients, so one training step can be replayed independently.
import { activate, dense, matrix, type Matrix } from './dense-reference';

const add = (a: Matrix, b: Matrix): Matrix => ({ ...a, data: a.data.map((v, i) => v + b.data[i]) });
const multiply = (a: Matrix, b: Matrix): Matrix => ({ ...a, data: a.data.map((v, i) => v * b.data[i]) });

/** Concatenation on the feature axis of [rows, cols] matrices. */
export function concatColumns(a: Matrix, b: Matrix): Matrix {
  const cols = a.cols + b.cols;
  const data = new Float64Array(a.rows * cols);
  for (let r = 0; r < a.rows; r++) {
    data.set(a.data.subarray(r * a.cols, (r + 1) * a.cols), r * cols);
    data.set(b.data.subarray(r * b.cols, (r + 1) * b.cols), r * cols + a.cols);
  }
  return { rows: a.rows, cols, data };
}

/**
 * Residual MLP: h = relu(x·K1 + b1); r = h·K2 + b2; out = (x + r)·K3 + b3, x [n, 3], hidden 5.
 * weights in getWeights order: K1 [3,5], b1, K2 [5,3], b2, K3 [3,2], b3.
 */
export function residualForward(x: Matrix, w: readonly ArrayLike<number>[]): Matrix {
  const h = dense(x, matrix(3, 5, w[0]), w[1], 'relu');
  const r = dense(h, matrix(5, 3, w[2]), w[3], 'linear');
  return dense(add(x, r), matrix(3, 2, w[4]), w[5], 'linear');
}

/**
 * Two inputs a, b [n, 3] through one shared Dense(4, tanh) S; reg = concat(S(a), S(b))·Kr + br;
 * cls = softmax((S(a) * S(b))·Kc + bc). weights: Ks [3,4], bs, Kr [8,1], br, Kc [4,2], bc.
 */
export function twoInputForward(a: Matrix, b: Matrix, w: readonly ArrayLike<number>[]): { reg: Matrix; cls: Matrix } {
  const sa = dense(a, matrix(3, 4, w[0]), w[1], 'tanh');
  const sb = dense(b, matrix(3, 4, w[0]), w[1], 'tanh');
  const reg = dense(concatColumns(sa, sb), matrix(8, 1, w[2]), w[3], 'linear');
  const cls = activate(dense(multiply(sa, sb), matrix(4, 2, w[4]), w[5], 'linear'), 'softmax');
  return { reg, cls };
}

/** Keras's mean squared error: the mean over every element. */
export function meanSquaredError(prediction: Matrix, target: ArrayLike<number>): number {
  return prediction.data.reduce((total, v, i) => total + (v - target[i]) ** 2, 0) / prediction.data.length;
}

/** Keras's sparse categorical crossentropy on probabilities: the batch mean of -log p[label]. */
export function sparseCrossentropy(probabilities: Matrix, labels: ArrayLike<number>): number {
  let total = 0;
  for (let r = 0; r < probabilities.rows; r++) total -= Math.log(probabilities.data[r * probabilities.cols + labels[r]]);
  return total / probabilities.rows;
}

/** Central differences of `loss` with respect to every weight (float64, step 1e-6: error ~1e-10). */
export function numericGradients(weights: readonly ArrayLike<number>[], loss: (w: Float64Array[]) => number): Float64Array[] {
  const w = weights.map((values) => Float64Array.from(values));
  const step = 1e-6;
  return w.map((values) => values.map((original, i) => {
    values[i] = original + step;
    const up = loss(w);
    values[i] = original - step;
    const down = loss(w);
    values[i] = original;
    return (up - down) / (2 * step);
  }));
}
