// Losses against float64 CPU references (values, extreme logits, probabilities at 0 and 1), their
// tape gradients against finite differences of those references, name resolution and errors.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../src/index';
import { useGpuPage } from './harness/gpu-page';
import { expectClose, logSoftmax, mulberry32, numericGradient, oneHot, randomInt, randomUniform, type NdArray, type Rng } from './reference';

type LossName = 'meanSquaredError' | 'meanAbsoluteError' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

interface Values { shape: number[]; dtype: 'float32' | 'int32'; values: Float32Array | Int32Array }

interface LossCase {
  label: string;
  loss: LossName;
  fromLogits: boolean;
  yTrue: Values;
  yPred: Values;
  /** Also take d(loss)/d(yPred) through the Tape. */
  gradient: boolean;
}

interface LossResult { shape: number[]; value: number; gradient?: number[]; leakedTensors: number }

const gpu = useGpuPage();

// ---- float64 references -------------------------------------------------------------------------

/**
 * Keras clips probabilities to [1e-7, 1 − 1e-7] in float32; these are those bounds as float32 holds
 * them (1 − 1e-7 rounds to 1 − 1.19e-7, which is what -log(1 − p) at p = 1 sees in Keras too).
 */
const LO = Math.fround(1e-7);
const HI = Math.fround(1 - 1e-7);
const clipProbability = (p: number): number => Math.min(Math.max(p, LO), HI);

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Each row (last axis) of a flat array with `classes` columns. */
function rows(data: ArrayLike<number>, classes: number): number[][] {
  return Array.from({ length: data.length / classes }, (_, r) => Array.from({ length: classes }, (__, c) => data[r * classes + c]));
}

function categoricalReference(target: ArrayLike<number>, yPred: NdArray, fromLogits: boolean): number {
  const classes = yPred.shape[yPred.shape.length - 1];
  const logProbabilities = fromLogits
    ? logSoftmax(yPred, -1).data
    : rows(yPred.data, classes).flatMap((row) => {
        const total = row.reduce((a, b) => a + b, 0);
        return row.map((p) => Math.log(clipProbability(p / total)));
      });
  const targets = rows(target, classes);
  const logRows = rows(logProbabilities, classes);
  return mean(targets.map((row, r) => -row.reduce((acc, t, c) => acc + t * logRows[r][c], 0)));
}

/** The loss of yPred (float64) given yTrue, as a function the finite differences can call. */
function referenceLoss(c: LossCase): (yPred: NdArray) => number {
  const z = Array.from(c.yTrue.values);
  switch (c.loss) {
    case 'meanSquaredError':
      return (yPred) => mean(Array.from(yPred.data, (p, i) => (p - z[i]) ** 2));
    case 'meanAbsoluteError':
      return (yPred) => mean(Array.from(yPred.data, (p, i) => Math.abs(p - z[i])));
    case 'binaryCrossentropy':
      return c.fromLogits
        ? (yPred) => mean(Array.from(yPred.data, (x, i) => Math.max(x, 0) - x * z[i] + Math.log1p(Math.exp(-Math.abs(x)))))
        : (yPred) => mean(Array.from(yPred.data, (raw, i) => {
            const p = clipProbability(raw);
            return -(z[i] * Math.log(p) + (1 - z[i]) * Math.log(1 - p));
          }));
    case 'categoricalCrossentropy':
      return (yPred) => categoricalReference(z, yPred, c.fromLogits);
    case 'sparseCategoricalCrossentropy': {
      const classes = c.yPred.shape[c.yPred.shape.length - 1];
      const target = oneHot({ shape: [z.length], data: Float64Array.from(z, Math.trunc) }, classes).data;
      return (yPred) => categoricalReference(target, yPred, c.fromLogits);
    }
  }
}

// ---- cases ----------------------------------------------------------------------------------------

const floats = (shape: number[], values: ArrayLike<number>): Values => ({ shape, dtype: 'float32', values: Float32Array.from(values) });
const ints = (shape: number[], values: ArrayLike<number>): Values => ({ shape, dtype: 'int32', values: Int32Array.from(values) });
const uniform = (rng: Rng, n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => randomUniform(rng, lo, hi));
const bits = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => randomInt(rng, 0, 1));
/** Rows of positive scores (not normalized), for probability inputs. */
const positive = (rng: Rng, n: number): number[] => uniform(rng, n, 0.05, 1);
const oneHotRows = (rng: Rng, count: number, classes: number): number[] =>
  Array.from({ length: count }, () => randomInt(rng, 0, classes - 1)).flatMap((k) => Array.from({ length: classes }, (_, c) => (c === k ? 1 : 0)));

function lossCases(): LossCase[] {
  const rng = mulberry32(20240521);
  const make = (label: string, loss: LossName, fromLogits: boolean, yTrue: Values, yPred: Values, gradient = true): LossCase =>
    ({ label, loss, fromLogits, yTrue, yPred, gradient });
  return [
    make('mse [4,3]', 'meanSquaredError', false, floats([4, 3], uniform(rng, 12, -2, 2)), floats([4, 3], uniform(rng, 12, -2, 2))),
    make('mse [2,3,4] with int32 targets', 'meanSquaredError', false, ints([2, 3, 4], Array.from({ length: 24 }, () => randomInt(rng, -3, 3))), floats([2, 3, 4], uniform(rng, 24, -3, 3))),
    make('mse yTrue [6] against yPred [6,1]', 'meanSquaredError', false, floats([6], uniform(rng, 6, -1, 1)), floats([6, 1], uniform(rng, 6, -1, 1))),
    make('mse yTrue [6,1] against yPred [6]', 'meanSquaredError', false, floats([6, 1], uniform(rng, 6, -1, 1)), floats([6], uniform(rng, 6, -1, 1))),
    make('mae [5,2]', 'meanAbsoluteError', false, floats([5, 2], uniform(rng, 10, -2, 2)), floats([5, 2], uniform(rng, 10, -2, 2))),
    make('mae [70] (several workgroups)', 'meanAbsoluteError', false, floats([70], uniform(rng, 70, -2, 2)), floats([70], uniform(rng, 70, -2, 2))),
    make('bce probabilities', 'binaryCrossentropy', false, floats([4, 2], bits(rng, 8)), floats([4, 2], uniform(rng, 8, 0.02, 0.98))),
    make('bce probabilities, soft targets [7] vs [7,1]', 'binaryCrossentropy', false, floats([7], uniform(rng, 7, 0, 1)), floats([7, 1], uniform(rng, 7, 0.02, 0.98))),
    make('bce probabilities exactly 0 and 1', 'binaryCrossentropy', false, floats([6], [1, 0, 0, 1, 1, 0]), floats([6], [0, 1, 0, 1, 0.5, 1e-9]), false),
    make('bce logits', 'binaryCrossentropy', true, floats([3, 3], bits(rng, 9)), floats([3, 3], uniform(rng, 9, -4, 4))),
    make('bce logits ±1e4, ±100, 0', 'binaryCrossentropy', true, floats([8], [1, 0, 1, 0, 0.3, 1, 0, 0.5]), floats([8], [1e4, 1e4, -1e4, -1e4, 100, -100, 0, 30])),
    make('cce probabilities', 'categoricalCrossentropy', false, floats([4, 3], oneHotRows(rng, 4, 3)), floats([4, 3], positive(rng, 12))),
    make('cce probabilities [2,3,5], soft targets', 'categoricalCrossentropy', false, floats([2, 3, 5], uniform(rng, 30, 0, 1)), floats([2, 3, 5], positive(rng, 30))),
    make('cce probabilities with zeros and a one', 'categoricalCrossentropy', false, floats([3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]), floats([3, 3], [0, 0.5, 0.5, 0, 1, 0, 0.2, 0.8, 0]), false),
    make('cce logits', 'categoricalCrossentropy', true, floats([5, 4], oneHotRows(rng, 5, 4)), floats([5, 4], uniform(rng, 20, -3, 3))),
    make('cce logits ±1e4', 'categoricalCrossentropy', true, floats([3, 3], [1, 0, 0, 0, 1, 0, 0.5, 0, 0.5]), floats([3, 3], [1e4, -1e4, 0, 1e4, -1e4, 0, -1e4, 1e4, 5])),
    make('sparse logits, int32 labels [6]', 'sparseCategoricalCrossentropy', true, ints([6], [0, 3, 2, 1, 3, 0]), floats([6, 4], uniform(rng, 24, -3, 3))),
    make('sparse logits, labels [6,1]', 'sparseCategoricalCrossentropy', true, ints([6, 1], [2, 2, 0, 1, 3, 1]), floats([6, 4], uniform(rng, 24, -3, 3))),
    make('sparse logits ±1e4', 'sparseCategoricalCrossentropy', true, ints([3], [0, 1, 2]), floats([3, 3], [1e4, -1e4, 0, 1e4, -1e4, 0, -1e4, 1e4, 5])),
    make('sparse probabilities, float labels', 'sparseCategoricalCrossentropy', false, floats([5], [0, 2, 1, 2, 0]), floats([5, 3], positive(rng, 15))),
    make('sparse labels out of range contribute 0', 'sparseCategoricalCrossentropy', true, ints([4], [1, 7, -1, 0]), floats([4, 3], uniform(rng, 12, -2, 2))),
  ];
}

function runCases(cases: LossCase[]): Promise<LossResult[]> {
  return gpu.run(async (wg, all) => {
    type Loss = (yTrue: Tensor, yPred: Tensor, options?: { fromLogits?: boolean }) => Tensor;
    const losses = wg.losses as unknown as Record<string, Loss>;
    const results: LossResult[] = [];
    for (const c of all) {
      const before = wg.memory().numTensors;
      const yTrue = wg.tensor(c.yTrue.values, c.yTrue.shape, c.yTrue.dtype);
      const yPred = wg.tensor(c.yPred.values, c.yPred.shape, c.yPred.dtype);
      const compute = (): Tensor => losses[c.loss](yTrue, yPred, { fromLogits: c.fromLogits });
      let loss: Tensor;
      let gradient: Tensor | undefined;
      if (c.gradient) {
        const tape = new wg.Tape();
        loss = tape.record(compute);
        [gradient] = tape.gradient(loss, [yPred]);
      } else {
        loss = compute();
      }
      const [value] = await loss.data();
      results.push({ shape: [...loss.shape], value, gradient: gradient ? Array.from(await gradient.data()) : undefined, leakedTensors: 0 });
      [yTrue, yPred, loss, gradient].forEach((t) => t?.dispose());
      results[results.length - 1].leakedTensors = wg.memory().numTensors - before;
    }
    return results;
  }, cases);
}

const asArray = (v: Values): NdArray => ({ shape: [...v.shape], data: Float64Array.from(v.values) });

describe('losses match float64 references', () => {
  const cases = lossCases();
  let results: LossResult[] = [];

  it('runs every case on the GPU', async () => {
    results = await runCases(cases);
    expect(results).toHaveLength(cases.length);
  });

  cases.forEach((c, index) => {
    it(c.label, () => {
      const result = results[index];
      expect(result.shape).toEqual([]);
      expect(result.leakedTensors).toBe(0);
      const f = referenceLoss(c);
      const yPred = asArray(c.yPred);
      // A mean of float32 terms, each a few roundings (log, exp, a sum of ≤ 5 classes): 1e-5 relative
      // covers them with margin; atol covers losses near 0 (out-of-range labels, exact logits).
      expectClose([result.value], [f(yPred)], { rtol: 1e-5, atol: 1e-6 }, `${c.label} value`);
      expect(Number.isFinite(result.value)).toBe(true);
      if (c.gradient) {
        // Step 1e-4: truncation error ~1e-8, and rounding stays ~1e-8 even where the loss holds
        // ±1e4 logits (a step of 1e-6 would lose ~1e-6 there to cancellation).
        const [expected] = numericGradient(([x]) => f(x), [yPred], 1e-4);
        // float32 backward through ≤ 6 ops per element: 1e-5 relative, plus 1e-6 for entries whose
        // true gradient is ~0 (saturated logits).
        expectClose(result.gradient ?? [], expected.data, { rtol: 1e-5, atol: 1e-6, shape: c.yPred.shape }, `${c.label} gradient`);
        expect(result.gradient?.every(Number.isFinite)).toBe(true);
      }
    });
  });

  it('clipped probabilities (0 and 1) get a zero gradient, the others a finite one', async () => {
    const gradient = await gpu.run(async (wg) => {
      const yTrue = wg.tensor([1, 0, 0, 1, 1]);
      const yPred = wg.tensor([0, 1, 0, 1, 0.5]);
      const tape = new wg.Tape();
      const loss = tape.record(() => wg.losses.binaryCrossentropy(yTrue, yPred));
      const [g] = tape.gradient(loss, [yPred]);
      return Array.from(await g.data());
    });
    expect(gradient.slice(0, 4).map(Math.abs)).toEqual([0, 0, 0, 0]);
    // d/dp of −log p / 5 at p = 0.5.
    expectClose([gradient[4]], [-1 / (0.5 * 5)], { rtol: 1e-6, atol: 0 }, 'interior gradient');
  });

  it('factories fix fromLogits and carry the Keras name', async () => {
    const rng = mulberry32(7);
    const logits = Float32Array.from(uniform(rng, 6, -3, 3));
    const result = await gpu.run(async (wg, values) => {
      const { binaryCrossentropyWith, categoricalCrossentropyWith, sparseCategoricalCrossentropyWith, getLoss } = wg.losses;
      const x = wg.tensor(values, [2, 3]);
      const read = async (t: Tensor): Promise<number> => (await t.data())[0];
      const bce = binaryCrossentropyWith({ fromLogits: true });
      const cce = categoricalCrossentropyWith({ fromLogits: true });
      const scce = sparseCategoricalCrossentropyWith({ fromLogits: true });
      const targets = wg.tensor([[0, 1, 0], [1, 0, 0]]);
      const labels = wg.tensor(new Int32Array([1, 0]));
      return {
        bce: [await read(bce(targets, x)), await read(wg.losses.binaryCrossentropy(targets, x, { fromLogits: true }))],
        cce: [await read(cce(targets, x)), await read(wg.losses.categoricalCrossentropy(targets, x, { fromLogits: true }))],
        scce: [await read(scce(labels, x)), await read(cce(targets, x))],
        names: [bce, cce, scce].map((fn) => getLoss(fn).name),
      };
    }, logits);
    expect(result.bce[0]).toBe(result.bce[1]);
    expect(result.cce[0]).toBe(result.cce[1]);
    expectClose([result.scce[0]], [result.scce[1]], { rtol: 1e-6, atol: 0 }, 'sparse vs one-hot');
    expect(result.names).toEqual(['binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy']);
  });
});

describe('getLoss and errors', () => {
  it('resolves Keras snake_case, TF.js camelCase and aliases; unknown names list the known ones', async () => {
    const result = await gpu.run((wg) => {
      const { getLoss } = wg.losses;
      const spellings = [
        'mse', 'MSE', 'mean_squared_error', 'meanSquaredError', 'mae', 'mean_absolute_error', 'meanAbsoluteError',
        'binary_crossentropy', 'binaryCrossentropy', 'categorical_crossentropy', 'categoricalCrossentropy',
        'sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy',
      ];
      const custom = (a: Tensor, b: Tensor): Tensor => wg.sub(a, b);
      let unknown = '';
      try {
        getLoss('hinge');
      } catch (error) {
        unknown = `${(error as Error).name}: ${(error as Error).message}`;
      }
      return {
        names: spellings.map((s) => getLoss(s).name),
        sameFunction: getLoss('mse').fn === wg.losses.meanSquaredError,
        exported: [wg.losses.meanAbsoluteError, wg.losses.sparseCategoricalCrossentropy].map((fn) => getLoss(fn).name),
        custom: getLoss(custom).name,
        unknown,
      };
    });
    expect(result.names).toEqual([
      ...Array(4).fill('mean_squared_error'), ...Array(3).fill('mean_absolute_error'),
      ...Array(2).fill('binary_crossentropy'), ...Array(2).fill('categorical_crossentropy'), ...Array(2).fill('sparse_categorical_crossentropy'),
    ]);
    expect(result.sameFunction).toBe(true);
    expect(result.exported).toEqual(['mean_absolute_error', 'sparse_categorical_crossentropy']);
    expect(result.custom).toBe('custom');
    expect(result.unknown).toMatch(/^ValueError: getLoss: unknown loss "hinge"; known: .*mean_squared_error, meanSquaredError, mse.*sparseCategoricalCrossentropy/);
  });

  it('rejects mismatched shapes, int32 predictions and bad label shapes by name', async () => {
    const errors = await gpu.run((wg) => {
      const caught = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      const { losses } = wg;
      return {
        mse: caught(() => losses.meanSquaredError(wg.zeros([3]), wg.zeros([4]))),
        broadcastTrap: caught(() => losses.meanSquaredError(wg.zeros([4, 2]), wg.zeros([4, 1]))),
        intPred: caught(() => losses.meanAbsoluteError(wg.zeros([3]), wg.zeros([3], 'int32'))),
        cceLabels: caught(() => losses.categoricalCrossentropy(wg.zeros([4]), wg.zeros([4, 3]))),
        sparseShape: caught(() => losses.sparseCategoricalCrossentropy(wg.zeros([4, 3]), wg.zeros([4, 3]))),
      };
    });
    expect(errors.mse).toBe('ShapeError: meanSquaredError: yTrue [3] and yPred [4] must have the same shape');
    expect(errors.broadcastTrap).toBe('ShapeError: meanSquaredError: yTrue [4,2] and yPred [4,1] must have the same shape');
    expect(errors.intPred).toMatch(/^ValueError: meanAbsoluteError: .*float32/);
    expect(errors.cceLabels).toMatch(/^ShapeError: categoricalCrossentropy: yTrue \[4\] .*\[4,3\].*use sparseCategoricalCrossentropy/);
    expect(errors.sparseShape).toBe('ShapeError: sparseCategoricalCrossentropy: class labels [4,3] must have shape [4] or [4,1] for predictions [4,3]');
  });
});

// ---- NaN never trains silently ------------------------------------------------------------------

/** Every loss and mode, as the page calls it: [loss, fromLogits, sparse labels]. */
const NAN_CASES: [LossName, boolean][] = [
  ['meanSquaredError', false], ['meanAbsoluteError', false],
  ['binaryCrossentropy', false], ['binaryCrossentropy', true],
  ['categoricalCrossentropy', false], ['categoricalCrossentropy', true],
  ['sparseCategoricalCrossentropy', false], ['sparseCategoricalCrossentropy', true],
];

describe('NaN in predictions or labels', () => {
  it('makes every loss NaN, and its gradient NaN where the NaN was (the probability clips keep NaN)', async () => {
    const out = await gpu.run(async (wg, cases) => {
      const losses = wg.losses as unknown as Record<string, (t: Tensor, p: Tensor, o: { fromLogits: boolean }) => Tensor>;
      const results: { loss: string; fromLogits: boolean; nanIn: string; value: number; gradient: number[] }[] = [];
      for (const [loss, fromLogits] of cases) {
        const sparse = loss === 'sparseCategoricalCrossentropy';
        for (const nanIn of ['yPred', 'yTrue']) {
          // Two rows of three probabilities (or logits); the NaN goes into row 1 only.
          const pred = [0.2, 0.3, 0.5, 0.6, 0.3, 0.1];
          const labels = sparse ? [2, 0] : [0, 0, 1, 1, 0, 0];
          if (nanIn === 'yPred') pred[4] = NaN;
          else labels[sparse ? 1 : 3] = NaN;
          const yPred = wg.tensor(pred, [2, 3]);
          const yTrue = wg.tensor(labels, sparse ? [2] : [2, 3]);
          const tape = new wg.Tape();
          const value = tape.record(() => losses[loss](yTrue, yPred, { fromLogits }));
          const [gradient] = tape.gradient(value, [yPred]);
          results.push({ loss, fromLogits, nanIn, value: (await value.data())[0], gradient: [...(await gradient.data())] });
          [yPred, yTrue, value, gradient].forEach((t) => t.dispose());
        }
      }
      return results;
    }, NAN_CASES);
    for (const result of out) {
      const label = `${result.loss}${result.fromLogits ? ' (logits)' : ''} with NaN in ${result.nanIn}`;
      expect(Number.isNaN(result.value), label).toBe(true);
      // Row 0 holds no NaN: its gradient stays finite except where the loss couples rows (none do here).
      expect(result.gradient.slice(0, 3).every(Number.isFinite), `${label}: row 0 gradient ${result.gradient}`).toBe(true);
      expect(result.gradient.slice(3).some(Number.isNaN), `${label}: row 1 gradient ${result.gradient}`).toBe(true);
    }
  });
});

describe('fit with a NaN in the data', () => {
  /** 8 samples of 3 features; labels per loss. Batches of 2, unshuffled: sample 5 is in batch 3 (index 2). */
  const features = Array.from({ length: 8 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 3) - 1]);
  const configs = [
    { loss: 'binary_crossentropy', activation: 'sigmoid', units: 1, labels: features.map((_, i) => [i % 2]) },
    { loss: 'categorical_crossentropy', activation: 'softmax', units: 3, labels: features.map((_, i) => [0, 1, 2].map((c) => (c === i % 3 ? 1 : 0))) },
    { loss: 'sparse_categorical_crossentropy', activation: 'softmax', units: 3, labels: features.map((_, i) => i % 3) },
  ];
  const cases = configs.flatMap((config) => ['x', 'y'].map((nanIn) => ({ ...config, nanIn })));

  it('throws NonFiniteLossError naming the epoch and batch, and TerminateOnNaN stops on that batch, for each probability loss', async () => {
    const out = await gpu.run(async (wg, { features: rows, cases: runs }) => {
      const results: { loss: string; nanIn: string; thrown: string; terminatedAt: { batch: number } | null; batches: number[]; iterations: number }[] = [];
      for (const run of runs) {
        const xRows = rows.map((row) => [...row]);
        const yRows = JSON.parse(JSON.stringify(run.labels)) as number[] | number[][];
        if (run.nanIn === 'x') xRows[5][1] = NaN;
        else if (Array.isArray(yRows[5])) (yRows[5] as number[])[0] = NaN;
        else (yRows as number[])[5] = NaN;
        const x = wg.tensor(xRows);
        const y = wg.tensor(yRows);
        const model = () => {
          wg.setSeed(3);
          const m = new wg.Sequential([new wg.layers.Dense(run.units, { activation: run.activation as 'sigmoid', inputShape: [3] })]);
          m.compile({ optimizer: 'sgd', loss: run.loss });
          return m;
        };
        let thrown = '';
        try {
          await model().fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
        } catch (error) {
          thrown = `${(error as Error).name}: ${(error as Error).message}`;
        }
        const terminate = new wg.TerminateOnNaN();
        const batches: number[] = [];
        const terminated = model();
        try {
          await terminated.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0, callbacks: [terminate, { onBatchEnd: (b) => void batches.push(b) }] });
        } catch {
          // A refused label shows in `thrown` above.
        }
        results.push({ loss: run.loss, nanIn: run.nanIn, thrown, terminatedAt: terminate.terminatedAt, batches, iterations: terminated.optimizer!.iterations });
        [x, y].forEach((t) => t.dispose());
      }
      return results;
    }, { features, cases });
    for (const result of out) {
      const label = `${result.loss}, NaN in ${result.nanIn}`;
      if (result.loss === 'sparse_categorical_crossentropy' && result.nanIn === 'y') {
        // A NaN class label is refused before training by fit's label check.
        expect(result.thrown, label).toMatch(/^ValueError: fit: sparse_categorical_crossentropy takes integer class indices in \[0, \d+\]; y\[\d+\] is NaN$/);
        expect(result.iterations, label).toBe(0);
        continue;
      }
      expect(result.thrown, label).toMatch(/^NonFiniteLossError: fit: the loss became NaN at epoch 1, batch 3\b/);
      expect(result.terminatedAt, label).toEqual({ batch: 2 });
      expect(result.batches, label).toEqual([0, 1, 2]);
      expect(result.iterations, label).toBe(3);
    }
  });
});
