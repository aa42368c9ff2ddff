// wg.losses and wg.metrics take TensorLike labels and predictions, as the ops do: the result equals
// the same call with tensors bit for bit (same kernels, same float32 values) and a float64
// reference computed here; nothing converted outlives the call; a value that is no tensor is a
// TypeError naming the function and the argument.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from './harness/gpu-page';

const gpu = useGpuPage();

const yTrue = [[0, 1, 0], [1, 0, 0]];
const yPred = [[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]];
const sparse = [1, 0];

/** float64 references from Keras's definitions (mean over samples; probabilities clipped to [1e-7, 1 − 1e-7]). */
const clipP = (p: number): number => Math.min(Math.max(p, 1e-7), 1 - 1e-7);
const rowsMean = (rows: number[]): number => rows.reduce((a, b) => a + b, 0) / rows.length;
const references: Record<string, number> = {
  meanSquaredError: rowsMean(yTrue.map((row, i) => rowsMean(row.map((t, j) => (t - yPred[i][j]) ** 2)))),
  meanAbsoluteError: rowsMean(yTrue.map((row, i) => rowsMean(row.map((t, j) => Math.abs(t - yPred[i][j]))))),
  binaryCrossentropy: rowsMean(yTrue.map((row, i) => rowsMean(row.map((t, j) => -(t * Math.log(clipP(yPred[i][j])) + (1 - t) * Math.log(1 - clipP(yPred[i][j]))))))),
  categoricalCrossentropy: rowsMean(yTrue.map((row, i) => -row.reduce((s, t, j) => s + t * Math.log(clipP(yPred[i][j])), 0))),
  sparseCategoricalCrossentropy: rowsMean(sparse.map((label, i) => -Math.log(clipP(yPred[i][label])))),
  categoricalAccuracy: 1,
  sparseCategoricalAccuracy: 1,
};

describe('losses and metrics with TensorLike arguments', () => {
  it('equal the tensor calls and float64 references, leak nothing, and name a bad argument', async () => {
    const out = await gpu.run(async (wg, { yTrue, yPred, sparse }) => {
      const functions = {
        meanSquaredError: [wg.losses.meanSquaredError, yTrue],
        meanAbsoluteError: [wg.losses.meanAbsoluteError, yTrue],
        binaryCrossentropy: [wg.losses.binaryCrossentropy, yTrue],
        categoricalCrossentropy: [wg.losses.categoricalCrossentropy, yTrue],
        sparseCategoricalCrossentropy: [wg.losses.sparseCategoricalCrossentropy, sparse],
        categoricalAccuracy: [wg.metrics.categoricalAccuracy, yTrue],
        sparseCategoricalAccuracy: [wg.metrics.sparseCategoricalAccuracy, sparse],
      } as const;
      const results: Record<string, { fromArrays: number[]; fromTensors: number[]; leaked: number; bad: string }> = {};
      for (const [name, [fn, labels]] of Object.entries(functions)) {
        const call = fn as unknown as (a: unknown, b: unknown) => { data(): Promise<Float32Array>; dispose(): void };
        const before = wg.memory().numTensors;
        const fromArrays = call(labels, yPred);
        const arraysValues = Array.from(await fromArrays.data());
        fromArrays.dispose();
        const leaked = wg.memory().numTensors - before;
        const labelTensor = wg.tensor(labels);
        const predTensor = wg.tensor(yPred);
        const fromTensors = call(labelTensor, predTensor);
        const tensorValues = Array.from(await fromTensors.data());
        [labelTensor, predTensor, fromTensors].forEach((t) => t.dispose());
        let bad = 'no error';
        try {
          call(labels, 'not a tensor');
        } catch (e) {
          bad = `${(e as Error).name}: ${(e as Error).message}`;
        }
        results[name] = { fromArrays: arraysValues, fromTensors: tensorValues, leaked, bad };
      }
      return results;
    }, { yTrue, yPred, sparse });
    for (const [name, result] of Object.entries(out)) {
      expect(result.fromArrays, name).toEqual(result.fromTensors);
      expect(result.leaked, name).toBe(0);
      expect(result.bad, name).toMatch(new RegExp(`^TypeError: ${name}: argument 'yPred'`));
      const mean = result.fromArrays.reduce((a, b) => a + b, 0) / result.fromArrays.length;
      // A handful of float32 operations on values of order 1: within 1e-6 of float64.
      expect(Math.abs(mean - references[name]), name).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(references[name])));
    }
  });
});
