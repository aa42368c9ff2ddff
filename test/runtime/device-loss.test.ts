// Device loss: destroying the GPUDevice mid-data() and mid-fit gives DeviceLostError (not a raw
// AbortError, not a hang, not zeros), later calls fail fast with it, and wg.init() brings up a new
// device on which a model restored from a checkpoint predicts and trains as before the loss.
// Each test destroys the page's device and brings up a new one, so the page ends on a live device.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';

const gpu = useGpuPage();

describe('device loss', () => {
  it('a pending data() rejects with DeviceLostError naming the reason; later calls fail fast; init() brings up a working device', async () => {
    const out = await gpu.run(async (wg) => {
      const outcome = async (fn: () => unknown): Promise<string> => {
        try {
          await fn();
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      };
      const lostDevice = wg.getDevice();
      const x = wg.tensor([[1, 2], [3, 4]]);
      const y = wg.matmul(x, x);
      const pending = y.data();
      lostDevice.destroy();
      const read = await outcome(() => pending);
      const after = {
        initialized: wg.isInitialized(),
        op: await outcome(() => wg.add(x, 1)),
        create: await outcome(() => wg.zeros([3])),
        data: await outcome(() => x.data()),
        synchronize: await outcome(() => wg.synchronize()),
      };
      const newDevice = await wg.init();
      const revived = {
        initialized: wg.isInitialized(),
        differentDevice: newDevice !== lostDevice,
        sameOnSecondInit: (await wg.init()) === newDevice,
        oldTensor: await outcome(() => wg.add(x, 1)),
        oldTensorRead: await outcome(() => x.data()),
        isDeviceLost: x.isDeviceLost,
      };
      // Fresh work on the new device, including a cached scalar constant (the 2) and a matmul.
      const a = wg.tensor([[1, 2], [3, 4]]);
      const product = wg.tidy(() => wg.mul(wg.matmul(a, a), 2));
      const values = Array.from(await product.data());
      await wg.synchronize();
      for (const t of [x, y, a, product]) t.dispose();
      return { read, after, revived, values, memory: wg.memory() };
    });
    expect(out.read).toMatch(/^DeviceLostError: .*reason 'destroyed'/);
    expect(out.after.initialized).toBe(false);
    for (const message of [out.after.op, out.after.create, out.after.data, out.after.synchronize]) {
      expect(message).toMatch(/^DeviceLostError: .*reason 'destroyed'.*wg\.init\(\)/);
    }
    expect(out.revived).toMatchObject({ initialized: true, differentDevice: true, sameOnSecondInit: true, isDeviceLost: true });
    expect(out.revived.oldTensor).toMatch(/^DeviceLostError: add: tensor #\d+ \[2,2\]: the GPU device it was made on was lost/);
    expect(out.revived.oldTensorRead).toMatch(/^DeviceLostError: data: tensor #\d+ \[2,2\]/);
    // 2·([[1,2],[3,4]]²) = 2·[[7,10],[15,22]]: small integers, exact in float32.
    expect(out.values).toEqual([14, 20, 30, 44]);
    // memory() counts the new device's tensors only, and every one of them was disposed.
    expect(out.memory).toMatchObject({ numTensors: 0, numBytes: 0 });
  });

  it('destroyed mid-fit: fit rejects with DeviceLostError; after init() a model restored from a checkpoint predicts and trains as before the loss', async () => {
    const xRows = Array.from({ length: 16 }, (_, i) => [Math.sin(i), Math.cos(2 * i), (i % 5) / 5]);
    const yRows = xRows.map(([a, b, c]) => [0.5 * a - 1.5 * b + 2 * c + 0.25]);
    const out = await gpu.run(async (wg, { xRows, yRows }) => {
      const train = async (model: InstanceType<typeof wg.Sequential>, x: ReturnType<typeof wg.tensor>, y: ReturnType<typeof wg.tensor>) => {
        model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
        const history = await model.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
        const weights = model.getWeights();
        const values = await Promise.all(weights.map(async (w) => Array.from(await w.data())));
        weights.forEach((w) => w.dispose());
        return { loss: history.loss, weights: values };
      };
      wg.setSeed(7);
      let x = wg.tensor(xRows);
      let y = wg.tensor(yRows);
      const model = new wg.Sequential([new wg.layers.Dense(1, { inputShape: [3] })]);
      // The checkpoint: read-back weights, saved while the device is alive.
      const checkpoint = await wg.saveModel(model);
      const checkpointWeights = await Promise.all(model.getWeights().map(async (w) => { const v = Array.from(await w.data()); w.dispose(); return v; }));
      // The run the restored model must repeat: same starting weights, same data, no shuffling.
      const reference = wg.loadModel(checkpoint);
      const before = await train(reference, x, y);
      reference.dispose();

      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
      const device = wg.getDevice();
      let batchesSeen = 0;
      let fitOutcome = 'no error';
      try {
        await model.fit(x, y, {
          epochs: 50, batchSize: 4, verbose: 0,
          callbacks: [{ onBatchEnd: () => { batchesSeen++; if (batchesSeen === 3) device.destroy(); } }],
        });
      } catch (e) {
        fitOutcome = `${(e as Error).name}: ${(e as Error).message}`;
      }
      const initializedAfterLoss = wg.isInitialized();
      await wg.init();
      let oldModel = 'no error';
      try {
        model.predict(x);
      } catch (e) {
        oldModel = `${(e as Error).name}: ${(e as Error).message}`;
      }
      let reloadIntoOld = 'no error';
      try {
        wg.loadWeights(model, checkpoint.weights);
      } catch (e) {
        reloadIntoOld = `${(e as Error).name}: ${(e as Error).message}`;
      }
      model.dispose();
      x.dispose();
      y.dispose();
      // Data and model come back on the new device.
      x = wg.tensor(xRows);
      y = wg.tensor(yRows);
      const restored = wg.loadModel(checkpoint);
      const prediction = restored.predict(x);
      const predicted = Array.from(await prediction.data());
      prediction.dispose();
      const after = await train(restored, x, y);
      restored.dispose();
      x.dispose();
      y.dispose();
      await wg.synchronize();
      return { fitOutcome, batchesSeen, initializedAfterLoss, oldModel, reloadIntoOld, checkpointWeights, predicted, before, after, memory: wg.memory() };
    }, { xRows, yRows });
    expect(out.fitOutcome).toMatch(/^DeviceLostError: .*reason 'destroyed'/);
    expect(out.batchesSeen).toBeGreaterThanOrEqual(3);
    expect(out.batchesSeen).toBeLessThan(5);
    expect(out.initializedAfterLoss).toBe(false);
    expect(out.oldModel).toMatch(/^DeviceLostError: .*device it was made on was lost/);
    expect(out.reloadIntoOld).toMatch(/^DeviceLostError: /);
    // The restored model predicts x·W + b with the checkpoint's weights (float64 reference; three
    // float32 products summed: 1e-6 relative covers the rounding).
    const [kernel, bias] = out.checkpointWeights;
    const expected = xRows.map((row) => row.reduce((total, v, i) => total + v * kernel[i], bias[0]));
    expectClose(out.predicted, expected, { rtol: 1e-6, atol: 1e-6 }, 'restored predictions');
    // Training after the loss repeats the run made before it, bit for bit (same kernels, same data
    // order), and it learns: the loss falls.
    expect(out.after.loss).toEqual(out.before.loss);
    expect(out.after.weights).toEqual(out.before.weights);
    expect(out.after.loss[2]).toBeLessThan(out.after.loss[0]);
    // memory() counts the new device's tensors only, and every one of them was disposed.
    expect(out.memory).toMatchObject({ numTensors: 0, numBytes: 0 });
  });
});
