// predict runs each batch compiled by default (one program per batch shape, the partial last batch
// another), for a model never compiled too; its predictions equal the eager ones bit for bit, since
// a replay runs the same kernels on the same values, and match a float64 forward pass.
// compile({ jit: false }) or predict(x, { jit: false }) runs eagerly.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference';

const gpu = useGpuPage();

/** Dense(5, relu) → Dense(3, softmax) in float64, row by row. */
function forward64(x: number[][], [w1, b1, w2, b2]: number[][]): number[][] {
  return x.map((row) => {
    const hidden = Array.from({ length: 5 }, (_, j) => Math.max(0, b1[j] + row.reduce((sum, v, i) => sum + v * w1[i * 5 + j], 0)));
    const logits = Array.from({ length: 3 }, (_, j) => b2[j] + hidden.reduce((sum, v, i) => sum + v * w2[i * 3 + j], 0));
    const top = Math.max(...logits);
    const exps = logits.map((v) => Math.exp(v - top));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((v) => v / total);
  });
}

describe('predict compiled', () => {
  it('Sequential, never compiled: compiled by default, equal to eager bit for bit and to float64, cache counted', async () => {
    const rng = mulberry32(1701);
    const x = Array.from({ length: 10 }, () => [rng() * 2 - 1, rng() * 2 - 1, rng() * 2 - 1, rng() * 2 - 1]);
    const out = await gpu.run(async (wg, { rows }) => {
      wg.setSeed(11);
      const model = new wg.Sequential([
        new wg.layers.Dense(5, { activation: 'relu', inputShape: [4] }),
        new wg.layers.Dropout(0.5),
        new wg.layers.Dense(3, { activation: 'softmax' }),
      ]);
      const x = wg.tensor(rows);
      const read = async (t: Tensor) => { const v = Array.from(await t.data()); t.dispose(); return v; };
      // 10 samples in batches of 4: two of 4 and a partial one of 2 (another signature).
      const compiled = [];
      for (let call = 0; call < 3; call++) compiled.push(await read(model.predict(x, { batchSize: 4 })));
      const stats = model.describeCompiled().split('\n')[0];
      const eager = await read(model.predict(x, { batchSize: 4, jit: false }));
      const weights = await Promise.all(model.getWeights().map(async (w) => { const v = Array.from(await w.data()); w.dispose(); return v; }));
      let badJit = '';
      try { model.predict(x, { jit: 'yes' as unknown as boolean }); } catch (error) { badJit = `${(error as Error).name}: ${(error as Error).message}`; }
      // compile({ jit: false }) makes eager the default: no new predict calls are compiled.
      model.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy', jit: false });
      const afterCompile = await read(model.predict(x, { batchSize: 4 }));
      const statsAfter = model.describeCompiled().split('\n')[0];
      model.dispose();
      x.dispose();
      return { compiled, stats, eager, weights, badJit, afterCompile, statsAfter };
    }, { rows: x });
    for (const values of out.compiled) expect(values).toEqual(out.eager);
    expect(out.afterCompile).toEqual(out.eager);
    // Per call the batches are [4], [4], [2]: call 1 runs [4] eagerly, traces it, runs [2] eagerly;
    // call 2 replays [4] twice and traces [2]; call 3 replays all three.
    expect(out.stats).toMatch(/\.predictBatch\): 2 eager call\(s\), 2 trace\(s\), 5 cache hit\(s\), 0 invalidation\(s\)$/);
    expect(out.statsAfter).toBe(out.stats);
    expect(out.badJit).toBe('ValueError: predict: jit must be true or false, got yes');
    // float32 matmuls over 4 and 5 terms and a softmax of 3: a few ulps of values ≤ 1.
    const expected = forward64(x, out.weights).flat();
    out.eager.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(1e-6));
  });

  it('a functional model with two inputs and two outputs: compiled equals eager, the last batch partial', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(12);
      const { Dense, Concatenate } = wg.layers;
      const a = wg.input({ shape: [3], name: 'a' });
      const b = wg.input({ shape: [2], name: 'b' });
      const joined = new Concatenate({ axis: -1 }).apply([new Dense(4, { activation: 'tanh' }).apply(a), b]);
      const reg = new Dense(1, { name: 'reg' }).apply(joined);
      const cls = new Dense(2, { activation: 'softmax', name: 'cls' }).apply(joined);
      const model = wg.model({ inputs: [a, b], outputs: [reg, cls] });
      const xa = wg.randn([7, 3]);
      const xb = wg.randn([7, 2]);
      const read = async (ts: Tensor[]) => Promise.all(ts.map(async (t) => { const v = Array.from(await t.data()); t.dispose(); return v; }));
      const compiled = [];
      for (let call = 0; call < 3; call++) compiled.push(await read(model.predict([xa, xb], { batchSize: 3 }) as Tensor[]));
      const eager = await read(model.predict([xa, xb], { batchSize: 3, jit: false }) as Tensor[]);
      const stats = model.describeCompiled().split('\n')[0];
      model.dispose();
      return { compiled, eager, stats };
    });
    expect(out.eager.map((values) => values.length)).toEqual([7, 14]);
    for (const values of out.compiled) expect(values).toEqual(out.eager);
    // Batches [3], [3], [1] per call, as in the Sequential case.
    expect(out.stats).toMatch(/\.predictBatch\): 2 eager call\(s\), 2 trace\(s\), 5 cache hit\(s\), 0 invalidation\(s\)$/);
  });
});
