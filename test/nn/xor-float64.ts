// The reference example's network (Dense(2, sigmoid) → Dense(1, sigmoid), binary cross-entropy,
// Keras's Adam, full-batch steps) trained in float64 on the CPU from given initial weights: the
// trajectory the GPU's fit is checked against, in the browser (xor-reference.test.ts) and in Node
// (test/node/fit.test.ts).
import { binaryCrossentropy } from './dense-reference';

/**
 * The same network and Keras's Adam in float64: h = σ(x·W1 + b1), p = σ(h·W2 + b2), loss = mean
 * binary cross-entropy. Returns the loss before each step (what fit logs for full-batch epochs),
 * the loss after the last step, and the final weights.
 */
export function trainInFloat64(initialWeights: number[][], x: number[][], y: number[], epochs: number, learningRate: number) {
  const [W1, b1, W2, b2] = initialWeights.map((w) => Float64Array.from(w));
  const params = [W1, b1, W2, b2];
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-7];
  const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));
  const n = x.length;

  const forward = () => {
    const hidden = x.map(([a, b]) => [0, 1].map((j) => sigmoid(a * W1[j] + b * W1[2 + j] + b1[j])));
    const p = hidden.map((h) => sigmoid(h[0] * W2[0] + h[1] * W2[1] + b2[0]));
    return { hidden, p };
  };

  const history: number[] = [];
  for (let step = 1; step <= epochs; step++) {
    const { hidden, p } = forward();
    history.push(binaryCrossentropy(p, y));
    const grads = params.map((q) => new Float64Array(q.length));
    const [gW1, gb1, gW2, gb2] = grads;
    for (let i = 0; i < n; i++) {
      // d(mean BCE)/d(logit) = (p − y)/n while p is inside the [1e-7, 1 − 1e-7] clip (it stays there).
      const dLogit = (p[i] - y[i]) / n;
      gb2[0] += dLogit;
      for (let j = 0; j < 2; j++) {
        gW2[j] += dLogit * hidden[i][j];
        const dHidden = dLogit * W2[j] * hidden[i][j] * (1 - hidden[i][j]);
        gb1[j] += dHidden;
        gW1[j] += dHidden * x[i][0];
        gW1[2 + j] += dHidden * x[i][1];
      }
    }
    const alpha = (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
    params.forEach((q, k) => {
      for (let e = 0; e < q.length; e++) {
        m[k][e] += (grads[k][e] - m[k][e]) * (1 - beta1);
        v[k][e] += (grads[k][e] ** 2 - v[k][e]) * (1 - beta2);
        q[e] -= (alpha * m[k][e]) / (Math.sqrt(v[k][e]) + epsilon);
      }
    });
  }
  return { history, finalLoss: binaryCrossentropy(forward().p, y), finalWeights: params.map((q) => Array.from(q)) };
}
