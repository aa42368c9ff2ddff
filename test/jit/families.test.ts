// Every op family not covered by ops.test.ts under wg.jit, forward and gradient: normalization,
// indexing, movement, reductions, log-softmax, average pooling, depthwise convolution, attention,
// gelu, dot products, casts, random draws and an LSTM layer. A replay runs the same kernels on the
// same values (only elementwise, reduction and matmul-epilogue groups are regenerated, and those
// compose the same float32 operations in the same order), so each compiled call must equal the
// eager call bit for bit; the float64 references below then pin eager (and so compiled) to the
// right values, on top of each family's own tests in test/ops/.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import { geluExact } from '../reference/erf';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

/** Seeded inputs, rounded to float32 so Node knows exactly what the page holds. */
function inputs() {
  const rng = ref.mulberry32(2412);
  const draw = (shape: number[]) => f32(ref.randomArray(shape, rng).data);
  return {
    x: draw([3, 5]), gamma: draw([5]), beta: draw([5]),
    table: draw([6, 4]), indices: [5, 0, 2, 2, 4],
    img: draw([2, 5, 5, 3]), depthwise: draw([3, 3, 3, 2]),
    q: draw([2, 4, 8]), k: draw([2, 4, 8]), v: draw([2, 4, 8]),
    sequence: draw([2, 3, 4]),
  };
}
type Inputs = ReturnType<typeof inputs>;

describe('op families under jit, forward and gradient', () => {
  it('compiled calls equal eager bit for bit; float64 pins the forward values', async () => {
    const a = inputs();
    const out = await gpu.run(async (wg, a: Inputs) => {
      wg.setSeed(7);
      const x = wg.tensor(a.x, [3, 5]);
      const gamma = wg.tensor(a.gamma, [5]);
      const beta = wg.tensor(a.beta, [5]);
      const table = wg.tensor(a.table, [6, 4]);
      const indices = wg.tensor(a.indices, [5], 'int32');
      const img = wg.tensor(a.img, [2, 5, 5, 3]);
      const depthwise = wg.tensor(a.depthwise, [3, 3, 3, 2]);
      const q = wg.tensor(a.q, [2, 4, 8]);
      const k = wg.tensor(a.k, [2, 4, 8]);
      const v = wg.tensor(a.v, [2, 4, 8]);
      const sequence = wg.tensor(a.sequence, [2, 3, 4]);
      const lstm = new wg.layers.LSTM(3, { returnSequences: true });
      lstm.apply(sequence).dispose();
      // Gradients of 0.5 + Σ over families of Σ output², so every family's backward rule runs.
      const squared = (t: Tensor) => wg.sum(wg.square(t));
      const fn = (x: Tensor, table: Tensor, img: Tensor, q: Tensor, sequence: Tensor) => {
        const families = (x: Tensor, table: Tensor, img: Tensor, q: Tensor, sequence: Tensor): Record<string, Tensor> => ({
          layerNorm: wg.layerNorm(x, gamma, beta),
          batchNorm: (() => {
            const { mean, variance } = wg.moments(x, [0]);
            return wg.batchNorm(x, mean, variance, gamma, beta);
          })(),
          gather: wg.gather(table, indices),
          oneHot: wg.cast(wg.oneHot(indices, 6), 'float32'),
          movement: wg.concat([wg.transpose(x), wg.slice(wg.broadcastTo(wg.reshape(gamma, [5, 1]), [5, 2]), [0, 0], [5, 2])], 1),
          reductions: wg.concat([wg.mean(x, 1), wg.min(x, 1), wg.cast(wg.argmax(x, 1), 'float32')], 0),
          logSoftmax: wg.logSoftmax(x, -1),
          avgPool: wg.avgPool2d(img, { poolSize: 2, strides: 1 }),
          depthwise: wg.depthwiseConv2d(img, depthwise, { padding: 'same' }),
          attention: wg.scaledDotProductAttention(q, k, v, { causal: true }),
          gelu: wg.gelu(x),
          dot: wg.add(wg.dot(gamma, beta), wg.outerProduct(gamma, beta)),
          clipped: wg.clip(wg.mul(x, 3), -1, 1),
          random: wg.add(wg.randn([3, 5]), x),
          lstm: lstm.apply(sequence) as Tensor,
        });
        const forward = families(x, table, img, q, sequence);
        const gradients = wg.grad((x: Tensor, table: Tensor, img: Tensor, q: Tensor, sequence: Tensor) => {
          const outputs = families(x, table, img, q, sequence);
          return Object.values(outputs).map(squared).reduce((total, term) => wg.add(total, term), wg.tensor(0.5));
        })(x, table, img, q, sequence);
        return { ...forward, gradX: gradients[0], gradTable: gradients[1], gradImg: gradients[2], gradQ: gradients[3], gradSequence: gradients[4] };
      };
      const read = async (result: Record<string, Tensor>) => {
        const entries = await Promise.all(Object.entries(result).map(async ([name, t]) => [name, Array.from(await t.data())] as const));
        Object.values(result).forEach((t) => t.dispose());
        return Object.fromEntries(entries);
      };
      // Random draws advance the seed: each compiled call is compared with the eager call made
      // from the same seed state.
      wg.setSeed(11);
      const eager = await read(fn(x, table, img, q, sequence));
      const compiled = wg.jit(fn);
      const calls = [];
      for (let i = 0; i < 3; i++) {
        wg.setSeed(11);
        calls.push(await read(compiled(x, table, img, q, sequence)));
      }
      wg.setSeed(11);
      const eagerAgain = await read(fn(x, table, img, q, sequence));
      return { eager, eagerAgain, calls, stats: { ...compiled.stats } };
    }, a);
    expect(out.stats.cacheHits).toBeGreaterThanOrEqual(1);
    expect(out.eagerAgain).toEqual(out.eager);
    for (const call of out.calls) {
      for (const name of Object.keys(out.eager)) expect({ name, values: call[name] }).toEqual({ name, values: out.eager[name] });
    }
    const compiled = out.calls[2];
    const x = ref.ndarray([3, 5], a.x);
    // Forward values against float64 (each family's own tests cover edge cases and tolerances).
    const mean = ref.mean(x, 1);
    const variance = ref.variance(x, 1);
    const layerNorm = ref.ndarray([3, 5], Array.from({ length: 15 }, (_, i) => {
      const row = Math.floor(i / 5);
      const column = i % 5;
      return ((a.x[i] - mean.data[row]) / Math.sqrt(variance.data[row] + 1e-3)) * a.gamma[column] + a.beta[column];
    }));
    // A mean, a variance and a division: a few float32 roundings of values of order 1.
    ref.expectClose(compiled.layerNorm, layerNorm.data, { rtol: 1e-5, atol: 1e-5 });
    ref.expectClose(compiled.gather, ref.gather(ref.ndarray([6, 4], a.table), ref.ndarray([5], a.indices), 0).data, { rtol: 0, atol: 0 });
    ref.expectClose(compiled.logSoftmax, ref.logSoftmax(x, -1).data, { rtol: 1e-6, atol: 1e-6 });
    const pooled = ref.pool2d('avg', ref.ndarray([2, 5, 5, 3], a.img), { poolSize: 2, strides: 1 });
    ref.expectClose(compiled.avgPool, pooled.data, { rtol: 1e-6, atol: 1e-6 });
    const depthwise = ref.depthwiseConv2d(ref.ndarray([2, 5, 5, 3], a.img), ref.ndarray([3, 3, 3, 2], a.depthwise), { padding: 'same' });
    // Sums of 9 products of values in [-1, 1].
    ref.expectClose(compiled.depthwise, depthwise.data, { rtol: 1e-6, atol: 2 ** -18 });
    ref.expectClose(compiled.gelu, ref.unary(x, geluExact).data, { rtol: 1e-6, atol: 1e-7 });
    ref.expectClose(compiled.reductions.slice(0, 3), mean.data, { rtol: 1e-6, atol: 1e-7 });
    ref.expectClose(compiled.reductions.slice(3, 6), ref.min(x, 1).data, { rtol: 0, atol: 0 });
    ref.expectClose(compiled.reductions.slice(6), ref.argmax(x, 1).data, { rtol: 0, atol: 0 });
    // The table only reaches the loss through gather: d/dtable Σ gather(table)² = 2·table[r]·(times r
    // is gathered), exact in float32 (doublings of one value).
    const counts = Array.from({ length: 6 }, (_, r) => a.indices.filter((i) => i === r).length);
    ref.expectClose(compiled.gradTable, a.table.map((t, i) => 2 * t * counts[Math.floor(i / 4)]), { rtol: 0, atol: 0 });
  });
});
