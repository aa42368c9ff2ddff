// model.save({ includeOptimizer: true }): the compile settings and the optimizer's state travel
// with the model (Keras's compile config and optimizer variables, TF.js's includeOptimizer), so a
// model fit 2 epochs, saved, loaded and fit 1 more ends bit for bit where the saved model itself
// ends after 1 more epoch, while a fresh optimizer does not; files without them load as before;
// hostile training configs are ModelFormatErrors that leak nothing.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { useGpuPage } from '../harness/gpu-page';
import { loadModelCases } from './load-in-page';

const gpu = useGpuPage();

describe('saving the optimizer', () => {
  it('Sequential (Adam) and a two-output functional model (per-output losses, loss weights, a decay schedule) continue training bit for bit', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(16);
      const { Dense } = wg.layers;
      const read = async (list: Tensor[]) => {
        const values = await Promise.all(list.map(async (t) => Array.from(await t.data())));
        list.forEach((t) => t.dispose());
        return values;
      };
      const x = wg.randn([6, 3]);
      const y = wg.randn([6, 1]);
      const y2 = wg.randn([6, 2]);
      const options = { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 as const };
      // Sequential with Adam and a metric.
      const sequential = new wg.Sequential([new Dense(4, { activation: 'tanh', inputShape: [3] }), new Dense(1)]);
      sequential.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.05 }), loss: 'mse', metrics: ['mae'] });
      await sequential.fit(x, y, { ...options, epochs: 2 });
      const savedSequential = await sequential.save({ includeOptimizer: true });
      const loadedSequential = wg.loadModel(savedSequential);
      const steps = loadedSequential.optimizer?.iterations;
      const continued = await sequential.fit(x, y, options);
      const resumed = await loadedSequential.fit(x, y, options);
      // The control: the same weights with a fresh optimizer (what a file without it gives).
      const fresh = wg.loadModel(await sequential.save());
      fresh.setWeights(loadedSequential.getWeights());
      fresh.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.05 }), loss: 'mse', metrics: ['mae'] });
      // Functional: two outputs, a loss and weight each, Adam on an exponential-decay schedule.
      const input = wg.input({ shape: [3], name: 'x' });
      const hidden = new Dense(4, { activation: 'relu', name: 'hidden' }).apply(input);
      const functional = wg.model({ inputs: input, outputs: [new Dense(1, { name: 'one' }).apply(hidden), new Dense(2, { name: 'two' }).apply(hidden)] });
      const schedule = new wg.optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 2, decayRate: 0.5 });
      functional.compile({ optimizer: new wg.optimizers.Adam({ learningRate: schedule }), loss: { one: 'mse', two: 'mae' }, lossWeights: [1, 0.5] });
      await functional.fit(x, [y, y2], { ...options, epochs: 2 });
      const savedFunctional = await functional.save({ includeOptimizer: true });
      const loadedFunctional = wg.loadModel(savedFunctional);
      await functional.fit(x, [y, y2], options);
      await loadedFunctional.fit(x, [y, y2], options);
      const result = {
        steps,
        sequential: [await read(sequential.getWeights()), await read(loadedSequential.getWeights())],
        logs: [continued.history, resumed.history],
        functional: [await read(functional.getWeights()), await read(loadedFunctional.getWeights())],
        trainingConfig: savedFunctional.modelJson.trainingConfig,
        slotNames: (await (async () => {
          const header = new DataView(savedSequential.weights);
          const length = Number(header.getBigUint64(0, true));
          return Object.keys(JSON.parse(new TextDecoder().decode(new Uint8Array(savedSequential.weights, 8, length)))).filter((name) => name.startsWith('optimizer/'));
        })()),
        saved: { modelJson: savedSequential.modelJson as unknown as Record<string, unknown>, bytes: new Uint8Array(savedSequential.weights) },
        plain: { modelJson: (await sequential.save()).modelJson as unknown as Record<string, unknown> },
        freshDiffers: false,
      };
      await fresh.fit(x, y, options);
      const freshWeights = await read(fresh.getWeights());
      result.freshDiffers = JSON.stringify(freshWeights) !== JSON.stringify(result.sequential[1]);
      [x, y, y2].forEach((t) => t.dispose());
      [sequential, loadedSequential, fresh, functional, loadedFunctional].forEach((m) => m.dispose());
      return result;
    });
    expect(out.steps).toBe(4);
    expect(out.sequential[1]).toEqual(out.sequential[0]);
    expect(out.logs[1]).toEqual(out.logs[0]);
    expect(out.functional[1]).toEqual(out.functional[0]);
    expect(out.freshDiffers).toBe(true);
    expect(out.trainingConfig).toMatchObject({ loss: ['mean_squared_error', 'mean_absolute_error'], lossWeights: [1, 0.5], optimizerSteps: 4, optimizer: { className: 'Adam' } });
    // Adam's m and v for each of the four weights, under the weights' file names.
    expect(out.slotNames.sort()).toEqual(['dense/bias', 'dense/kernel', 'dense_1/bias', 'dense_1/kernel'].flatMap((w) => [`optimizer/${w}/m`, `optimizer/${w}/v`]).sort());

    const json = out.saved.modelJson as { trainingConfig: Record<string, unknown> };
    const withConfig = (change: (config: Record<string, unknown>) => void) => {
      const copy = structuredClone(json);
      change(copy.trainingConfig);
      return copy;
    };
    const cases: [string, unknown, RegExp][] = [
      ['unknown optimizer', withConfig((c) => { (c.optimizer as { className: string }).className = 'Nope'; }), /trainingConfig: .*Nope/],
      ['an optimizer without those slots', withConfig((c) => { c.optimizer = { className: 'SGD', config: {} }; }), /trainingConfig: the file holds 'optimizer\/dense\/kernel\/m', but the model has no weight 'dense\/kernel' with a SGD slot 'm'/],
      ['unknown loss', withConfig((c) => { c.loss = ['nope']; }), /trainingConfig: .*nope/],
      ['loss not a list', withConfig((c) => { c.loss = 'mse'; }), /model JSON has trainingConfig loss "mse", expected a list of loss names/],
      ['no loss weights', withConfig((c) => { delete c.lossWeights; }), /model JSON has trainingConfig without its field 'lossWeights'/],
      ['negative steps', withConfig((c) => { c.optimizerSteps = -1; }), /trainingConfig optimizerSteps -1, expected a non-negative integer/],
      ['extra field', withConfig((c) => { c.extra = 1; }), /model JSON has trainingConfig with unknown field "extra"/],
      ['slots without a trainingConfig', out.plain.modelJson, /weight names do not match the model \(missing: none; unexpected: optimizer\//],
    ];
    const outcomes = await gpu.run(loadModelCases, cases.map(([, modelJson]) => ({ modelJson, bytes: out.saved.bytes })));
    cases.forEach(([name, , message], i) => {
      expect({ name, error: outcomes[i].error }).toEqual({ name, error: expect.stringMatching(/^ModelFormatError: loadModel: /) });
      expect(outcomes[i].error, name).toMatch(message);
      expect({ name, leakedTensors: outcomes[i].leakedTensors, leakedBytes: outcomes[i].leakedBytes }).toEqual({ name, leakedTensors: 0, leakedBytes: 0 });
    });
    expect((await gpu.run(loadModelCases, [{ modelJson: json, bytes: out.saved.bytes }]))[0]).toMatchObject({ error: null, leakedTensors: 0, leakedBytes: 0 });
  });

  it('a custom loss function cannot be named in a file: save with includeOptimizer refuses it (ValueError), without it saves', async () => {
    const out = await gpu.run(async (wg) => {
      const model = new wg.Sequential([new wg.layers.Dense(1, { inputShape: [2] })]);
      model.compile({ optimizer: 'sgd', loss: (yTrue: Tensor, yPred: Tensor) => wg.mean(wg.square(wg.sub(yTrue, yPred))) });
      let error = 'no error';
      try {
        await model.save({ includeOptimizer: true });
      } catch (thrown) {
        error = `${(thrown as Error).name}: ${(thrown as Error).message}`;
      }
      const plain = await model.save();
      model.dispose();
      return { error, plainHasConfig: 'trainingConfig' in plain.modelJson };
    });
    expect(out.error).toMatch(/^ValueError: save: output '.*' was compiled with a custom function '.*', which a file cannot name/);
    expect(out.plainHasConfig).toBe(false);
  });
});
