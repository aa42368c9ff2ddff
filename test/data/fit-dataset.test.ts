// fitDataset / fit(dataset) / evaluateDataset run the same epoch loop as fit on tensors: on the
// same batches in the same order (fit with shuffle: false and the same batch size) the losses,
// metrics, validation logs, callback logs and final weights are identical bit for bit, with and
// without prefetch. Streams free each batch after its step, so wg.memory() is the same at every
// epoch's end; batchesPerEpoch keeps one pass open across epochs and stops, as TF.js does, when
// it runs dry.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference';

const gpu = useGpuPage();

function data(n: number, seed: number): { x: number[][]; y: number[][] } {
  const rng = mulberry32(seed);
  const x = Array.from({ length: n }, () => [rng() * 2 - 1, rng() * 2 - 1, rng() * 2 - 1]);
  return { x, y: x.map(([a, b, c]) => [a * b - c > 0 ? 1 : 0]) };
}

describe('fitDataset', () => {
  it('equals fit on the same batches bit for bit: losses, metrics, validation (a dataset or a pair), callback logs, weights; evaluateDataset equals evaluate', async () => {
    const train = data(10, 1);
    const validation = data(6, 2);
    const out = await gpu.run(async (wg, { train, validation }) => {
      type Tensor = ReturnType<typeof wg.tensor>;
      const run = async (how: 'fit' | 'fitDataset' | 'fitStream' | 'prefetch' | 'pairValidation') => {
        wg.setSeed(5);
        const model = new wg.Sequential([
          new wg.layers.Dense(6, { activation: 'relu', inputShape: [3] }),
          new wg.layers.Dropout(0.25),
          new wg.layers.Dense(1, { activation: 'sigmoid' }),
        ]);
        model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
        const batchLogs: unknown[] = [];
        const epochLogs: unknown[] = [];
        const callbacks = { onBatchEnd: (b: number, logs: object) => void batchLogs.push([b, { ...logs }]), onEpochEnd: (e: number, logs: object) => void epochLogs.push([e, { ...logs }]) };
        const rows = train.x.map((x, i) => ({ xs: x, ys: train.y[i] }));
        const validationRows = validation.x.map((x, i) => ({ xs: x, ys: validation.y[i] }));
        const options = { epochs: 3, verbose: 0 as const, callbacks };
        let history;
        if (how === 'fit') {
          history = await model.fit(train.x, train.y, { ...options, batchSize: 4, shuffle: false, validationData: [validation.x, validation.y] });
        } else {
          const dataset = wg.data.array(rows).batch(4);
          // fit evaluates validationData in batches of its batchSize: the same 4 + 2 rows here.
          const validationDataset = wg.data.array(validationRows).batch(4);
          history = how === 'fitStream' ? await model.fit(dataset, { ...options, validationData: validationDataset })
            : how === 'pairValidation' ? await model.fitDataset(dataset, { ...options, validationData: [validation.x, validation.y], validationBatchSize: 4 })
              : await model.fitDataset(how === 'prefetch' ? dataset.prefetch(2) : dataset, { ...options, validationData: validationDataset });
        }
        const evaluated = how === 'fit' ? await model.evaluate(train.x, train.y, { batchSize: 4 }) : await model.evaluateDataset(wg.data.array(rows).batch(4));
        const weights = model.getWeights() as Tensor[];
        const finalWeights = await Promise.all(weights.map(async (w) => Array.from(await w.data())));
        weights.forEach((w) => w.dispose());
        model.dispose();
        return { history: history.history, batchLogs, epochLogs, evaluated, finalWeights };
      };
      return { fit: await run('fit'), fitDataset: await run('fitDataset'), fitStream: await run('fitStream'), prefetch: await run('prefetch'), pairValidation: await run('pairValidation') };
    }, { train, validation });
    expect(out.fit.history.loss).toHaveLength(3);
    expect(Object.keys(out.fit.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    // 10 samples in batches of 4: three batches per epoch, the last of 2.
    expect(out.fit.batchLogs.map((entry) => (entry as [number])[0])).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    // toEqual compares numbers with Object.is: identical float32 results, not merely close ones.
    for (const other of [out.fitDataset, out.fitStream, out.prefetch, out.pairValidation]) expect(other).toEqual(out.fit);
  });

  it('live memory is identical at every epoch end and after fitDataset returns, the pool does not grow; batchesPerEpoch continues one pass and stops when it runs dry', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(3);
      const model = new wg.Sequential([new wg.layers.Dense(4, { activation: 'tanh', inputShape: [8] }), new wg.layers.Dense(2, { activation: 'softmax' })]);
      model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
      // A stream made fresh each pass (never held in memory): 12 batches of 16 random rows.
      let pulled = 0;
      const stream = wg.data.generator(function* rows() {
        for (let i = 0; i < 12 * 16; i++) {
          pulled++;
          yield { xs: Float32Array.from({ length: 8 }, () => Math.random()), ys: Int32Array.of(i % 2) };
        }
      }).batch(16).prefetch(3);
      await model.fitDataset(stream, { epochs: 1, verbose: 0 });
      const before = wg.memory();
      const perEpoch: ReturnType<typeof wg.memory>[] = [];
      await model.fitDataset(stream, { epochs: 4, verbose: 0, callbacks: { onEpochEnd: () => void perEpoch.push(wg.memory()) } });
      const after = wg.memory();
      // batchesPerEpoch: one pass of 4 batches feeds epochs of 3, so the second epoch gets 1 and training stops there.
      const counts: number[] = [];
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (message: string) => void warnings.push(message);
      let epochBatches = 0;
      const short = wg.data.generator(function* rows() { for (let i = 0; i < 4 * 2; i++) yield { xs: [i, i, i, i, i, i, i, i], ys: [i % 2] }; }).batch(2);
      const history = await model.fitDataset(short, { epochs: 5, batchesPerEpoch: 3, verbose: 0, callbacks: { onBatchEnd: () => void epochBatches++, onEpochEnd: () => { counts.push(epochBatches); epochBatches = 0; } } });
      console.warn = warn;
      const afterShort = wg.memory();
      model.dispose();
      return { pulled, before, perEpoch, after, counts, epochs: history.loss.length, warnings, afterShort };
    });
    expect(out.pulled).toBe(5 * 12 * 16);
    // Live tensors and bytes identical at every epoch end. The pool (a cache of freed buffers) may
    // hold one buffer more or less at a given moment, depending on how far the prefetching stream
    // has run; a leak through it would make it grow at every one of the four epochs.
    const live = (m: { numTensors: number; numBytes: number }) => [m.numTensors, m.numBytes];
    for (const memory of out.perEpoch) expect(live(memory)).toEqual(live(out.perEpoch[0]));
    const pooled = out.perEpoch.map((memory) => memory.numBytesInPool);
    expect(pooled).toHaveLength(4);
    expect(pooled.every((bytes, i) => i === 0 || bytes > pooled[i - 1]), `pool bytes per epoch ${pooled}`).toBe(false);
    // Live tensors and bytes exactly as before; the pool may keep a differently sized buffer from
    // the longer fit's log readback.
    expect(live(out.after)).toEqual(live(out.before));
    expect(out.counts).toEqual([3, 1]);
    expect(out.epochs).toBe(2);
    expect(out.warnings).toEqual(['fitDataset: the dataset ran out of data after 1 batches of epoch 2; training stops. Make sure it can yield batchesPerEpoch × epochs batches (repeat() it).']);
    expect(live(out.afterShort)).toEqual(live(out.before));
  });

  it('a functional model with two inputs takes { xs: { a, b }, ys } batches and trains as fit does', async () => {
    const train = data(8, 4);
    const out = await gpu.run(async (wg, { train }) => {
      type Tensor = ReturnType<typeof wg.tensor>;
      const run = async (stream: boolean) => {
        wg.setSeed(9);
        const a = wg.input({ shape: [3], name: 'a' });
        const b = wg.input({ shape: [1], name: 'b' });
        const merged = new wg.layers.Concatenate().apply([new wg.layers.Dense(2, { name: 'da' }).apply(a), b]);
        const model = wg.model({ inputs: [a, b], outputs: new wg.layers.Dense(1, { name: 'out' }).apply(merged) });
        model.compile({ optimizer: 'adam', loss: 'mse' });
        const first = train.x.map((row) => row[0]);
        const history = stream
          ? await model.fit(wg.data.array(train.x.map((row, i) => ({ xs: { a: row, b: [first[i]] }, ys: train.y[i] }))).batch(3), { epochs: 2, verbose: 0 })
          : await model.fit({ a: train.x, b: first.map((v) => [v]) }, train.y, { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
        const weights = model.getWeights() as Tensor[];
        const values = await Promise.all(weights.map(async (w) => Array.from(await w.data())));
        weights.forEach((w) => w.dispose());
        model.dispose();
        return { loss: history.loss, values };
      };
      return { fit: await run(false), stream: await run(true) };
    }, { train });
    expect(out.stream).toEqual(out.fit);
  });
});
