// Does prefetch help fitDataset? Times one epoch of an MNIST-sized MLP (784 → 128 → 10, batches of
// 64) fed three ways: tensors already on the GPU (fit), a stream whose producer awaits (a stand-in
// for fetch or decoding: `delayMs` per batch), and a stream that computes its rows on the thread,
// each with and without prefetch(2). Prints milliseconds per batch (the median of `repeats` rounds).
// Run: npm run build && npx vitest run --config bench/data-prefetch.config.ts
import { it } from 'vitest';
import { useGpuPage } from '../test/harness/gpu-page';

const gpu = useGpuPage();

it('times fitDataset with and without prefetch', async () => {
  const result = await gpu.run(async (wg, { batches, batchSize, delayMs, repeats }) => {
    wg.setSeed(1);
    const model = new wg.Sequential([new wg.layers.Dense(128, { activation: 'relu', inputShape: [784] }), new wg.layers.Dense(10, { activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const rows = (i: number) => ({ xs: Float32Array.from({ length: 784 }, (_, j) => ((i * 31 + j * 17) % 255) / 255), ys: Int32Array.of(i % 10) });
    const waiting = wg.data.generator(async function* produced() {
      for (let b = 0; b < batches; b++) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        for (let i = 0; i < batchSize; i++) yield rows(b * batchSize + i);
      }
    }).batch(batchSize);
    const computing = wg.data.generator(function* produced() { for (let i = 0; i < batches * batchSize; i++) yield rows(i); }).batch(batchSize);
    const x = wg.tensor(Array.from({ length: batches * batchSize }, (_, i) => Array.from(rows(i).xs)));
    const y = wg.tensor(Array.from({ length: batches * batchSize }, (_, i) => i % 10), undefined, 'int32');
    // Each round runs every variant once, so drift on a shared machine hits all of them alike.
    const variants: Record<string, () => Promise<unknown>> = {
      inMemoryFit: () => model.fit(x, y, { batchSize, shuffle: false, verbose: 0 }),
      awaitingStream: () => model.fitDataset(waiting, { verbose: 0 }),
      awaitingStreamPrefetch2: () => model.fitDataset(waiting.prefetch(2), { verbose: 0 }),
      computingStream: () => model.fitDataset(computing, { verbose: 0 }),
      computingStreamPrefetch2: () => model.fitDataset(computing.prefetch(2), { verbose: 0 }),
      producerAlone: () => computing.forEachAsync((batch) => Object.values(batch as Record<string, { dispose(): void }>).forEach((t) => t.dispose())),
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
    for (let round = 0; round <= repeats; round++) {
      for (const [name, train] of Object.entries(variants)) {
        const started = performance.now();
        await train();
        await wg.synchronize();
        // Round 0 warms up (pipelines, pool).
        if (round > 0) times[name].push((performance.now() - started) / batches);
      }
    }
    const perBatch = Object.fromEntries(Object.entries(times).map(([name, list]) => [name, Number(list.sort((a, b) => a - b)[Math.floor(list.length / 2)].toFixed(1))]));
    x.dispose();
    y.dispose();
    model.dispose();
    return { adapter: wg.getAdapterInfo(), perBatch };
  }, { batches: 24, batchSize: 64, delayMs: 8, repeats: 5 });
  console.log(JSON.stringify(result, null, 1));
});
