// Optimizer precision with decay rates close to 1 (β₁ = 0.9999, β₂ = ρ = 0.99999, momentum 0.9999),
// where a constant like 1 − β must be exact to double precision before float32 rounds it once:
// 16 steps of every optimizer, through applyGradients with known gradients and through fit on a
// tiny Dense model, against float64 replays of Keras 3's rules (./keras-rules.ts).
import { describe, expect, it } from 'vitest';
import type { Optimizer } from '../../src/optim';
import { useGpuPage } from '../harness/gpu-page';
import { dense, matrix } from '../nn/dense-reference';
import { expectClose, mulberry32, randomUniform, type Rng } from '../reference';
import { kerasRule, type Kind, type Options, type State } from './keras-rules';

const gpu = useGpuPage();

const STEPS = 16;

interface PrecisionCase {
  label: string;
  kind: Kind;
  options: Options;
}

// Step sizes chosen so that 16 steps move the weights by 0.02-1, far above float32 rounding.
const cases: PrecisionCase[] = [
  { label: 'SGD', kind: 'SGD', options: { learningRate: 0.01 } },
  { label: 'SGD momentum 0.9999', kind: 'SGD', options: { learningRate: 0.01, momentum: 0.9999 } },
  { label: 'SGD Nesterov 0.9999', kind: 'SGD', options: { learningRate: 0.01, momentum: 0.9999, nesterov: true } },
  { label: 'Adam β₁ 0.9999 β₂ 0.99999', kind: 'Adam', options: { learningRate: 0.01, beta1: 0.9999, beta2: 0.99999 } },
  { label: 'Adam AMSGrad β₁ 0.9999 β₂ 0.99999', kind: 'Adam', options: { learningRate: 0.01, beta1: 0.9999, beta2: 0.99999, amsgrad: true } },
  { label: 'AdamW β₁ 0.9999 β₂ 0.99999', kind: 'AdamW', options: { learningRate: 0.01, beta1: 0.9999, beta2: 0.99999, weightDecay: 0.1 } },
  { label: 'RMSprop ρ 0.99999', kind: 'RMSprop', options: { learningRate: 1e-4, rho: 0.99999 } },
  { label: 'RMSprop ρ 0.99999 centered, momentum 0.9', kind: 'RMSprop', options: { learningRate: 1e-4, rho: 0.99999, momentum: 0.9, centered: true } },
  { label: 'Adagrad', kind: 'Adagrad', options: { learningRate: 0.01 } },
];

/**
 * GPU weights against float64 ones after 16 steps, compared by how far each weight moved:
 * |(w − w₀) − (w₆₄ − w₀)| ≤ 1e-5·|w₆₄ − w₀| + 2⁻²⁰·max|w₀|. The absolute part is float32's own
 * rounding of the stored weight, half an ulp (2⁻²⁵·|w| for |w| < 1) twice a step (decay, update)
 * for 16 steps; the relative part allows a few float32 roundings inside each update, ~1e-6. The
 * bug this guards against, 1 − β or 1 − ρ rounded from a float32 β or ρ, scales v by 1 ± 1.4e-3
 * at 0.99999 and so every step by ∓7e-4: 70 times this tolerance.
 */
function expectReplayed(actual: ArrayLike<number>, expected: ArrayLike<number>, initial: ArrayLike<number>, label: string): void {
  const moved = (values: ArrayLike<number>): number[] => Array.from(values, (value, i) => value - initial[i]);
  const scale = Math.max(...Array.from(initial, Math.abs), 1);
  expectClose(moved(actual), moved(expected), { rtol: 1e-5, atol: 2 ** -20 * scale }, label);
}

function randomValues(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => randomUniform(rng, lo, hi));
}

/** Applies Keras's rule in float64 to each of `params` with its gradients, at 1-based step `step`. */
function referenceStep(c: PrecisionCase, params: Float64Array[], grads: Float64Array[], states: State[], step: number): void {
  const { rule } = kerasRule(c.kind, c.options);
  params.forEach((p, k) => rule(p, grads[k], states[k], step));
}

describe('applyGradients with known gradients, decay rates near 1, 16 steps', () => {
  // [130]: 32 full vec4 lanes and a partial one, over more than one workgroup of 64 lanes would need.
  const SIZE = 130;
  const rng = mulberry32(90);
  const initial = randomValues(rng, SIZE, -1, 1);
  // A steady direction per element plus noise: the moments build up as in training.
  const direction = randomValues(rng, SIZE, -1, 1);
  const grads = Array.from({ length: STEPS }, () => Float32Array.from(direction, (d) => d + randomUniform(rng, -0.5, 0.5)));

  let runs: number[][] = [];

  it('runs every optimizer on the GPU', async () => {
    runs = await gpu.run(async (wg, { all, initial, grads }) => {
      const { SGD, Adam, AdamW, RMSprop, Adagrad } = wg.optimizers;
      const create = (kind: Kind, options: Options): Optimizer =>
        kind === 'SGD' ? new SGD(options) : kind === 'Adam' ? new Adam(options) : kind === 'AdamW' ? new AdamW(options) : kind === 'RMSprop' ? new RMSprop(options) : new Adagrad(options);
      const out: number[][] = [];
      for (const c of all) {
        const param = wg.variable(wg.tensor(initial));
        const optimizer = create(c.kind, c.options);
        for (const values of grads) {
          const grad = wg.tensor(values);
          optimizer.applyGradients([param], [grad]);
          grad.dispose();
        }
        out.push(Array.from(await param.data()));
        optimizer.dispose();
        param.dispose();
      }
      return out;
    }, { all: cases, initial, grads });
    expect(runs).toHaveLength(cases.length);
  });

  cases.forEach((c, index) => {
    it(c.label, () => {
      const { initialState } = kerasRule(c.kind, c.options);
      const params = [Float64Array.from(initial)];
      const states = [initialState(SIZE)];
      grads.forEach((g, s) => referenceStep(c, params, [Float64Array.from(g)], states, s + 1));
      expectReplayed(runs[index], params[0], initial, c.label);
      // The comparison can fail: the weights moved far more than the tolerance.
      expect(Math.max(...params[0].map((value, i) => Math.abs(value - initial[i])))).toBeGreaterThan(0.02);
    });
  });
});

describe('fit replayed in float64: Dense(2) on 4 features, MSE, 8 samples in batches of 4, 8 epochs', () => {
  const [SAMPLES, FEATURES, UNITS, BATCH, EPOCHS] = [8, 4, 2, 4, 8];
  const rng = mulberry32(91);
  const x = randomValues(rng, SAMPLES * FEATURES, -1, 1);
  const y = randomValues(rng, SAMPLES * UNITS, -1, 1);
  const kernel = randomValues(rng, FEATURES * UNITS, -1, 1);
  const bias = randomValues(rng, UNITS, -0.5, 0.5);

  interface FitRun {
    weights: number[][];
    epochs: number;
    iterations: number;
  }
  let runs: FitRun[] = [];

  it('fits with every optimizer on the GPU', async () => {
    runs = await gpu.run(async (wg, { all, x, y, kernel, bias, shape }) => {
      const { SGD, Adam, AdamW, RMSprop, Adagrad } = wg.optimizers;
      const create = (kind: Kind, options: Options): Optimizer =>
        kind === 'SGD' ? new SGD(options) : kind === 'Adam' ? new Adam(options) : kind === 'AdamW' ? new AdamW(options) : kind === 'RMSprop' ? new RMSprop(options) : new Adagrad(options);
      const xs = wg.tensor(x, [shape.samples, shape.features]);
      const ys = wg.tensor(y, [shape.samples, shape.units]);
      const out: FitRun[] = [];
      for (const c of all) {
        const model = new wg.Sequential([new wg.layers.Dense(shape.units, { inputShape: [shape.features] })]);
        const optimizer = create(c.kind, c.options);
        model.compile({ optimizer, loss: 'mse' });
        const start = [wg.tensor(kernel, [shape.features, shape.units]), wg.tensor(bias)];
        model.setWeights(start);
        start.forEach((t) => t.dispose());
        const history = await model.fit(xs, ys, { epochs: shape.epochs, batchSize: shape.batch, shuffle: false, verbose: 0 });
        const weights = await Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
        out.push({ weights, epochs: history.epoch.length, iterations: optimizer.iterations });
        model.dispose();
      }
      xs.dispose();
      ys.dispose();
      return out;
    }, { all: cases, x, y, kernel, bias, shape: { samples: SAMPLES, features: FEATURES, units: UNITS, batch: BATCH, epochs: EPOCHS } });
    expect(runs).toHaveLength(cases.length);
  });

  /** Kernel and bias after `fit` in float64: Keras's MSE gradient 2(ŷ − y)/(rows·units), batches in order. */
  function replayFit(c: PrecisionCase): Float64Array[] {
    const { initialState } = kerasRule(c.kind, c.options);
    const params = [Float64Array.from(kernel), Float64Array.from(bias)];
    const states = params.map((p) => initialState(p.length));
    let step = 0;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      for (let start = 0; start < SAMPLES; start += BATCH) {
        const xb = matrix(BATCH, FEATURES, x.subarray(start * FEATURES, (start + BATCH) * FEATURES));
        const prediction = dense(xb, matrix(FEATURES, UNITS, params[0]), params[1], 'linear').data;
        const dPrediction = prediction.map((value, i) => (2 * (value - y[start * UNITS + i])) / (BATCH * UNITS));
        const dKernel = new Float64Array(FEATURES * UNITS);
        const dBias = new Float64Array(UNITS);
        for (let r = 0; r < BATCH; r++) {
          for (let u = 0; u < UNITS; u++) {
            dBias[u] += dPrediction[r * UNITS + u];
            for (let f = 0; f < FEATURES; f++) dKernel[f * UNITS + u] += xb.data[r * FEATURES + f] * dPrediction[r * UNITS + u];
          }
        }
        referenceStep(c, params, [dKernel, dBias], states, ++step);
      }
    }
    return params;
  }

  cases.forEach((c, index) => {
    it(c.label, () => {
      const run = runs[index];
      expect(run.epochs).toBe(EPOCHS);
      expect(run.iterations).toBe(STEPS);
      const [expectedKernel, expectedBias] = replayFit(c);
      expectReplayed(run.weights[0], expectedKernel, kernel, `${c.label} kernel`);
      expectReplayed(run.weights[1], expectedBias, bias, `${c.label} bias`);
      expect(Math.max(...expectedKernel.map((value, i) => Math.abs(value - kernel[i])))).toBeGreaterThan(0.02);
    });
  });
});
