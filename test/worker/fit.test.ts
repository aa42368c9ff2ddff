// worker.fit / worker.serve: webgrad in a dedicated module worker (test/worker/serve-worker.js).
// The reference for a fit in the worker is the same fit on the page: the same initial weights,
// data and generator fork must give the same float32 operations in the same order on the same
// adapter, so weights, streamed logs and history agree bit for bit. Errors from the worker must
// arrive as the class, name and message the page's own fit throws for the same call.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference';

const gpu = useGpuPage();
const WORKER_URL = '/test/worker/serve-worker.js';

/** 20 samples of 4 features in [-1, 1) and a class 0..2 from their signs, fixed. */
function dataset(seed: number): { x: number[][]; y: number[] } {
  const rng = mulberry32(seed);
  const x = Array.from({ length: 20 }, () => Array.from({ length: 4 }, () => rng() * 2 - 1));
  return { x, y: x.map(([a, b, c, d]) => (a + b > 0 ? 0 : c * d > 0 ? 1 : 2)) };
}

describe('webgrad inside a worker', () => {
  it('isSupported, init and an op run in a module worker, where there is no window', async () => {
    const probe = await gpu.run(async (_wg, url) => {
      const worker = new Worker(url, { type: 'module' });
      try {
        return await new Promise<unknown>((resolve, reject) => {
          worker.addEventListener('message', (event: MessageEvent<{ probe?: unknown }>) => event.data.probe && resolve(event.data.probe));
          worker.addEventListener('error', (event) => reject(new Error(event.message || 'the worker failed to load')));
          worker.postMessage('probe');
        });
      } finally {
        worker.terminate();
      }
    }, WORKER_URL);
    expect(probe).toEqual({ supported: true, initialized: true, hasWindow: false, sum: [4, 6] });
  });
});

describe('worker.fit', () => {
  it('trains to the same weights, logs and history as model.fit on the page, bit for bit (dropout and shuffling included)', async () => {
    const out = await gpu.run(async (wg, { data, url }) => {
      const build = () => {
        const model = new wg.Sequential([
          new wg.layers.Dense(8, { activation: 'relu', inputShape: [4] }),
          new wg.layers.Dropout(0.25),
          new wg.layers.Dense(3, { activation: 'softmax' }),
        ]);
        return model;
      };
      const compile = (model: InstanceType<typeof wg.Sequential>) => model.compile({
        optimizer: new wg.optimizers.Adam({ learningRate: 0.02, clipnorm: 1 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'],
      });
      wg.setSeed(11);
      const onPage = build();
      const inWorker = wg.loadModel(await onPage.save());
      compile(onPage);
      compile(inWorker);
      const x = wg.tensor(data.x);
      const y = wg.tensor(data.y, [data.y.length], 'int32');
      const options = { epochs: 3, batchSize: 8, shuffle: true, verbose: 0 as const, validationSplit: 0.2 };
      const record = (calls: string[]) => ({
        onTrainBegin: () => void calls.push('trainBegin'),
        onEpochBegin: (epoch: number) => void calls.push(`epochBegin${epoch}`),
        onBatchEnd: (batch: number, logs: Record<string, number>) => void calls.push(`batchEnd${batch} ${JSON.stringify(logs)}`),
        onEpochEnd: (epoch: number, logs: Record<string, number>) => void calls.push(`epochEnd${epoch} ${JSON.stringify(logs)}`),
        onTrainEnd: (logs: Record<string, number>) => void calls.push(`trainEnd ${JSON.stringify(logs)}`),
      });
      const pageCalls: string[] = [];
      const workerCalls: string[] = [];
      wg.setSeed(5);
      const pageHistory = await onPage.fit(x, y, { ...options, callbacks: record(pageCalls) });
      wg.setSeed(5);
      const worker = new Worker(url, { type: 'module' });
      const run = wg.worker.fit(worker, inWorker, x, y, { ...options, callbacks: record(workerCalls) });
      const workerHistory = await run.history;
      worker.terminate();
      const bits = async (model: InstanceType<typeof wg.Sequential>) => Promise.all(model.getWeights().map(async (w) => {
        const values = await w.data();
        w.dispose();
        return Array.from(new Uint32Array(values.buffer));
      }));
      const result = {
        pageWeights: await bits(onPage), workerWeights: await bits(inWorker),
        pageHistory: pageHistory.history, workerHistory: workerHistory.history, workerEpochs: workerHistory.epoch,
        pageCalls, workerCalls, inputUnchanged: Array.from(await x.data()).every((v, i) => v === Math.fround(data.x[Math.floor(i / 4)][i % 4])),
      };
      [x, y].forEach((t) => t.dispose());
      onPage.dispose();
      inWorker.dispose();
      return result;
    }, { data: dataset(3), url: WORKER_URL });
    expect(out.workerWeights).toEqual(out.pageWeights);
    expect(out.workerHistory).toEqual(out.pageHistory);
    expect(out.workerEpochs).toEqual([0, 1, 2]);
    // 16 training samples in batches of 8: two batch ends per epoch, each with its logs.
    expect(out.workerCalls.filter((call) => call.startsWith('batchEnd'))).toHaveLength(6);
    expect(out.workerCalls).toEqual(out.pageCalls);
    expect(out.inputUnchanged).toBe(true);
  });

  it('a functional two-input model trains in the worker as on the page', async () => {
    const out = await gpu.run(async (wg, { data, url }) => {
      wg.setSeed(2);
      const left = wg.input({ shape: [2] });
      const right = wg.input({ shape: [2] });
      const merged = new wg.layers.Concatenate().apply([new wg.layers.Dense(4, { activation: 'tanh' }).apply(left), right]);
      const onPage = wg.model({ inputs: [left, right], outputs: new wg.layers.Dense(3, { activation: 'softmax' }).apply(merged) });
      const inWorker = wg.loadModel(await onPage.save());
      for (const model of [onPage, inWorker]) model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const xl = wg.tensor(data.x.map((row) => row.slice(0, 2)));
      const xr = wg.tensor(data.x.map((row) => row.slice(2)));
      const y = wg.tensor(data.y, [data.y.length], 'int32');
      wg.setSeed(9);
      await onPage.fit([xl, xr], y, { epochs: 2, batchSize: 5, verbose: 0 });
      wg.setSeed(9);
      const worker = new Worker(url, { type: 'module' });
      await wg.worker.fit(worker, inWorker, [xl, xr], y, { epochs: 2, batchSize: 5, verbose: 0 }).history;
      worker.terminate();
      const bits = (model: typeof onPage) => Promise.all(model.getWeights().map(async (w) => Array.from(new Uint32Array((await w.data()).buffer))));
      const result = { page: await bits(onPage), worker: await bits(inWorker) };
      [xl, xr, y].forEach((t) => t.dispose());
      onPage.dispose();
      inWorker.dispose();
      return result;
    }, { data: dataset(4), url: WORKER_URL });
    expect(out.worker).toEqual(out.page);
  });

  it('an error in the worker comes back with the class, name and message the page\'s fit throws, and the model is unchanged', async () => {
    const out = await gpu.run(async (wg, { data, url }) => {
      wg.setSeed(1);
      const model = new wg.Sequential([new wg.layers.Dense(3, { activation: 'softmax', inputShape: [4] })]);
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      const x = wg.tensor(data.x);
      // Class 7 for a 3-class softmax: found by fit's check of the label values, inside the worker.
      const y = wg.tensor(data.y.map((label, i) => (i === 5 ? 7 : label)), [data.y.length], 'int32');
      const before = await Promise.all(model.getWeights().map((w) => w.data()));
      const caught = async (promise: Promise<unknown>) => promise.then(() => null, (error: Error) => ({
        name: error.name, message: error.message, isValueError: error instanceof wg.ValueError,
      }));
      const onPage = await caught(model.fit(x, y, { epochs: 1, verbose: 0 }));
      const worker = new Worker(url, { type: 'module' });
      const fromWorker = await caught(wg.worker.fit(worker, model, x, y, { epochs: 1, verbose: 0 }).history);
      worker.terminate();
      const after = await Promise.all(model.getWeights().map((w) => w.data()));
      const unchanged = before.every((values, i) => values.every((v, j) => Object.is(v, after[i][j])));
      // A second fit afterwards is accepted: the failed one released the model.
      const model2Ok = await model.fit(x, wg.tensor(data.y, [data.y.length], 'int32'), { epochs: 1, verbose: 0 }).then(() => true);
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { onPage, fromWorker, unchanged, model2Ok };
    }, { data: dataset(5), url: WORKER_URL });
    expect(out.onPage).not.toBeNull();
    expect(out.fromWorker).toEqual(out.onPage);
    expect(out.fromWorker?.isValueError).toBe(true);
    expect(out.unchanged).toBe(true);
    expect(out.model2Ok).toBe(true);
  });

  it('a callback that throws rejects history with its error and stops the worker, which then serves the next fit', async () => {
    const out = await gpu.run(async (wg, { data, url }) => {
      wg.setSeed(8);
      const model = new wg.Sequential([new wg.layers.Dense(3, { activation: 'softmax', inputShape: [4] })]);
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      const x = wg.tensor(data.x);
      const y = wg.tensor(data.y, [data.y.length], 'int32');
      const weights = async () => (await Promise.all(model.getWeights().map((w) => w.data()))).flatMap((values) => Array.from(values));
      const initial = await weights();
      const worker = new Worker(url, { type: 'module' });
      const posted: unknown[] = [];
      const post = worker.postMessage.bind(worker);
      worker.postMessage = ((message: { webgrad?: unknown }, transfer: Transferable[]) => {
        posted.push(message.webgrad);
        post(message, transfer);
      }) as typeof worker.postMessage;
      const failed = await wg.worker.fit(worker, model, x, y, {
        epochs: 300, batchSize: 4, verbose: 0, callbacks: { onEpochEnd: () => { throw new RangeError('thrown by the callback'); } },
      }).history.then(() => null, (error: Error) => ({ name: error.name, message: error.message, isRangeError: error instanceof RangeError }));
      const unchanged = (await weights()).every((v, i) => Object.is(v, initial[i]));
      const next = (await wg.worker.fit(worker, model, x, y, { epochs: 1, batchSize: 4, verbose: 0 }).history).epoch;
      worker.terminate();
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { failed, unchanged, next, posted };
    }, { data: dataset(7), url: WORKER_URL });
    expect(out.failed).toEqual({ name: 'RangeError', message: 'thrown by the callback', isRangeError: true });
    expect(out.unchanged).toBe(true);
    expect(out.next).toEqual([0]);
    expect(out.posted).toEqual(['fit', 'stop', 'fit']);
  });

  it('refuses on the page what cannot cross: a custom loss, a Callback class; and a worker that fails to load is a WorkerError', async () => {
    const out = await gpu.run(async (wg, { url }) => {
      const model = new wg.Sequential([new wg.layers.Dense(1, { inputShape: [2] })]);
      const x = wg.tensor([[1, 2], [3, 4]]);
      const y = wg.tensor([[1], [0]]);
      const worker = new Worker(url, { type: 'module' });
      const message = async (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: Error) => `${error.name}: ${error.message}`);
      const halfSquare = (a: ReturnType<typeof wg.tensor>, b: ReturnType<typeof wg.tensor>) => wg.mul(wg.mean(wg.square(wg.sub(a, b))), 0.5);
      model.compile({ optimizer: 'sgd', loss: halfSquare });
      const customLoss = await message(wg.worker.fit(worker, model, x, y).history);
      model.compile({ optimizer: 'sgd', loss: wg.losses.binaryCrossentropyWith({ fromLogits: true }) });
      const lossWithOptions = await message(wg.worker.fit(worker, model, x, y).history);
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      const callbackClass = await message(wg.worker.fit(worker, model, x, y, { callbacks: new wg.EarlyStopping() }).history);
      const missing = new Worker('/test/worker/no-such-worker.js', { type: 'module' });
      const badWorker = await message(wg.worker.fit(missing, model, x, y, { verbose: 0 }).history);
      worker.terminate();
      missing.terminate();
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { customLoss, lossWithOptions, callbackClass, badWorker };
    }, { url: WORKER_URL });
    expect(out.customLoss).toMatch(/^ValueError: worker\.fit: output '.+' has a custom loss \('halfSquare'\)/);
    expect(out.lossWithOptions).toMatch(/^ValueError: worker\.fit: output '.+' has a custom loss \('binary_crossentropy'\)/);
    expect(out.callbackClass).toMatch(/^ValueError: worker\.fit: callbacks run on the page/);
    expect(out.badWorker).toMatch(/^WorkerError: worker\.fit: the worker failed outside the fit/);
  });

  it('an error event the worker fires while fit still prepares its request (reading weights and data back) rejects with WorkerError, not a hang', async () => {
    const out = await gpu.run(async (wg, { url }) => {
      const model = new wg.Sequential([new wg.layers.Dense(1, { inputShape: [2] })]);
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      const x = wg.tensor([[1, 2], [3, 4]]);
      const y = wg.tensor([[1], [0]]);
      const worker = new Worker(url, { type: 'module' });
      // Fired synchronously after the call, before fit's first await resolves: what a script that
      // fails to load does when its error arrives while fit reads the weights and data back.
      const pending = wg.worker.fit(worker, model, x, y, { verbose: 0 }).history;
      worker.dispatchEvent(new ErrorEvent('error', { message: 'injected load failure' }));
      const outcome = await Promise.race([
        pending.then(() => 'resolved', (error: Error) => `${error.name}: ${error.message}`),
        new Promise<string>((resolve) => setTimeout(() => resolve('still pending after 20 s'), 20_000)),
      ]);
      worker.terminate();
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return outcome;
    }, { url: WORKER_URL });
    expect(out).toBe('WorkerError: worker.fit: the worker failed outside the fit: injected load failure');
  });

  it('stop() before the worker starts trains nothing; stop() or stopTraining from a callback ends the fit early with its weights', async () => {
    const out = await gpu.run(async (wg, { data, url }) => {
      wg.setSeed(4);
      const model = new wg.Sequential([new wg.layers.Dense(3, { activation: 'softmax', inputShape: [4] })]);
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      const x = wg.tensor(data.x);
      const y = wg.tensor(data.y, [data.y.length], 'int32');
      const weights = async () => (await Promise.all(model.getWeights().map((w) => w.data()))).flatMap((values) => Array.from(values));
      const worker = new Worker(url, { type: 'module' });
      const initial = await weights();

      const stoppedAtOnce = wg.worker.fit(worker, model, x, y, { epochs: 50, batchSize: 4, verbose: 0 });
      stoppedAtOnce.stop();
      const immediate = (await stoppedAtOnce.history).epoch.length;
      const unchanged = (await weights()).every((v, i) => Object.is(v, initial[i]));

      const EPOCHS = 300;
      const run = wg.worker.fit(worker, model, x, y, { epochs: EPOCHS, batchSize: 4, verbose: 0, callbacks: { onEpochEnd: (epoch) => { if (epoch === 0) run.stop(); } } });
      const byStop = (await run.history).epoch.length;
      const trained = (await weights()).some((v, i) => v !== initial[i]);

      const byFlag = (await wg.worker.fit(worker, model, x, y, {
        epochs: EPOCHS, batchSize: 4, verbose: 0, callbacks: { onBatchEnd: (batch) => { if (batch === 1) model.stopTraining = true; } },
      }).history).epoch.length;
      worker.terminate();
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { immediate, unchanged, byStop, trained, byFlag, EPOCHS };
    }, { data: dataset(6), url: WORKER_URL });
    expect(out.immediate).toBe(0);
    expect(out.unchanged).toBe(true);
    // The stop reaches the worker while it trains some later batch: at least the first epoch, far fewer than all.
    expect(out.byStop).toBeGreaterThanOrEqual(1);
    expect(out.byStop).toBeLessThan(out.EPOCHS);
    expect(out.trained).toBe(true);
    expect(out.byFlag).toBeGreaterThanOrEqual(1);
    expect(out.byFlag).toBeLessThan(out.EPOCHS);
  });
});
