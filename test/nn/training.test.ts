// fit end to end: seeded runs repeat bit for bit (initializers, shuffling and dropout all draw from
// the seeded generator), and small real problems generated here are learned: two moons to ≥ 95%
// accuracy, a noisy sine to an MSE set by the noise variance. Accuracy and MSE are recomputed in
// float64 from the model's predictions, not taken from evaluate alone.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32, type Rng } from '../reference';
import { binaryAccuracy, meanSquaredError } from './dense-reference';

const gpu = useGpuPage();

function gaussian(rng: Rng): number {
  // Box–Muller; 1 − u keeps the log's argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** scikit-learn's make_moons: two interleaved half circles with Gaussian noise, rows shuffled. */
function makeMoons(n: number, noise: number, seed: number): { x: number[][]; y: number[] } {
  const rng = mulberry32(seed);
  const rows: { x: number[]; y: number }[] = [];
  for (let i = 0; i < n; i++) {
    const upper = i % 2 === 0;
    const t = Math.PI * rng();
    const [a, b] = upper ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    rows.push({ x: [a + noise * gaussian(rng), b + noise * gaussian(rng)], y: upper ? 0 : 1 });
  }
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return { x: rows.map((row) => row.x), y: rows.map((row) => row.y) };
}

describe('reproducibility', () => {
  it('the same seed repeats the loss history bit for bit (shuffled batches, dropout); another seed does not', async () => {
    const rng = mulberry32(21);
    const x = Array.from({ length: 40 }, () => [gaussian(rng), gaussian(rng), gaussian(rng)]);
    const y = x.map(([a, b, c]) => (a * b + c > 0 ? 1 : 0));
    const out = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      const run = async (seed: number, shuffle: boolean) => {
        wg.setSeed(seed);
        const model = new wg.Sequential([
          new wg.layers.Dense(8, { activation: 'relu', inputShape: [3] }),
          new wg.layers.Dropout(0.2),
          new wg.layers.Dense(1, { activation: 'sigmoid' }),
        ]);
        model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
        // 40 samples in batches of 8: five batches per epoch, reshuffled every epoch.
        const history = await model.fit(x, y, { epochs: 6, batchSize: 8, shuffle, verbose: 0 });
        const weights = model.getWeights();
        const finalWeights = await Promise.all(weights.map((w) => w.data()));
        weights.forEach((w) => w.dispose());
        model.dispose();
        return { loss: history.loss, accuracy: history.accuracy, finalWeights };
      };
      const result = { first: await run(42, true), again: await run(42, true), otherSeed: await run(43, true), unshuffled: await run(42, false) };
      x.dispose();
      y.dispose();
      return result;
    }, { x, y });
    expect(out.first.loss).toHaveLength(6);
    // toEqual compares numbers with Object.is: bit-identical floats.
    expect(out.again.loss).toEqual(out.first.loss);
    expect(out.again.accuracy).toEqual(out.first.accuracy);
    out.again.finalWeights.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(out.first.finalWeights[i])));
    expect(out.otherSeed.loss).not.toEqual(out.first.loss);
    // Same initial weights, batches in file order: a different history, so shuffling did happen.
    expect(out.unshuffled.loss[0]).not.toEqual(out.first.loss[0]);
  });
});

describe('learning small problems', () => {
  it('two moons (400 points, noise 0.1): Dense relu layers with Adam reach ≥ 95% accuracy', async () => {
    const train = makeMoons(400, 0.1, 1);
    const test = makeMoons(200, 0.1, 2);
    const out = await gpu.run(async (wg, { train, test }) => {
      wg.setSeed(1);
      const model = new wg.Sequential([
        new wg.layers.Dense(16, { activation: 'relu', inputShape: [2] }),
        new wg.layers.Dense(16, { activation: 'relu' }),
        new wg.layers.Dense(1, { activation: 'sigmoid' }),
      ]);
      model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const x = wg.tensor(train.x);
      const y = wg.tensor(train.y.map((v) => [v]));
      const xTest = wg.tensor(test.x);
      const started = performance.now();
      const history = await model.fit(x, y, { epochs: 50, batchSize: 32, verbose: 0 });
      const seconds = (performance.now() - started) / 1000;
      const evaluated = await model.evaluate(x, y);
      const trainPredictions = model.predict(x);
      const testPredictions = model.predict(xTest);
      const result = { seconds, evaluated, firstLoss: history.loss[0], trainPredictions: await trainPredictions.data(), testPredictions: await testPredictions.data() };
      [x, y, xTest, trainPredictions, testPredictions].forEach((t) => t.dispose());
      model.dispose();
      return result;
    }, { train, test });
    const trainAccuracy = binaryAccuracy(out.trainPredictions, train.y);
    const testAccuracy = binaryAccuracy(out.testPredictions, test.y);
    console.log(`moons: 50 epochs × 13 batches in ${out.seconds.toFixed(1)} s; loss ${out.firstLoss.toFixed(3)} → ${out.evaluated.loss.toFixed(4)}, train accuracy ${trainAccuracy}, test accuracy ${testAccuracy}`);
    expect(out.evaluated.accuracy).toBe(trainAccuracy);
    expect(trainAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(testAccuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('noisy sine (σ = 0.1): MSE on the training data below 2σ², and close to the noise-free curve', async () => {
    const sigma = 0.1;
    const rng = mulberry32(5);
    const xs = Array.from({ length: 256 }, () => Math.PI * (2 * rng() - 1));
    const ys = xs.map((v) => Math.sin(v) + sigma * gaussian(rng));
    const grid = Array.from({ length: 101 }, (_, i) => -Math.PI + (2 * Math.PI * i) / 100);
    const out = await gpu.run(async (wg, { xs, ys, grid }) => {
      wg.setSeed(2);
      const model = new wg.Sequential([
        new wg.layers.Dense(32, { activation: 'tanh', inputShape: [1] }),
        new wg.layers.Dense(32, { activation: 'tanh' }),
        new wg.layers.Dense(1),
      ]);
      model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.01 }), loss: 'mse' });
      const x = wg.tensor(xs, [xs.length, 1]);
      const y = wg.tensor(ys, [ys.length, 1]);
      const xGrid = wg.tensor(grid, [grid.length, 1]);
      const started = performance.now();
      await model.fit(x, y, { epochs: 150, batchSize: 32, verbose: 0 });
      const seconds = (performance.now() - started) / 1000;
      const { loss } = await model.evaluate(x, y);
      const predictions = model.predict(x);
      const onGrid = model.predict(xGrid);
      const result = { seconds, loss, predictions: await predictions.data(), onGrid: await onGrid.data() };
      [x, y, xGrid, predictions, onGrid].forEach((t) => t.dispose());
      model.dispose();
      return result;
    }, { xs, ys, grid });
    const trainMse = meanSquaredError(out.predictions, ys);
    const curveMse = meanSquaredError(out.onGrid, grid.map(Math.sin));
    console.log(`sine: 150 epochs × 8 batches in ${out.seconds.toFixed(1)} s; train MSE ${trainMse.toFixed(5)} (σ² = ${(sigma ** 2).toFixed(2)}), MSE to sin on a grid ${curveMse.toFixed(5)}`);
    // evaluate's float32 mean of 256 squares against the float64 one: agreement to 1e-5 relative.
    expect(out.loss).toBeCloseTo(trainMse, 5);
    // A perfect fit of sin leaves the noise, MSE ≈ σ²; underfitting (a line) leaves ≈ 0.2.
    expect(trainMse).toBeLessThan(2 * sigma ** 2);
    // It learned the curve, not the noise: off the training points it is within σ² of sin.
    expect(curveMse).toBeLessThan(sigma ** 2);
  });
});
