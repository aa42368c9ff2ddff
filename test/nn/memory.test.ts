// Training must not leak GPU tensors: once the first epoch has created the optimizer's slots, the
// live-tensor count stays put epoch after epoch and fit after fit, on every path through fit
// (deferred log reads, per-epoch reads for callbacks and validation, a validation split,
// callbacks that throw).
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference';

const gpu = useGpuPage();

describe('memory', () => {
  it('numTensors after each of 20 epochs equals its value after the first, with callbacks, validation and without', async () => {
    const rng = mulberry32(3);
    const x = Array.from({ length: 24 }, () => [rng() * 2 - 1, rng() * 2 - 1]);
    const y = x.map(([a, b]) => (a * b > 0 ? 1 : 0));
    const out = await gpu.run(async (wg, { x: xRows, y: labels }) => {
      wg.setSeed(3);
      const model = new wg.Sequential([
        new wg.layers.Dense(8, { activation: 'relu', inputShape: [2] }),
        new wg.layers.Dropout(0.1),
        new wg.layers.Dense(1, { activation: 'sigmoid' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const x = wg.tensor(xRows);
      const y = wg.tensor(labels.map((v) => [v]));
      const xVal = wg.tensor(xRows.slice(0, 5));
      const yVal = wg.tensor(labels.slice(0, 5).map((v) => [v]));
      const count = () => wg.memory().numTensors;
      const fits: Record<string, { perEpoch: number[]; after: number }> = {};
      const tracked = async (name: string, options: Parameters<typeof model.fit>[2]) => {
        const perEpoch: number[] = [];
        const extra = options?.callbacks ? [options.callbacks].flat() : [];
        await model.fit(x, y, { ...options, verbose: 0, callbacks: [...extra, { onEpochEnd: () => void perEpoch.push(count()) }] });
        fits[name] = { perEpoch, after: count() };
      };
      const baseline = count();
      // Shuffled batches of 5 (the last one short), so every per-batch path runs.
      await tracked('callbacks', { epochs: 20, batchSize: 5, callbacks: [new wg.EarlyStopping({ monitor: 'loss', patience: 100 }), { onBatchEnd: () => {} }] });
      await tracked('validationSplit', { epochs: 20, batchSize: 5, validationSplit: 0.2 });
      await tracked('validationData', { epochs: 20, batchSize: 5, validationData: [xVal, yVal] });
      // No callback and no validation: logs wait on the GPU (read every 100 epochs), so only the
      // count after fit can be compared; 150 epochs cross one 100-epoch read.
      const afterCallbacks = count();
      await model.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0 });
      const afterOneDeferred = count();
      await model.fit(x, y, { epochs: 150, batchSize: 24, verbose: 0 });
      const afterDeferred = count();
      // Inference and single steps.
      for (let i = 0; i < 3; i++) {
        await model.evaluate(x, y, { batchSize: 7 });
        model.predict(x, { batchSize: 7 }).dispose();
        await model.trainOnBatch(x, y);
      }
      const afterInference = count();
      // A fit that fails half way (a callback throws, mid-epoch or at its end, with a validation
      // split to release) leaves nothing behind.
      const failures: string[] = [];
      const failing: Record<string, (index: number) => void> = {
        onBatchEnd: (batch) => { if (batch === 2) throw new RangeError('onBatchEnd failed'); },
        onEpochBegin: (epoch) => { if (epoch === 1) throw new RangeError('onEpochBegin failed'); },
        onEpochEnd: (epoch) => { if (epoch === 1) throw new RangeError('onEpochEnd failed'); },
      };
      for (const [hook, fail] of Object.entries(failing)) {
        try {
          await model.fit(x, y, { epochs: 5, batchSize: 5, validationSplit: 0.2, verbose: 0, callbacks: { [hook]: fail } });
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
      const afterFailure = count();
      [x, y, xVal, yVal].forEach((t) => t.dispose());
      model.dispose();
      return { baseline, fits, afterCallbacks, afterOneDeferred, afterDeferred, afterInference, failures, afterFailure, end: count() };
    }, { x, y });
    const first = out.fits.callbacks.perEpoch[0];
    // The first epoch created Adam's slots (m and v per weight), nothing else stays.
    expect(first).toBeGreaterThan(out.baseline);
    for (const [name, { perEpoch, after }] of Object.entries(out.fits)) {
      // Constant from the first epoch on (a validation split holds its 4 row copies until fit ends).
      expect({ name, perEpoch }).toEqual({ name, perEpoch: Array(20).fill(perEpoch[0]) });
      expect(perEpoch[0]).toBe(first + (name === 'validationSplit' ? 4 : 0));
      expect({ name, after }).toEqual({ name, after: first });
    }
    expect(out.afterCallbacks).toBe(first);
    expect(out.afterOneDeferred).toBe(first);
    expect(out.afterDeferred).toBe(first);
    expect(out.afterInference).toBe(first);
    expect(out.failures).toEqual(['onBatchEnd failed', 'onEpochBegin failed', 'onEpochEnd failed']);
    expect(out.afterFailure).toBe(first);
  });
});
