// Models trained at the same time. Each fit draws its shuffles and dropout masks from a generator
// of its own, forked from the global one when fit is called, so fits run together (Promise.all)
// end bit for bit where the same fits run one after another end. A model runs one training call at
// a time: a second fit, a trainOnBatch, a compile or a dispose while it fits is refused with a
// ModelBusyError and changes nothing (the reference is the same fit run undisturbed).
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference';

const gpu = useGpuPage();

/** Two small datasets of different sizes, so the fits' batches and epochs fall at different times. */
function datasets(): { a: { x: number[][]; y: number[] }; b: { x: number[][]; y: number[] } } {
  const rng = mulberry32(21);
  const make = (n: number) => {
    const x = Array.from({ length: n }, () => [rng() * 2 - 1, rng() * 2 - 1, rng() * 2 - 1]);
    return { x, y: x.map(([p, q, r]) => (p + q > r ? 1 : p > 0 ? 2 : 0)) };
  };
  return { a: make(20), b: make(13) };
}

describe('concurrent fits', () => {
  it('two models fitting at once (shuffle, dropout) end bit for bit as when fitted one after the other', async () => {
    const out = await gpu.run(async (wg, data) => {
      const { Dense, Dropout } = wg.layers;
      const build = () => {
        const model = new wg.Sequential([new Dense(8, { activation: 'relu', inputShape: [3] }), new Dropout(0.3), new Dense(3, { activation: 'softmax' })]);
        model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
        return model;
      };
      const x = { a: wg.tensor(data.a.x), b: wg.tensor(data.b.x) };
      const y = { a: wg.tensor(data.a.y, [data.a.y.length], 'int32'), b: wg.tensor(data.b.y, [data.b.y.length], 'int32') };
      const run = async (mode: 'sequential' | 'concurrent' | 'a alone') => {
        wg.setSeed(11);
        const a = build();
        const b = build();
        wg.setSeed(12);
        const events: string[] = [];
        // An epoch-end callback makes fit read its logs each epoch, so the two fits take turns.
        const options = (name: string) => ({ epochs: 4, batchSize: 4, verbose: 0 as const, callbacks: { onEpochEnd: (epoch: number) => void events.push(`${name}${epoch}`) } });
        const losses: number[][] = [];
        if (mode === 'concurrent') {
          const histories = await Promise.all([a.fit(x.a, y.a, options('a')), b.fit(x.b, y.b, options('b'))]);
          losses.push(...histories.map((h) => h.loss));
        } else {
          losses.push((await a.fit(x.a, y.a, options('a'))).loss);
          if (mode === 'sequential') losses.push((await b.fit(x.b, y.b, options('b'))).loss);
        }
        const weights = await Promise.all((mode === 'a alone' ? [a] : [a, b]).flatMap((m) => m.getWeights()).map(async (w) => {
          const values = Array.from(await w.data());
          w.dispose();
          return values;
        }));
        a.dispose();
        b.dispose();
        return { losses, weights, events };
      };
      const sequential = await run('sequential');
      const concurrent = await run('concurrent');
      const alone = await run('a alone');
      [...Object.values(x), ...Object.values(y)].forEach((t) => t.dispose());
      return { sequential, concurrent, alone, leftover: wg.memory().numTensors };
    }, datasets());
    // The fits did run interleaved: b finished an epoch before a finished its last.
    expect(out.concurrent.events.indexOf('b0')).toBeLessThan(out.concurrent.events.indexOf('a3'));
    expect(out.sequential.events).toEqual(['a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'b3']);
    // Same generator streams, same queued work: identical float32 results, so compared exactly.
    expect(out.concurrent.losses).toEqual(out.sequential.losses);
    expect(out.concurrent.weights).toEqual(out.sequential.weights);
    expect(out.alone.losses[0]).toEqual(out.sequential.losses[0]);
    expect(out.alone.weights).toEqual(out.sequential.weights.slice(0, out.alone.weights.length));
    expect(out.leftover).toBe(0);
  });

  it('trainOnBatch on two models at once (dropout) also ends as the same steps in call order', async () => {
    const out = await gpu.run(async (wg, data) => {
      const { Dense, Dropout } = wg.layers;
      const x = wg.tensor(data.a.x);
      const y = wg.tensor(data.a.y, [data.a.y.length], 'int32');
      const run = async (concurrent: boolean) => {
        wg.setSeed(3);
        const models = [0, 1].map(() => {
          const model = new wg.Sequential([new Dense(6, { activation: 'relu', inputShape: [3] }), new Dropout(0.5), new Dense(3, { activation: 'softmax' })]);
          model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
          return model;
        });
        wg.setSeed(4);
        const losses: number[] = [];
        for (let step = 0; step < 3; step++) {
          if (concurrent) losses.push(...(await Promise.all(models.map((m) => m.trainOnBatch(x, y)))).map((logs) => logs.loss));
          else for (const m of models) losses.push((await m.trainOnBatch(x, y)).loss);
        }
        models.forEach((m) => m.dispose());
        return losses;
      };
      const result = { sequential: await run(false), concurrent: await run(true) };
      [x, y].forEach((t) => t.dispose());
      return result;
    }, datasets());
    // Identical queued work on identical generator streams: equal float32 values.
    expect(out.concurrent).toEqual(out.sequential);
  });

  it('a second fit, trainOnBatch, compile or dispose during fit is refused and changes nothing; reads are allowed; afterwards all works', async () => {
    const out = await gpu.run(async (wg, data) => {
      const { Dense, Dropout } = wg.layers;
      const x = wg.tensor(data.a.x);
      const y = wg.tensor(data.a.y, [data.a.y.length], 'int32');
      const baseline = wg.memory().numTensors;
      const build = () => {
        wg.setSeed(5);
        const model = new wg.Sequential([new Dense(8, { activation: 'relu', inputShape: [3] }), new Dropout(0.2), new Dense(3, { activation: 'softmax' })], { name: 'busy_model' });
        model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
        wg.setSeed(6);
        return model;
      };
      const weightsOf = async (model: InstanceType<typeof wg.Sequential>) => Promise.all(model.getWeights().map(async (w) => {
        const values = Array.from(await w.data());
        w.dispose();
        return values;
      }));
      const fitOptions = { epochs: 3, batchSize: 4, verbose: 0 as const };

      const undisturbed = build();
      const reference = { loss: (await undisturbed.fit(x, y, fitOptions)).loss, weights: await weightsOf(undisturbed) };
      undisturbed.dispose();

      const model = build();
      const errors: Record<string, string> = {};
      const attempt = async (name: string, fn: () => unknown) => {
        try {
          await fn();
          errors[name] = 'no error';
        } catch (error) {
          errors[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      let readsDuringFit: { predictRows: number; evaluateLoss: number } | null = null;
      const history = await model.fit(x, y, {
        ...fitOptions,
        callbacks: {
          onEpochEnd: async (epoch) => {
            if (epoch !== 1) return;
            await attempt('secondFit', () => model.fit(x, y, { epochs: 1, verbose: 0 }));
            await attempt('trainOnBatch', () => model.trainOnBatch(x, y));
            await attempt('compile', () => model.compile({ optimizer: 'sgd', loss: 'mse' }));
            await attempt('dispose', () => model.dispose());
            const prediction = model.predict(x);
            readsDuringFit = { predictRows: prediction.shape[0], evaluateLoss: (await model.evaluate(x, y)).loss };
            prediction.dispose();
          },
        },
      });
      const during = { loss: history.loss, weights: await weightsOf(model), stopTraining: model.stopTraining };
      // Once fit has resolved the model trains, evaluates and disposes as usual.
      const after = (await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 })).loss.length;
      const stepLoss = (await model.trainOnBatch(x, y)).loss;
      // evaluate holds the model across its label readback, so dispose waits for it too.
      const evaluating = model.evaluate(x, y);
      await attempt('disposeDuringEvaluate', () => model.dispose());
      await evaluating;
      model.dispose();
      await attempt('predictAfterDispose', () => model.predict(x));
      await attempt('fitAfterDispose', () => model.fit(x, y, { verbose: 0 }));
      const leftover = wg.memory().numTensors - baseline;
      [x, y].forEach((t) => t.dispose());
      return { reference, during, errors, readsDuringFit, after, stepLoss, leftover };
    }, datasets());
    const busy = "model 'busy_model' is running fit; await it first";
    expect(out.errors.secondFit).toMatch(new RegExp(`^ModelBusyError: fit: ${busy}`));
    expect(out.errors.trainOnBatch).toMatch(new RegExp(`^ModelBusyError: trainOnBatch: ${busy}`));
    expect(out.errors.compile).toMatch(new RegExp(`^ModelBusyError: compile: ${busy}`));
    expect(out.errors.dispose).toBe("ModelBusyError: dispose: model 'busy_model' is running fit; dispose it after that resolves");
    expect(out.errors.disposeDuringEvaluate).toBe("ModelBusyError: dispose: model 'busy_model' is running evaluate; dispose it after that resolves");
    // The refused calls left the fit exactly as it runs alone (same seed, same steps).
    expect(out.during.loss).toEqual(out.reference.loss);
    expect(out.during.weights).toEqual(out.reference.weights);
    expect(out.during.stopTraining).toBe(false);
    expect(out.readsDuringFit).toEqual({ predictRows: 20, evaluateLoss: expect.any(Number) });
    expect(out.after).toBe(1);
    expect(Number.isFinite(out.stepLoss)).toBe(true);
    expect(out.errors.predictAfterDispose).toBe("DisposedTensorError: predict: model 'busy_model' was disposed; its weights are gone");
    expect(out.errors.fitAfterDispose).toBe("DisposedTensorError: fit: model 'busy_model' was disposed; its weights are gone");
    expect(out.leftover).toBe(0);
  });
});
