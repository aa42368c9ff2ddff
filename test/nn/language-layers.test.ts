// The normalization, embedding, attention and transformer layers: parameter counts against Keras's
// formulas, forward passes against float64 references built from the layers' own weights,
// BatchNormalization's moving statistics, causal models never looking ahead, a tiny transformer
// language model that learns a corpus needing context, and its save/load round trip.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import { multiHeadAttentionRef, transformerBlockRef, type Weights } from './attention-reference';

const gpu = useGpuPage();

/** Reads the layer rows and totals out of model.summary()'s table. */
function parseSummary(text: string): { rows: { type: string; outputShape: string; params: number }[]; total: number; trainable: number } {
  const rows: { type: string; outputShape: string; params: number }[] = [];
  for (const line of text.split('\n')) {
    const match = /^\S+ \((\w+)\)\s+(\(None(?:, \d+)*\))\s+(\d+)$/.exec(line.trim());
    if (match) rows.push({ type: match[1], outputShape: match[2], params: Number(match[3]) });
  }
  const total = (label: string): number => Number(new RegExp(`^${label} params: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rows, total: total('Total'), trainable: total('Trainable') };
}

// Keras's parameter counts for the same configurations.
/** BatchNormalization: gamma, beta (trainable) and moving mean, moving variance (not), each [features]. */
const batchNormParams = (features: number, center = true, scale = true): { total: number; trainable: number } =>
  ({ total: features * (2 + Number(center) + Number(scale)), trainable: features * (Number(center) + Number(scale)) });
/** LayerNormalization: gamma and beta shaped like the normalized axes. */
const layerNormParams = (normalized: number): number => 2 * normalized;
/** Embedding: one [outputDim] row per id. PositionalEmbedding: one row per position. */
const embeddingParams = (rows: number, dim: number): number => rows * dim;
/** MultiHeadAttention: query/key/value kernels [dim, heads, keyDim] + biases [heads, keyDim], output kernel [heads, keyDim, dim] + bias [dim]. */
const attentionParams = (dim: number, heads: number, keyDim: number): number => 3 * (dim * heads * keyDim + heads * keyDim) + (heads * keyDim * dim + dim);
const denseParams = (inputs: number, units: number): number => inputs * units + units;
/** TransformerBlock: two LayerNormalizations, MultiHeadAttention, Dense(ffDim), Dense(dim). */
const transformerParams = (dim: number, heads: number, keyDim: number, ffDim: number): number =>
  2 * layerNormParams(dim) + attentionParams(dim, heads, keyDim) + denseParams(dim, ffDim) + denseParams(ffDim, dim);

/** The model's weights as float64 arrays by name ('<layer>/<weight>'), read in the page. */
type WeightsJson = Record<string, { shape: number[]; data: number[] }>;
const toWeights = (json: WeightsJson): Weights => Object.fromEntries(Object.entries(json).map(([name, w]) => [name, ref.ndarray(w.shape, w.data)]));

const random = (shape: number[], seed: number, lo = -1, hi = 1): ref.NdArray => {
  const x = ref.randomArray(shape, ref.mulberry32(seed), lo, hi);
  return { shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) };
};

describe('parameter counts', () => {
  it('match the Keras formulas in summary() for every layer, with output shapes', async () => {
    const summaries = await gpu.run((wg) => {
      const l = wg.layers;
      const models = [
        new wg.Sequential([
          new l.Embedding(50, 12, { inputShape: [10] }),
          new l.PositionalEmbedding(10, 12),
          new l.LayerNormalization(),
          new l.MultiHeadAttention({ numHeads: 3, keyDim: 5 }),
          new l.TransformerBlock({ numHeads: 2, keyDim: 6, ffDim: 20, causal: true }),
          new l.LayerNormalization({ axis: [-2, -1] }),
          new l.Dense(50),
        ]),
        new wg.Sequential([new l.Dense(8, { inputShape: [5] }), new l.BatchNormalization(), new l.BatchNormalization({ center: false })]),
        new wg.Sequential([new l.BatchNormalization({ axis: 1, inputShape: [3, 7] }), new l.BatchNormalization({ scale: false, center: false })]),
      ];
      const result = models.map((model) => model.summary());
      models.forEach((model) => model.dispose());
      return result;
    });
    const expected = [
      [
        { type: 'Embedding', outputShape: '(None, 10, 12)', params: embeddingParams(50, 12) },
        { type: 'PositionalEmbedding', outputShape: '(None, 10, 12)', params: embeddingParams(10, 12) },
        { type: 'LayerNormalization', outputShape: '(None, 10, 12)', params: layerNormParams(12) },
        { type: 'MultiHeadAttention', outputShape: '(None, 10, 12)', params: attentionParams(12, 3, 5) },
        { type: 'TransformerBlock', outputShape: '(None, 10, 12)', params: transformerParams(12, 2, 6, 20) },
        { type: 'LayerNormalization', outputShape: '(None, 10, 12)', params: layerNormParams(10 * 12) },
        { type: 'Dense', outputShape: '(None, 10, 50)', params: denseParams(12, 50) },
      ],
      [
        { type: 'Dense', outputShape: '(None, 8)', params: denseParams(5, 8) },
        { type: 'BatchNormalization', outputShape: '(None, 8)', params: batchNormParams(8).total },
        { type: 'BatchNormalization', outputShape: '(None, 8)', params: batchNormParams(8, false).total },
      ],
      [
        { type: 'BatchNormalization', outputShape: '(None, 3, 7)', params: batchNormParams(3).total },
        { type: 'BatchNormalization', outputShape: '(None, 3, 7)', params: batchNormParams(7, false, false).total },
      ],
    ];
    const trainable = [
      expected[0].reduce((total, row) => total + row.params, 0),
      denseParams(5, 8) + batchNormParams(8).trainable + batchNormParams(8, false).trainable,
      batchNormParams(3).trainable + batchNormParams(7, false, false).trainable,
    ];
    summaries.forEach((text, i) => {
      const parsed = parseSummary(text);
      expect(parsed.rows, text).toEqual(expected[i]);
      expect(parsed.total).toBe(expected[i].reduce((total, row) => total + row.params, 0));
      expect(parsed.trainable).toBe(trainable[i]);
    });
  });
});

describe('BatchNormalization', () => {
  it('normalizes with batch statistics in training, updates the moving ones as Keras, and uses those in inference', async () => {
    const x = random([6, 2, 3], 1, -2, 3);
    const r = await gpu.run(async (wg, { data, shape }) => {
      const model = new wg.Sequential([new wg.layers.BatchNormalization({ momentum: 0.9, inputShape: shape.slice(1) })]);
      const input = wg.tensor(data, shape);
      const read = async (t: { data(): Promise<Float32Array | Int32Array>; dispose(): void }): Promise<number[]> => {
        const values = Array.from(await t.data());
        t.dispose();
        return values;
      };
      // Non-default gamma and beta, so the test sees them applied.
      const weights = model.getWeights();
      const [gamma, beta] = [wg.tensor([0.5, 2, -1]), wg.tensor([0.1, 0.2, 0.3])];
      model.setWeights([gamma, beta, weights[2], weights[3]]);
      const training = await read(wg.noGrad(() => model.apply(input, { training: true })));
      const moving = await Promise.all(model.getWeights().slice(2).map(read));
      const inference = await read(model.predict(input));
      wg.noGrad(() => model.apply(input, { training: true })).dispose();
      const afterTwo = await Promise.all(model.getWeights().slice(2).map(read));
      [input, gamma, beta, ...weights].forEach((t) => t.dispose());
      model.dispose();
      return { training, moving, inference, afterTwo };
    }, { data: Float32Array.from(x.data), shape: x.shape });
    const gamma = ref.ndarray([3], [0.5, 2, -1]).data.map(Math.fround);
    const beta = ref.ndarray([3], [0.1, 0.2, 0.3]).data.map(Math.fround);
    const normalize = (mean: Float64Array, variance: Float64Array): ref.NdArray =>
      ref.mapBroadcast([x, ref.ndarray([3], mean), ref.ndarray([3], variance), ref.ndarray([3], gamma), ref.ndarray([3], beta)],
        ([v, m, s, g, b]) => ((v - m) / Math.sqrt(s + 1e-3)) * g + b);
    const batchMean = ref.mean(x, [0, 1]).data;
    const batchVariance = ref.variance(x, [0, 1]).data;
    // Forward values O(3) from float32 sums of 12 terms: rtol/atol 1e-5.
    ref.expectClose(r.training, normalize(batchMean, batchVariance).data, { rtol: 1e-5, atol: 1e-5 }, 'training output');
    // moving = moving·0.9 + batch·0.1, from 0 (mean) and 1 (variance).
    const movingMean = batchMean.map((m) => 0.1 * m);
    const movingVariance = batchVariance.map((v) => 0.9 + 0.1 * v);
    ref.expectClose(r.moving[0], movingMean, { rtol: 1e-5, atol: 1e-6 }, 'moving mean');
    ref.expectClose(r.moving[1], movingVariance, { rtol: 1e-5, atol: 1e-6 }, 'moving variance');
    ref.expectClose(r.inference, normalize(movingMean, movingVariance).data, { rtol: 1e-5, atol: 1e-5 }, 'inference output');
    ref.expectClose(r.afterTwo[0], movingMean.map((m, c) => 0.9 * m + 0.1 * batchMean[c]), { rtol: 1e-5, atol: 1e-6 }, 'moving mean after two steps');
    ref.expectClose(r.afterTwo[1], movingVariance.map((v, c) => 0.9 * v + 0.1 * batchVariance[c]), { rtol: 1e-5, atol: 1e-6 }, 'moving variance after two steps');
  });

  it('trains inside a model: the optimizer skips the moving statistics, which each step moves toward the batch ones, and the loss falls', async () => {
    const steps = 100;
    const r = await gpu.run(async (wg, steps) => {
      wg.setSeed(3);
      const x = wg.randn([64, 4], 2, 3);
      const y = wg.tidy(() => wg.sum(wg.mul(x, wg.tensor([0.5, -1, 0.25, 1])), -1, true));
      const model = new wg.Sequential([new wg.layers.BatchNormalization({ inputShape: [4] }), new wg.layers.Dense(1)]);
      model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.1 }), loss: 'mse' });
      // One batch per epoch: every step sees the same batch statistics.
      const history = await model.fit(x, y, { epochs: steps, batchSize: 64, verbose: 0 });
      const names = model.namedWeights().map(({ name, tensor }) => `${name}:${tensor.trainable}`);
      const moving = await Promise.all(model.namedWeights().slice(2, 4).map(async ({ tensor }) => Array.from(await tensor.data())));
      const data = Array.from(await x.data());
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { losses: history.history.loss, names, moving, data };
    }, steps);
    expect(r.names.map((name) => name.split('/')[1])).toEqual(['gamma:true', 'beta:true', 'moving_mean:false', 'moving_variance:false', 'kernel:true', 'bias:true']);
    // After k steps with the same batch statistics: moving mean = (1 − 0.99^k)·mean, moving variance = 0.99^k + (1 − 0.99^k)·variance.
    const x = ref.ndarray([64, 4], r.data);
    const kept = 0.99 ** steps;
    // 100 float32 updates of values O(10), each rounding ~1e-7 relative: rtol 1e-5.
    ref.expectClose(r.moving[0], ref.mean(x, 0).data.map((m) => (1 - kept) * m), { rtol: 1e-5, atol: 1e-6 }, 'moving mean');
    ref.expectClose(r.moving[1], ref.variance(x, 0).data.map((v) => kept + (1 - kept) * v), { rtol: 1e-5, atol: 1e-6 }, 'moving variance');
    // y is linear in x and the batch statistics are fixed, so BatchNormalization + Dense fits it exactly.
    expect(r.losses[r.losses.length - 1]).toBeLessThan(r.losses[0] / 100);
  });
});

describe('BatchNormalization, frozen', () => {
  it('runs in inference mode while training when trainable is false (Keras 3), itself or through its model, and unfreezes', async () => {
    const x = random([8, 3], 21, -2, 3);
    const r = await gpu.run(async (wg, { data, shape }) => {
      const bn = new wg.layers.BatchNormalization({ inputShape: [3] });
      const base = new wg.Sequential([bn]);
      const model = new wg.Sequential([base, new wg.layers.Dense(1)]);
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      const input = wg.tensor(data, shape);
      const target = wg.zeros([8, 1]);
      const read = async (t: { data(): Promise<Float32Array | Int32Array> }): Promise<number[]> => Array.from(await t.data());
      // Moving statistics away from their initial 0 and 1, so inference mode is distinguishable.
      const [gamma, beta, movingMean, movingVariance] = [[0.5, 2, -1], [0.1, 0.2, 0.3], [0.25, -0.5, 1], [2, 0.5, 4]].map((v) => wg.tensor(v));
      bn.setWeights([gamma, beta, movingMean, movingVariance]);
      const before = await Promise.all(bn.getWeights().map(read));
      bn.trainable = false;
      const frozenOutput = await read(wg.noGrad(() => bn.apply(input, { training: true })));
      await model.fit(input, target, { epochs: 2, batchSize: 8, verbose: 0 });
      const afterFrozenFit = await Promise.all(bn.getWeights().map(read));
      bn.trainable = true;
      base.trainable = false;
      await model.fit(input, target, { epochs: 1, batchSize: 8, verbose: 0 });
      const afterBaseFrozenFit = await Promise.all(bn.getWeights().map(read));
      base.trainable = true;
      await model.fit(input, target, { epochs: 1, batchSize: 8, verbose: 0 });
      const afterUnfrozenFit = await Promise.all(bn.getWeights().map(read));
      [input, target, gamma, beta, movingMean, movingVariance].forEach((t) => t.dispose());
      model.dispose();
      return { before, frozenOutput, afterFrozenFit, afterBaseFrozenFit, afterUnfrozenFit };
    }, { data: Float32Array.from(x.data), shape: x.shape });
    const [gamma, beta, movingMean, movingVariance] = r.before.map((w) => Float64Array.from(w));
    const inference = ref.mapBroadcast([x, ref.ndarray([3], movingMean), ref.ndarray([3], movingVariance), ref.ndarray([3], gamma), ref.ndarray([3], beta)],
      ([v, m, s, g, b]) => ((v - m) / Math.sqrt(s + 1e-3)) * g + b);
    // A subtraction, a square root, a division and a multiply-add on values O(3): rtol/atol 1e-5.
    ref.expectClose(r.frozenOutput, inference.data, { rtol: 1e-5, atol: 1e-5 }, 'frozen output in training mode');
    // Frozen, itself or through the model: gamma, beta and the moving statistics stay bit for bit.
    expect(r.afterFrozenFit).toEqual(r.before);
    expect(r.afterBaseFrozenFit).toEqual(r.before);
    // Unfrozen: one step moves the moving mean toward the batch mean (momentum 0.99) and trains gamma.
    const batchMean = ref.mean(x, 0).data;
    ref.expectClose(r.afterUnfrozenFit[2], movingMean.map((m, c) => 0.99 * m + 0.01 * batchMean[c]), { rtol: 1e-5, atol: 1e-6 }, 'moving mean after unfreezing');
    expect(r.afterUnfrozenFit[0]).not.toEqual(r.before[0]);
  });

  it('a BatchNormalization without trainable weights, frozen between compiled fits, selects a new program and stops moving its statistics', async () => {
    const r = await gpu.run(async (wg) => {
      wg.setSeed(4);
      const bn = new wg.layers.BatchNormalization({ inputShape: [3], center: false, scale: false });
      const model = new wg.Sequential([bn, new wg.layers.Dense(1)]);
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      const x = wg.randn([8, 3], 1, 2);
      const y = wg.zeros([8, 1]);
      const read = async (): Promise<number[][]> => Promise.all(bn.getWeights().map(async (t) => Array.from(await t.data())));
      // Three compiled fits: the step is traced on the second call of a program, replayed after.
      for (let i = 0; i < 3; i++) await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
      const trained = await read();
      bn.trainable = false;
      for (let i = 0; i < 3; i++) await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
      const frozen = await read();
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      return { trained, frozen };
    });
    // Trained: the moving mean left 0 (the batch mean is about 1); frozen: not a bit changed.
    expect(r.trained[0].every((m) => m !== 0)).toBe(true);
    expect(r.frozen).toEqual(r.trained);
  });
});


describe('Layer.getWeights / setWeights (Keras get_weights / set_weights)', () => {
  it('copies out and overwrites one layer\'s weights in creation order; a wrong count or shape changes nothing', async () => {
    const r = await gpu.run(async (wg) => {
      const dense = new wg.layers.Dense(2, { inputShape: [3] });
      const model = new wg.Sequential([dense]);
      const kernel = [[1, 2], [3, 4], [5, 6]];
      dense.setWeights([kernel, [0.5, -0.5]]);
      const copies = dense.getWeights();
      const values = await Promise.all(copies.map(async (t) => Array.from(await t.data())));
      const fromModel = await Promise.all(model.getWeights().map(async (t) => Array.from(await t.data())));
      const errors = [];
      for (const bad of [[kernel], [[[1, 2, 3], [4, 5, 6]], [0, 0]]]) {
        try {
          dense.setWeights(bad);
        } catch (error) {
          errors.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      const after = await Promise.all(dense.getWeights().map(async (t) => Array.from(await t.data())));
      copies.forEach((t) => t.dispose());
      model.dispose();
      return { values, fromModel, errors, after, name: dense.name };
    });
    expect(r.values).toEqual([[1, 2, 3, 4, 5, 6], [0.5, -0.5]]);
    expect(r.fromModel).toEqual(r.values);
    expect(r.errors[0]).toBe(`ValueError: setWeights: layer ${r.name} has 2 weights, got 1`);
    expect(r.errors[1]).toBe(`ShapeError: setWeights: ${r.name}/kernel is [3,2] float32, got [2,3] float32`);
    expect(r.after).toEqual(r.values);
  });
});

describe('attention layers', () => {
  it('MultiHeadAttention (plain and causal) and TransformerBlock match float64 forward passes from their own weights', async () => {
    const x = random([2, 5, 8], 7, -1.5, 1.5);
    const r = await gpu.run(async (wg, { data, shape }) => {
      wg.setSeed(5);
      const l = wg.layers;
      const models = [
        new wg.Sequential([new l.MultiHeadAttention({ numHeads: 2, keyDim: 3, inputShape: [5, 8] })]),
        new wg.Sequential([new l.MultiHeadAttention({ numHeads: 3, keyDim: 4, causal: true, inputShape: [5, 8] })]),
        new wg.Sequential([new l.TransformerBlock({ numHeads: 2, keyDim: 4, ffDim: 16, causal: true, dropout: 0.5, inputShape: [5, 8] })]),
      ];
      const input = wg.tensor(data, shape);
      const out = [];
      for (const model of models) {
        // Random biases and norm parameters, so every weight matters.
        for (const { tensor } of model.namedWeights()) wg.tidy(() => tensor.assign(wg.add(tensor, wg.rand(tensor.shape, -0.3, 0.3))));
        const y = model.predict(input);
        const weights: Record<string, { shape: number[]; data: number[] }> = {};
        for (const { name, tensor } of model.namedWeights()) weights[name] = { shape: [...tensor.shape], data: Array.from(await tensor.data()) };
        // The layer's key in weight names (its class within the model), not its page-wide name.
        out.push({ y: Array.from(await y.data()), weights, layer: model.namedWeights()[0].name.split('/')[0] });
        y.dispose();
        model.dispose();
      }
      input.dispose();
      return out;
    }, { data: Float32Array.from(x.data), shape: x.shape });
    const expected = [
      multiHeadAttentionRef(x, toWeights(r[0].weights), `${r[0].layer}/`, false),
      multiHeadAttentionRef(x, toWeights(r[1].weights), `${r[1].layer}/`, true),
      // predict is inference: the block's dropout is off.
      transformerBlockRef(x, toWeights(r[2].weights), `${r[2].layer}/`, true, 1e-5),
    ];
    // Chains of 4–8 float32 matmuls/normalizations over ≤ 16 terms with O(1) values: each step
    // adds ~1e-6 relative, layer norm divides by standard deviations ≥ 0.3: atol/rtol 1e-4.
    r.forEach((result, i) => ref.expectClose(result.y, expected[i].data, { rtol: 1e-4, atol: 1e-4 }, `model ${i}`));
  });

  it('a causal language model never looks ahead: changing later tokens leaves earlier logits bitwise unchanged', async () => {
    const r = await gpu.run(async (wg) => {
      wg.setSeed(8);
      const l = wg.layers;
      const model = new wg.Sequential([
        new l.Embedding(11, 8, { inputShape: [9] }),
        new l.PositionalEmbedding(9, 8),
        new l.TransformerBlock({ numHeads: 2, keyDim: 4, ffDim: 16, causal: true }),
        new l.TransformerBlock({ numHeads: 2, keyDim: 4, ffDim: 16, causal: true }),
        new l.Dense(11),
      ]);
      const tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3];
      const changed = tokens.map((t, i) => (i % 9 >= 5 ? (t + 4) % 11 : t));
      const logits = [];
      for (const ids of [tokens, changed]) {
        const x = wg.tensor(Int32Array.from(ids), [2, 9], 'int32');
        const y = model.predict(x);
        logits.push(Array.from(await y.data()));
        [x, y].forEach((t) => t.dispose());
      }
      model.dispose();
      return logits;
    });
    const position = (n: number): number => Math.floor(n / 11) % 9;
    const [before, after] = r;
    expect(after.filter((_, n) => position(n) < 5)).toEqual(before.filter((_, n) => position(n) < 5));
    // The later positions did change, so the comparison could have failed.
    expect(after.filter((v, n) => position(n) >= 5 && v !== before[n]).length).toBe(2 * 4 * 11);
  });
});

describe('a tiny transformer language model', () => {
  // The corpus repeats "a b c a b d": after "b" comes "c" or "d" depending on the token two back,
  // so a model that only sees the current token (bigrams) cannot get below the loss computed here.
  const pattern = [0, 1, 2, 0, 1, 3];
  const [vocab, length, samples] = [4, 8, 48];
  const windows = Array.from({ length: samples }, (_, s) => Array.from({ length: length + 1 }, (_, t) => pattern[(s + t) % pattern.length]));
  const bigramFloor = ((): number => {
    // Cross-entropy of the best bigram predictor over the same targets: the entropy of next | current.
    const counts = new Map<string, number>();
    const totals = new Map<number, number>();
    for (const w of windows) for (let t = 0; t < length; t++) {
      counts.set(`${w[t]},${w[t + 1]}`, (counts.get(`${w[t]},${w[t + 1]}`) ?? 0) + 1);
      totals.set(w[t], (totals.get(w[t]) ?? 0) + 1);
    }
    let loss = 0;
    for (const w of windows) for (let t = 0; t < length; t++) loss -= Math.log((counts.get(`${w[t]},${w[t + 1]}`) as number) / (totals.get(w[t]) as number));
    return loss / (samples * length);
  })();

  it('learns the corpus with sparse_categorical_crossentropy below the bigram floor, and reloads with identical predictions', async () => {
    const r = await gpu.run(async (wg, { windows, vocab, length }) => {
      wg.setSeed(1);
      const x = wg.tensor(Int32Array.from(windows.flatMap((w) => w.slice(0, length))), [windows.length, length], 'int32');
      const y = wg.tensor(Int32Array.from(windows.flatMap((w) => w.slice(1))), [windows.length, length], 'int32');
      const l = wg.layers;
      const model = new wg.Sequential([
        new l.Embedding(vocab, 16, { inputShape: [length] }),
        new l.PositionalEmbedding(length, 16),
        new l.TransformerBlock({ numHeads: 2, keyDim: 8, ffDim: 32, causal: true, dropout: 0.1 }),
        new l.Dense(vocab),
      ]);
      model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.01 }), loss: wg.losses.sparseCategoricalCrossentropyWith({ fromLogits: true }) });
      const started = performance.now();
      const history = await model.fit(x, y, { epochs: 100, batchSize: 64, verbose: 0 });
      const fitMs = performance.now() - started;
      const { loss } = await model.evaluate(x, y);
      const predictions = model.predict(x);
      const loaded = wg.loadModel(await model.save());
      const reloaded = loaded.predict(x);
      const result = {
        losses: history.history.loss,
        loss,
        fitMs,
        predictions: Array.from(await predictions.data()),
        reloaded: Array.from(await reloaded.data()),
        summaries: [model.summary(), loaded.summary()],
      };
      [x, y, predictions, reloaded].forEach((t) => t.dispose());
      model.dispose();
      loaded.dispose();
      return result;
    }, { windows, vocab, length });
    console.log(`tiny transformer: fit 40 epochs (120 steps) in ${r.fitMs.toFixed(0)} ms; loss ${r.losses[0].toFixed(3)} → ${r.loss.toFixed(4)} (bigram floor ${bigramFloor.toFixed(3)})`);
    // Chance is ln 4 = 1.386; the bigram floor is ≈ 0.23; a model using two tokens of context can
    // reach ≈ 0.03 (only a window's first "b" stays ambiguous). Seeded runs reach ≈ 0.06.
    expect(r.losses[0]).toBeGreaterThan(1);
    expect(bigramFloor).toBeGreaterThan(0.2);
    expect(r.loss).toBeLessThan(0.12);
    expect(r.reloaded).toEqual(r.predictions);
    expect(r.summaries[1].replace(/^Model: .*$/m, '')).toEqual(r.summaries[0].replace(/^Model: .*$/m, ''));
  });
});

describe('errors', () => {
  it('name the layer and the shapes or values', async () => {
    const errors = await gpu.run((wg) => {
      const l = wg.layers;
      const attempts: (() => unknown)[] = [
        () => new wg.Sequential([new l.Embedding(5, 3, { inputShape: [4] })]).predict(wg.zeros([2, 4])),
        () => new wg.Sequential([new l.Embedding(5, 3, { inputShape: [12] }), new l.PositionalEmbedding(10, 3)]),
        () => new wg.Sequential([new l.Embedding(5, 3, { inputShape: [4] }), new l.PositionalEmbedding(10, 4)]),
        () => new wg.Sequential([new l.MultiHeadAttention({ numHeads: 2, keyDim: 3, inputShape: [6] })]),
        () => new l.MultiHeadAttention({ numHeads: 0, keyDim: 3 }),
        () => new wg.Sequential([new l.BatchNormalization({ axis: 0, inputShape: [3] })]),
        () => new l.Embedding(0, 3),
      ];
      return attempts.map((attempt) => {
        try {
          attempt();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      });
    });
    expect(errors[0]).toMatch(/^ValueError: embedding\S*: Embedding takes int32 token ids, got float32/);
    expect(errors[1]).toMatch(/^ShapeError: positional_embedding\S*: expected inputs \[batch, T ≤ 10, 3\], got \[batch,12,3\]/);
    expect(errors[2]).toMatch(/^ShapeError: positional_embedding\S*: expected inputs \[batch, T ≤ 10, 4\], got \[batch,4,3\]/);
    expect(errors[3]).toMatch(/^ShapeError: multi_head_attention\S*: MultiHeadAttention takes sequences \[batch, T, dim\], got \[batch,6\]/);
    expect(errors[4]).toMatch(/^ValueError: MultiHeadAttention: numHeads must be a positive integer, got 0/);
    expect(errors[5]).toMatch(/^ValueError: batch_normalization\S*: axis 0 is the batch axis/);
    expect(errors[6]).toMatch(/^ValueError: Embedding: inputDim must be a positive integer, got 0/);
  });
});
