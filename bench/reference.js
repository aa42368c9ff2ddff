// Float64 CPU references that every benchmark result is checked against before its time counts.
// Plain ESM: the pages use the kernel references (matmul entries, elementwise) on their own
// outputs; Node runs the training simulations once and compares the losses each library reports.
import { mulberry32 } from './inputs.js';

/** Float64 copy of a float32 array (exact). */
const f64 = (values) => Float64Array.from(values);

/**
 * The entries `indices` (flat, row-major) of a [m,k] @ [k,n] product, in float64, and for each the
 * sum of |a_ip * b_pj|: the scale a float32 accumulation error is proportional to.
 */
export function matmulEntries(a, b, k, n, indices) {
  const values = new Float64Array(indices.length);
  const scales = new Float64Array(indices.length);
  indices.forEach((flat, e) => {
    const [i, j] = [Math.floor(flat / n), flat % n];
    let sum = 0;
    let scale = 0;
    for (let p = 0; p < k; p++) {
      const product = a[i * k + p] * b[p * n + j];
      sum += product;
      scale += Math.abs(product);
    }
    values[e] = sum;
    scales[e] = scale;
  });
  return { values, scales };
}

/** The elementwise chain every library runs: relu((a * b + a) * 0.5 - b), five ops. */
export function chainReference(a, b, i) {
  return Math.max((a[i] * b[i] + a[i]) * 0.5 - b[i], 0);
}

/**
 * Compares `actual` with `expected` entry by entry: |actual - expected| <= tolerance (a number, or
 * one per entry) must hold everywhere, and NaN fails. Returns the first failing entry, or else the
 * one with the largest error, with its flat index taken from `indices`.
 */
export function compareEntries(actual, expected, tolerance, indices) {
  let worst = null;
  for (let e = 0; e < expected.length; e++) {
    const error = Math.abs(actual[e] - expected[e]);
    const allowed = typeof tolerance === 'number' ? tolerance : tolerance[e];
    const entry = { index: indices[e], actual: actual[e], expected: expected[e], error, tolerance: allowed };
    if (!(error <= allowed)) return { ok: false, checked: expected.length, ...entry };
    if (!worst || error > worst.error) worst = entry;
  }
  return { ok: actual.length === expected.length, checked: expected.length, ...worst };
}

// ---- training simulations (Node) ----------------------------------------------------------

/** C = op(A) @ B for row-major float64 arrays; A is [m,k], or [k,m] read transposed. */
function gemm(A, B, m, k, n, transposeA = false) {
  const C = new Float64Array(m * n);
  for (let p = 0; p < k; p++) {
    for (let i = 0; i < m; i++) {
      const a = transposeA ? A[p * m + i] : A[i * k + p];
      if (a === 0) continue;
      const row = i * n;
      const bRow = p * n;
      for (let j = 0; j < n; j++) C[row + j] += a * B[bRow + j];
    }
  }
  return C;
}

/** C = A @ Bᵀ for A [m,k], B [n,k]. */
function gemmTransposedB(A, B, m, k, n) {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += A[i * k + p] * B[j * k + p];
      C[i * n + j] = sum;
    }
  }
  return C;
}

/**
 * Adam as each library defines it. rule 'keras' adds epsilon to sqrt(v) and folds the bias
 * corrections into the step size (keras.optimizers.Adam, webgrad, the jax-js step); 'tfjs' adds it
 * to the square root of the bias-corrected v (tf.train.adam), which acts as a smaller epsilon.
 * `float32Betas` reproduces a mistake the MLP check must catch: 1 - beta taken from float32(beta).
 */
class Adam {
  constructor(params, learningRate, { rule = 'keras', beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, float32Betas = false } = {}) {
    const oneMinus = (beta) => 1 - (float32Betas ? Math.fround(beta) : beta);
    Object.assign(this, { rule, learningRate, beta1, beta2, epsilon, step: 0, oneMinusBeta1: oneMinus(beta1), oneMinusBeta2: oneMinus(beta2) });
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  update(params, grads) {
    this.step += 1;
    const { learningRate, beta1, beta2, epsilon, step, oneMinusBeta1, oneMinusBeta2 } = this;
    const [correction1, correction2] = [1 - beta1 ** step, 1 - beta2 ** step];
    const alpha = (learningRate * Math.sqrt(correction2)) / correction1;
    params.forEach((param, index) => {
      const [g, m, v] = [grads[index], this.m[index], this.v[index]];
      for (let i = 0; i < param.length; i++) {
        m[i] += (g[i] - m[i]) * oneMinusBeta1;
        v[i] += (g[i] * g[i] - v[i]) * oneMinusBeta2;
        if (this.rule === 'keras') param[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + epsilon);
        else param[i] -= (learningRate * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + epsilon);
      }
    });
  }
}

const CLIP = 1e-7; // Keras clips probabilities to [eps, 1 - eps] inside the cross-entropies

/** Forward pass of Dense+activation layers; returns every layer's pre-activation and output. */
function denseForward(params, units, x, rows, activations) {
  const layers = [];
  let input = x;
  for (let l = 0; l + 1 < units.length; l++) {
    const [fanIn, fanOut] = [units[l], units[l + 1]];
    const z = gemm(input, params[2 * l], rows, fanIn, fanOut);
    const bias = params[2 * l + 1];
    for (let i = 0; i < z.length; i++) z[i] += bias[i % fanOut];
    const out = activations[l](z, rows, fanOut);
    layers.push({ input, z, out });
    input = out;
  }
  return layers;
}

const relu = (z) => z.map((value) => Math.max(value, 0));
const sigmoid = (z) => z.map((value) => 1 / (1 + Math.exp(-value)));
function softmax(z, rows, cols) {
  const out = new Float64Array(z.length);
  for (let r = 0; r < rows; r++) {
    const row = z.subarray(r * cols, (r + 1) * cols);
    const max = Math.max(...row);
    let total = 0;
    for (let c = 0; c < cols; c++) total += (out[r * cols + c] = Math.exp(row[c] - max));
    for (let c = 0; c < cols; c++) out[r * cols + c] /= total;
  }
  return out;
}

/** Mean categorical cross-entropy of probabilities p against one-hot y. */
function categoricalLoss(p, y, rows) {
  let total = 0;
  for (let i = 0; i < p.length; i++) if (y[i] !== 0) total -= y[i] * Math.log(Math.min(Math.max(p[i], CLIP), 1 - CLIP));
  return total / rows;
}

/** Mean binary cross-entropy of probabilities p against labels y. */
function binaryLoss(p, y) {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i], CLIP), 1 - CLIP);
    total -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
  }
  return total / p.length;
}

/**
 * Gradients of the mean loss for a Dense stack whose last layer's dLoss/dz is (p - y) / rows
 * (softmax + categorical or sigmoid + binary cross-entropy, away from the clipping bounds) and
 * whose hidden activations are relu or sigmoid.
 */
function denseBackward(params, units, layers, y, rows, hiddenDerivative) {
  const grads = new Array(params.length);
  const last = layers[layers.length - 1];
  let dz = last.out.map((p, i) => (p - y[i]) / rows);
  for (let l = layers.length - 1; l >= 0; l--) {
    const [fanIn, fanOut] = [units[l], units[l + 1]];
    grads[2 * l] = gemm(layers[l].input, dz, fanIn, rows, fanOut, true);
    const db = new Float64Array(fanOut);
    for (let i = 0; i < dz.length; i++) db[i % fanOut] += dz[i];
    grads[2 * l + 1] = db;
    if (l === 0) break;
    const dh = gemmTransposedB(dz, params[2 * l], rows, fanOut, fanIn);
    const below = layers[l - 1];
    dz = dh.map((value, i) => value * hiddenDerivative(below.z[i], below.out[i]));
  }
  return grads;
}

/**
 * The MLP workload in float64: the loss over all samples before training and after `steps`
 * Adam steps (`adamRule`, see Adam) on consecutive, unshuffled batches (what each library runs as
 * its warm-up epoch). `mistake` trains the way a broken library would, to size the check's tolerance
 * (bench/check-sensitivity.mjs): 'float32Betas' (1 - beta from float32 betas), 'epsilon1e-8',
 * 'shuffled' (batches drawn from a seeded permutation), 'misaligned' (labels one sample off).
 */
export function simulateMlp({ x, y, weights, units, batchSize, steps, learningRate, adamRule = 'keras', mistake = 'none' }) {
  const params = weights.map((w) => f64(w.values));
  const [features, classes] = [units[0], units[units.length - 1]];
  const samples = x.length / features;
  const [x64, y64] = [f64(x), f64(y)];
  const activations = [relu, relu, softmax];
  const fullLoss = () => categoricalLoss(denseForward(params, units, x64, samples, activations).at(-1).out, y64, samples);
  const initialLoss = fullLoss();
  const adam = new Adam(params, learningRate, { rule: adamRule, float32Betas: mistake === 'float32Betas', epsilon: mistake === 'epsilon1e-8' ? 1e-8 : 1e-7 });
  const order = trainingOrder(samples, mistake);
  const [xTrain, yTrain] = [gatherRows(x64, features, order.x), gatherRows(y64, classes, order.y)];
  for (let step = 0; step < steps; step++) {
    const start = (step * batchSize) % samples;
    const rows = Math.min(batchSize, samples - start);
    const xb = xTrain.subarray(start * features, (start + rows) * features);
    const yb = yTrain.subarray(start * classes, (start + rows) * classes);
    const layers = denseForward(params, units, xb, rows, activations);
    adam.update(params, denseBackward(params, units, layers, yb, rows, (z) => (z > 0 ? 1 : 0)));
  }
  return { initialLoss, trainedLoss: fullLoss() };
}

/** The sample order of x and of y in training: the identity, or one of the mistakes above. */
function trainingOrder(samples, mistake) {
  const identity = Array.from({ length: samples }, (_, i) => i);
  if (mistake === 'misaligned') return { x: identity, y: identity.map((i) => (i + 1) % samples) };
  if (mistake !== 'shuffled') return { x: identity, y: identity };
  const random = mulberry32(12345); // any seed: only "not the data's order" matters
  const shuffled = identity.slice();
  for (let i = samples - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return { x: shuffled, y: shuffled };
}

/** Rows `order` of a row-major matrix with `cols` columns. */
function gatherRows(values, cols, order) {
  const out = new Float64Array(order.length * cols);
  order.forEach((row, r) => out.set(values.subarray(row * cols, (row + 1) * cols), r * cols));
  return out;
}

/** The reference workload in float64: the loss after `epochs` full-batch Adam steps (`adamRule`, see Adam). */
export function simulateReference({ x, y, weights, units, epochs, learningRate, adamRule = 'keras' }) {
  const params = weights.map((w) => f64(w.values));
  const samples = y.length;
  const [x64, y64] = [f64(x), f64(y)];
  const activations = [sigmoid, sigmoid];
  const adam = new Adam(params, learningRate, { rule: adamRule });
  const loss = () => binaryLoss(denseForward(params, units, x64, samples, activations).at(-1).out, y64);
  const initialLoss = loss();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const layers = denseForward(params, units, x64, samples, activations);
    adam.update(params, denseBackward(params, units, layers, y64, samples, (_, out) => out * (1 - out)));
  }
  return { initialLoss, trainedLoss: loss() };
}

/** Layer normalization of each `cols`-wide row in float64 (biased variance, epsilon inside the root). */
function layerNormRows(x, cols, gamma, beta, epsilon) {
  const out = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += cols) {
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += x[start + c] / cols;
    let variance = 0;
    for (let c = 0; c < cols; c++) variance += (x[start + c] - mean) ** 2 / cols;
    const scale = 1 / Math.sqrt(variance + epsilon);
    for (let c = 0; c < cols; c++) out[start + c] = (x[start + c] - mean) * scale * gamma[c] + beta[c];
  }
  return out;
}

/** x [rows, in] · kernel [in, out] + bias, in float64. */
function linear64(x, rows, kernel, bias, inputs, outputs) {
  const y = gemm(x, kernel, rows, inputs, outputs);
  for (let i = 0; i < y.length; i++) y[i] += bias[i % outputs];
  return y;
}

/** GELU's tanh form (Keras's approximate=True, webgrad's geluTanh). */
const geluTanh = (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/**
 * Multi-head self-attention of one sequence in float64: q, k, v [T, heads·depth] (head h in
 * columns h·depth…), softmax(q·kᵀ/√depth) over keys 0..i for query i (every key unless `causal`),
 * heads side by side.
 */
function selfAttention(q, k, v, length, heads, depth, causal) {
  const width = heads * depth;
  const out = new Float64Array(length * width);
  const scores = new Float64Array(length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < length; i++) {
      const last = causal ? i : length - 1;
      let max = -Infinity;
      for (let j = 0; j <= last; j++) {
        let dot = 0;
        for (let d = 0; d < depth; d++) dot += q[i * width + h * depth + d] * k[j * width + h * depth + d];
        scores[j] = dot / Math.sqrt(depth);
        max = Math.max(max, scores[j]);
      }
      let total = 0;
      for (let j = 0; j <= last; j++) total += (scores[j] = Math.exp(scores[j] - max));
      for (let j = 0; j <= last; j++) {
        for (let d = 0; d < depth; d++) out[i * width + h * depth + d] += (scores[j] / total) * v[j * width + h * depth + d];
      }
    }
  }
  return out;
}

/**
 * The transformer workload's loss on one batch before any training, in float64: token embeddings
 * plus positions, `layers` pre-norm causal blocks (x + MHA(LN(x)), then + Dense(geluTanh(Dense(LN)))),
 * a final LayerNorm, the Dense head, and the mean sparse cross-entropy of the logits against the
 * next-token targets. `weights` as bench/inputs.js transformerWeights gives them (getWeights order).
 * `mistake` computes it the way a broken implementation would (bench/check-sensitivity.mjs).
 */
export function simulateTransformerLoss({ weights, model, inputs, targets, epsilon = 1e-5, mistake = 'none' }) {
  const { vocabularySize, dim, heads, layers, ffDim, contextLength: length } = model;
  const depth = dim / heads;
  const batch = inputs.length / length;
  let index = 0;
  const next = () => f64(weights[index++].values);
  const norm = (x, gamma, beta) => layerNormRows(x, dim, gamma, beta, mistake === 'layerNormEpsilon1e-3' ? 1e-3 : epsilon);
  const gelu = mistake === 'exactGelu' ? (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)) : geluTanh;
  const [tokens, positions] = [next(), next()];
  const rows = batch * length;
  let x = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < dim; c++) x[r * dim + c] = tokens[inputs[r] * dim + c] + positions[(r % length) * dim + c];
  }
  for (let layer = 0; layer < layers; layer++) {
    const normed = norm(x, next(), next());
    const [q, k, v] = [0, 1, 2].map(() => linear64(normed, rows, next(), next(), dim, dim));
    const attended = new Float64Array(rows * dim);
    for (let b = 0; b < batch; b++) {
      const part = (t) => t.subarray(b * length * dim, (b + 1) * length * dim);
      attended.set(selfAttention(part(q), part(k), part(v), length, heads, depth, mistake !== 'noCausalMask'), b * length * dim);
    }
    const projected = linear64(attended, rows, next(), next(), dim, dim);
    x = x.map((value, i) => value + projected[i]);
    const hidden = linear64(norm(x, next(), next()), rows, next(), next(), dim, ffDim).map(gelu);
    const out = linear64(hidden, rows, next(), next(), ffDim, dim);
    x = x.map((value, i) => value + out[i]);
  }
  const logits = linear64(norm(x, next(), next()), rows, next(), next(), dim, vocabularySize);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * vocabularySize, (r + 1) * vocabularySize);
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((sum, value) => sum + Math.exp(value - max), 0));
    total += logSum - row[targets[r]];
  }
  return total / rows;
}

/** erf to about 1e-7 (Abramowitz and Stegun 7.1.26), only for the exact-GELU mistake. */
function erf(x) {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return Math.sign(x) * y;
}
