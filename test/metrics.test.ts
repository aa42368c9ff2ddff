// Metrics against float64 CPU references, Keras's resolution of 'accuracy' from the loss (and from
// shapes when the loss does not decide), metric names, and that metrics never record on a tape.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../src/index';
import { useGpuPage } from './harness/gpu-page';
import { expectClose, mulberry32, randomInt, randomUniform, type Rng } from './reference';

interface Values { shape: number[]; dtype: 'float32' | 'int32'; values: Float32Array | Int32Array }

interface MetricCase {
  label: string;
  /** A metric identifier for getMetric, resolved against `lossName`. */
  metric: string;
  lossName: string;
  /** Only for binaryAccuracy called directly with a threshold. */
  threshold?: number;
  yTrue: Values;
  yPred: Values;
}

interface MetricResult { name: string; shape: number[]; value: number; recordedOps: number; leakedTensors: number }

const gpu = useGpuPage();

// ---- float64 references ---------------------------------------------------------------------------

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Index of the first largest entry of each row (last axis). */
function argmaxRows(data: ArrayLike<number>, classes: number): number[] {
  return Array.from({ length: data.length / classes }, (_, r) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (data[r * classes + c] > data[r * classes + best]) best = c;
    return best;
  });
}

const referenceMetrics = {
  binary: (z: number[], p: number[], threshold = 0.5): number => mean(p.map((value, i) => (z[i] === (value > threshold ? 1 : 0) ? 1 : 0))),
  categorical: (z: number[], p: number[], classes: number): number => {
    const truth = argmaxRows(z, classes);
    return mean(argmaxRows(p, classes).map((k, r) => (k === truth[r] ? 1 : 0)));
  },
  sparse: (labels: number[], p: number[], classes: number): number => mean(argmaxRows(p, classes).map((k, r) => (k === labels[r] ? 1 : 0))),
  mse: (z: number[], p: number[]): number => mean(p.map((value, i) => (value - z[i]) ** 2)),
  mae: (z: number[], p: number[]): number => mean(p.map((value, i) => Math.abs(value - z[i]))),
};

function expectedValue(c: MetricCase): number {
  const z = Array.from(c.yTrue.values);
  const p = Array.from(c.yPred.values);
  const classes = c.yPred.shape[c.yPred.shape.length - 1];
  const kind = c.label.split(':')[0];
  if (kind === 'binary') return referenceMetrics.binary(z, p, c.threshold);
  if (kind === 'categorical') return referenceMetrics.categorical(z, p, classes);
  if (kind === 'sparse') return referenceMetrics.sparse(z, p, classes);
  if (kind === 'mse') return referenceMetrics.mse(z, p);
  if (kind === 'mae') return referenceMetrics.mae(z, p);
  throw new Error(`no reference for ${c.label}`);
}

// ---- cases ----------------------------------------------------------------------------------------

const floats = (shape: number[], values: ArrayLike<number>): Values => ({ shape, dtype: 'float32', values: Float32Array.from(values) });
const ints = (shape: number[], values: ArrayLike<number>): Values => ({ shape, dtype: 'int32', values: Int32Array.from(values) });
const uniform = (rng: Rng, n: number, lo = 0, hi = 1): number[] => Array.from({ length: n }, () => randomUniform(rng, lo, hi));
const labels = (rng: Rng, n: number, classes: number): number[] => Array.from({ length: n }, () => randomInt(rng, 0, classes - 1));
const oneHotRows = (ks: number[], classes: number): number[] => ks.flatMap((k) => Array.from({ length: classes }, (_, c) => (c === k ? 1 : 0)));

function metricCases(): MetricCase[] {
  const rng = mulberry32(99);
  // Labels drawn first so that predictions match them about half the time.
  const classLabels = labels(rng, 12, 4);
  const nearLabels = (ks: number[], classes: number): number[] =>
    ks.flatMap((k) => Array.from({ length: classes }, (_, c) => randomUniform(rng, 0, 1) + (c === k && rng() < 0.5 ? 1 : 0)));
  const bits = labels(rng, 10, 2);
  return [
    // The label before ':' names the reference; 0.5 exactly is not above the threshold.
    { label: 'binary: accuracy from binary_crossentropy', metric: 'accuracy', lossName: 'binary_crossentropy', yTrue: floats([10, 1], bits), yPred: floats([10, 1], [...uniform(rng, 8), 0.5, 0.5]) },
    { label: 'binary: acc from binaryCrossentropy, yTrue [10] vs [10,1]', metric: 'acc', lossName: 'binaryCrossentropy', yTrue: floats([10], bits), yPred: floats([10, 1], uniform(rng, 10)) },
    { label: 'binary: multi-label [4,3] from binary_crossentropy', metric: 'accuracy', lossName: 'binary_crossentropy', yTrue: ints([4, 3], labels(rng, 12, 2)), yPred: floats([4, 3], uniform(rng, 12)) },
    { label: 'binary: threshold 0.7', metric: 'binaryAccuracy', lossName: 'mse', threshold: 0.7, yTrue: floats([10], bits), yPred: floats([10], uniform(rng, 10)) },
    { label: 'binary: from shapes (mse loss, one column)', metric: 'accuracy', lossName: 'mse', yTrue: floats([10, 1], bits), yPred: floats([10, 1], uniform(rng, 10)) },
    { label: 'categorical: from categorical_crossentropy', metric: 'accuracy', lossName: 'categorical_crossentropy', yTrue: floats([12, 4], oneHotRows(classLabels, 4)), yPred: floats([12, 4], nearLabels(classLabels, 4)) },
    { label: 'categorical: categorical_accuracy [2,6,4]', metric: 'categorical_accuracy', lossName: 'mse', yTrue: floats([2, 6, 4], oneHotRows(classLabels, 4)), yPred: floats([2, 6, 4], nearLabels(classLabels, 4)) },
    { label: 'categorical: from shapes (custom loss)', metric: 'accuracy', lossName: 'my_loss', yTrue: floats([12, 4], oneHotRows(classLabels, 4)), yPred: floats([12, 4], nearLabels(classLabels, 4)) },
    { label: 'sparse: from sparse_categorical_crossentropy', metric: 'accuracy', lossName: 'sparse_categorical_crossentropy', yTrue: ints([12], classLabels), yPred: floats([12, 4], nearLabels(classLabels, 4)) },
    { label: 'sparse: labels [12,1], camelCase loss name', metric: 'accuracy', lossName: 'sparseCategoricalCrossentropy', yTrue: ints([12, 1], classLabels), yPred: floats([12, 4], nearLabels(classLabels, 4)) },
    { label: 'sparse: float labels, sparse_categorical_accuracy', metric: 'sparseCategoricalAccuracy', lossName: 'mse', yTrue: floats([12], classLabels), yPred: floats([12, 4], nearLabels(classLabels, 4)) },
    { label: 'sparse: from shapes (custom loss, labels [12,1])', metric: 'accuracy', lossName: 'my_loss', yTrue: ints([12, 1], classLabels), yPred: floats([12, 4], nearLabels(classLabels, 4)) },
    { label: 'mse: metric', metric: 'mse', lossName: 'mae', yTrue: floats([3, 4], uniform(rng, 12, -2, 2)), yPred: floats([3, 4], uniform(rng, 12, -2, 2)) },
    { label: 'mse: mean_squared_error, [5] vs [5,1]', metric: 'mean_squared_error', lossName: 'mae', yTrue: floats([5], uniform(rng, 5)), yPred: floats([5, 1], uniform(rng, 5)) },
    { label: 'mae: MAE', metric: 'MAE', lossName: 'mse', yTrue: floats([70], uniform(rng, 70, -2, 2)), yPred: floats([70], uniform(rng, 70, -2, 2)) },
    { label: 'mae: meanAbsoluteError', metric: 'meanAbsoluteError', lossName: 'mse', yTrue: floats([4], uniform(rng, 4)), yPred: floats([4], uniform(rng, 4)) },
  ];
}

function runCases(cases: MetricCase[]): Promise<MetricResult[]> {
  return gpu.run(async (wg, all) => {
    const results: MetricResult[] = [];
    for (const c of all) {
      const before = wg.memory().numTensors;
      const yTrue = wg.tensor(c.yTrue.values, c.yTrue.shape, c.yTrue.dtype);
      const yPred = wg.tensor(c.yPred.values, c.yPred.shape, c.yPred.dtype);
      const { name, fn } = wg.metrics.getMetric(c.metric, c.lossName);
      // Metrics run while a tape records (as in a training step) but must add nothing to it.
      const tape = new wg.Tape();
      const value: Tensor = tape.record(() =>
        c.threshold === undefined ? fn(yTrue, yPred) : wg.metrics.binaryAccuracy(yTrue, yPred, c.threshold),
      );
      const recordedOps = tape.size;
      tape.dispose();
      results.push({ name, shape: [...value.shape], value: (await value.data())[0], recordedOps, leakedTensors: 0 });
      [yTrue, yPred, value].forEach((t) => t.dispose());
      results[results.length - 1].leakedTensors = wg.memory().numTensors - before;
    }
    return results;
  }, cases);
}

describe('metrics match float64 references', () => {
  const cases = metricCases();
  let results: MetricResult[] = [];

  it('runs every case on the GPU', async () => {
    results = await runCases(cases);
    expect(results).toHaveLength(cases.length);
  });

  cases.forEach((c, index) => {
    it(c.label, () => {
      const result = results[index];
      expect(result.shape).toEqual([]);
      expect(result.recordedOps).toBe(0);
      expect(result.leakedTensors).toBe(0);
      expect(result.name).toBe(c.metric);
      // Accuracies are k/n, exact up to float32 division; mse/mae are float32 means of ≤ 70 terms.
      expectClose([result.value], [expectedValue(c)], { rtol: 1e-6, atol: 1e-7 }, c.label);
    });
  });

  it('accuracies are neither all 0 nor all 1 (the comparisons can fail)', () => {
    const accuracies = results.filter((_, i) => /^(binary|categorical|sparse)/.test(cases[i].label)).map((r) => r.value);
    expect(accuracies.every((value) => value > 0 && value < 1)).toBe(true);
  });
});

describe('getMetric', () => {
  it("resolves 'accuracy' from the loss name as Keras does, and other names in snake and camel case", async () => {
    const result = await gpu.run((wg) => {
      const { getMetric, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, accuracyFromShapes } = wg.metrics;
      const which = (fn: unknown): string =>
        fn === binaryAccuracy ? 'binary' : fn === categoricalAccuracy ? 'categorical' : fn === sparseCategoricalAccuracy ? 'sparse' : fn === accuracyFromShapes ? 'shapes' : 'other';
      const custom = (a: Tensor, b: Tensor): Tensor => wg.sub(a, b);
      return {
        accuracy: [
          ['accuracy', 'binary_crossentropy'], ['acc', 'binaryCrossentropy'], ['Accuracy', 'categorical_crossentropy'],
          ['accuracy', 'categoricalCrossentropy'], ['accuracy', 'sparse_categorical_crossentropy'], ['accuracy', 'SparseCategoricalCrossentropy'],
          ['accuracy', 'mse'], ['accuracy', 'custom'],
        ].map(([metric, loss]) => which(getMetric(metric, loss).fn)),
        named: ['binary_accuracy', 'binaryAccuracy', 'categorical_accuracy', 'categoricalAccuracy', 'sparse_categorical_accuracy', 'sparseCategoricalAccuracy']
          .map((metric) => which(getMetric(metric, 'mse').fn)),
        functionNames: [binaryAccuracy, sparseCategoricalAccuracy, custom].map((fn) => getMetric(fn, 'mse').name),
      };
    });
    expect(result.accuracy).toEqual(['binary', 'binary', 'categorical', 'categorical', 'sparse', 'sparse', 'shapes', 'shapes']);
    expect(result.named).toEqual(['binary', 'binary', 'categorical', 'categorical', 'sparse', 'sparse']);
    expect(result.functionNames).toEqual(['binary_accuracy', 'sparse_categorical_accuracy', 'custom']);
  });

  it('names the known metrics when one is unknown, and checks shapes', async () => {
    const errors = await gpu.run((wg) => {
      const caught = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      return {
        unknown: caught(() => wg.metrics.getMetric('precision', 'mse')),
        categorical: caught(() => wg.metrics.categoricalAccuracy(wg.zeros([4]), wg.zeros([4, 3]))),
        sparse: caught(() => wg.metrics.sparseCategoricalAccuracy(wg.zeros([4, 2]), wg.zeros([4, 3]))),
      };
    });
    expect(errors.unknown).toMatch(/^ValueError: getMetric: unknown metric "precision"; known: accuracy, acc, mean_squared_error, meanSquaredError, mse, .*binary_accuracy.*sparseCategoricalAccuracy/);
    expect(errors.categorical).toBe("ShapeError: categoricalAccuracy: yTrue [4] must have yPred's shape [4,3] (rank ≥ 1, classes last)");
    expect(errors.sparse).toMatch(/^ShapeError: sparseCategoricalAccuracy: class labels \[4,2\] must have shape \[4\] or \[4,1\]/);
  });
});
