// Conv2D, MaxPooling2D and AveragePooling2D inside Sequential: summary output shapes and parameter
// counts against Keras's formulas, the forward pass against the float64 references, Keras's
// glorotUniform fans for conv kernels, a tiny CNN that learns, save/load round trips, and errors.
import { describe, expect, it } from 'vitest';
import { useGpuPage, type Webgrad } from '../harness/gpu-page';
import * as ref from '../reference';
import { thrownInPage } from '../ops/op-calls';

const gpu = useGpuPage();

/** Keras's Conv2D parameter count: a kernel [KH, KW, Cin, filters] plus a bias [filters]. */
const convParams = (kh: number, kw: number, inChannels: number, filters: number, useBias = true): number =>
  kh * kw * inChannels * filters + (useBias ? filters : 0);

/** Keras's output size along one axis ('valid': ceil((n − (k−1)·d) / s); 'same': ceil(n / s)). */
const outSize = (n: number, k: number, s: number, padding: 'valid' | 'same', d = 1): number =>
  padding === 'same' ? Math.ceil(n / s) : Math.ceil((n - (k - 1) * d) / s);

interface SummaryRow { type: string; outputShape: string; params: number }

function parseSummary(text: string): { rows: SummaryRow[]; total: number } {
  const rows: SummaryRow[] = [];
  for (const line of text.split('\n')) {
    const match = /^\S+ \((\w+)\)\s+(\(None(?:, \d+)*\))\s+(\d+)$/.exec(line.trim());
    if (match) rows.push({ type: match[1], outputShape: match[2], params: Number(match[3]) });
  }
  return { rows, total: Number(/^Total params: (\d+)$/m.exec(text)?.[1] ?? NaN) };
}

describe('Conv2D and pooling layers', () => {
  it('summarize with Keras output shapes and parameter counts', async () => {
    const summary = await gpu.run((wg) => {
      const { Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dense } = wg.layers;
      const model = new wg.Sequential([
        new Conv2D(8, { kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
        new MaxPooling2D(),
        new Conv2D(16, { kernelSize: [3, 2], strides: 2, useBias: false }),
        new AveragePooling2D({ poolSize: 3, strides: 1, padding: 'same' }),
        new Conv2D(5, { kernelSize: 3, dilationRate: 2 }),
        new MaxPooling2D({ poolSize: [2, 1] }),
        new Flatten(),
        new Dense(10),
      ]);
      const text = model.summary();
      model.dispose();
      return text;
    });
    const h1 = outSize(28, 3, 1, 'same'); // 28
    const p1 = outSize(h1, 2, 2, 'valid'); // 14
    const [h2, w2] = [outSize(p1, 3, 2, 'valid'), outSize(p1, 2, 2, 'valid')]; // 6, 7
    const [h3, w3] = [outSize(h2, 3, 1, 'valid', 2), outSize(w2, 3, 1, 'valid', 2)]; // 2, 3
    const [h4, w4] = [outSize(h3, 2, 2, 'valid'), outSize(w3, 1, 1, 'valid')]; // 1, 3
    const expected: SummaryRow[] = [
      { type: 'Conv2D', outputShape: `(None, ${h1}, ${h1}, 8)`, params: convParams(3, 3, 1, 8) },
      { type: 'MaxPooling2D', outputShape: `(None, ${p1}, ${p1}, 8)`, params: 0 },
      { type: 'Conv2D', outputShape: `(None, ${h2}, ${w2}, 16)`, params: convParams(3, 2, 8, 16, false) },
      { type: 'AveragePooling2D', outputShape: `(None, ${h2}, ${w2}, 16)`, params: 0 },
      { type: 'Conv2D', outputShape: `(None, ${h3}, ${w3}, 5)`, params: convParams(3, 3, 16, 5) },
      { type: 'MaxPooling2D', outputShape: `(None, ${h4}, ${w4}, 5)`, params: 0 },
      { type: 'Flatten', outputShape: `(None, ${h4 * w4 * 5})`, params: 0 },
      { type: 'Dense', outputShape: '(None, 10)', params: h4 * w4 * 5 * 10 + 10 },
    ];
    const parsed = parseSummary(summary);
    expect(parsed.rows, summary).toEqual(expected);
    expect(parsed.total).toBe(expected.reduce((total, row) => total + row.params, 0));
  });

  it('computes conv + bias + relu and pooling as the references do, with Keras glorotUniform fans', async () => {
    const rng = ref.mulberry32(1);
    const x = ref.ndarray([3, 9, 7, 2], Float32Array.from(ref.randomArray([3, 9, 7, 2], rng).data));
    const out = await gpu.run(async (wg, args) => {
      wg.setSeed(5);
      const { Conv2D, MaxPooling2D, AveragePooling2D } = wg.layers;
      const model = new wg.Sequential([
        new Conv2D(6, { kernelSize: [3, 2], strides: [2, 1], padding: 'same', activation: 'relu', biasInitializer: 'ones', inputShape: [9, 7, 2] }),
        new MaxPooling2D({ poolSize: 2, strides: 1 }),
        new AveragePooling2D({ padding: 'same' }),
      ]);
      const x = wg.tensor(args.x, [3, 9, 7, 2]);
      const y = model.predict(x);
      // A large kernel to check the initializer's range: fanIn = 5·5·16, fanOut = 5·5·32.
      const big = new Conv2D(32, { kernelSize: 5, inputShape: [8, 8, 16] });
      big.build([8, 8, 16]);
      const [kernel, bias] = model.getWeights();
      return {
        shape: [...y.shape],
        y: Array.from(await y.data()),
        kernel: Array.from(await kernel.data()),
        kernelShape: [...kernel.shape],
        bias: Array.from(await bias.data()),
        bigKernel: Array.from(await (big.weights.get('kernel') as typeof x).data()),
      };
    }, { x: Float32Array.from(x.data) });
    expect(out.kernelShape).toEqual([3, 2, 2, 6]);
    expect(out.bias).toEqual(new Array(6).fill(1));
    const kernel = ref.ndarray(out.kernelShape, out.kernel);
    const conv = ref.conv2d(x, kernel, { strides: [2, 1], padding: 'same' });
    const activated = ref.unary(ref.binary(conv, ref.ndarray([6], out.bias), (a, b) => a + b), (v) => Math.max(v, 0));
    const expected = ref.pool2d('avg', ref.pool2d('max', activated, { poolSize: 2, strides: 1 }), { padding: 'same' });
    expect(out.shape).toEqual(expected.shape);
    // Sums of 12 products of values below 1 (then max and a 4-term mean): 1e-5 is ~10x float32 rounding.
    ref.expectClose(out.y, expected.data, { rtol: 1e-5, atol: 1e-5 }, 'Sequential(Conv2D, MaxPooling2D, AveragePooling2D)');
    // U(−l, l) with l = sqrt(6 / (fanIn + fanOut)): all inside, the extremes near ±l, variance l²/3.
    const limit = Math.sqrt(6 / (5 * 5 * 16 + 5 * 5 * 32));
    const values = out.bigKernel;
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.99 * limit);
    const variance = values.reduce((total, v) => total + v * v, 0) / values.length;
    // 12,800 draws: the sample variance is within 3% of l²/3 with overwhelming probability (sd ≈ 0.8%).
    expect(Math.abs(variance / (limit * limit / 3) - 1)).toBeLessThan(0.03);
  });

  it('a tiny CNN learns to tell horizontal from vertical bars', async () => {
    // 8×8 images with one bright row (class 0) or column (class 1) plus noise: separable only
    // through spatial structure, which the conv + pooling stack must pick up.
    const rng = ref.mulberry32(2);
    const samples = 64;
    const images = new Float32Array(samples * 64);
    const labels: number[] = [];
    for (let s = 0; s < samples; s++) {
      const label = s % 2;
      const line = Math.floor(rng() * 8);
      for (let i = 0; i < 8; i++) {
        for (let j = 0; j < 8; j++) {
          const on = label === 0 ? i === line : j === line;
          images[s * 64 + i * 8 + j] = (on ? 1 : 0) + 0.2 * (rng() - 0.5);
        }
      }
      labels.push(label);
    }
    const out = await gpu.run(async (wg, args) => {
      wg.setSeed(3);
      const { Conv2D, MaxPooling2D, Flatten, Dense } = wg.layers;
      const model = new wg.Sequential([
        new Conv2D(4, { kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }),
        new MaxPooling2D(),
        new Conv2D(8, { kernelSize: 3, activation: 'relu' }),
        new MaxPooling2D({ padding: 'same' }),
        new Flatten(),
        new Dense(2, { activation: 'softmax' }),
      ]);
      model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const x = wg.tensor(args.images, [args.samples, 8, 8, 1]);
      const y = wg.tensor(args.labels, [args.samples], 'int32');
      const before = await model.evaluate(x, y);
      const history = await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
      const after = await model.evaluate(x, y);
      model.dispose();
      return { before, after, losses: history.loss };
    }, { images, labels, samples });
    // Untrained, the loss is near chance (ln 2 ≈ 0.69); trained, a small fraction of it, and every
    // image classified correctly.
    expect(out.before.loss).toBeGreaterThan(0.5);
    expect(out.after.loss).toBeLessThan(0.1 * out.before.loss);
    expect(out.after.accuracy).toBe(1);
    expect(out.losses.at(-1)!).toBeLessThan(out.losses[0]);
  });

  it('round-trips through save and loadModel with identical configs and predictions', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(4);
      const { Conv2D, MaxPooling2D, AveragePooling2D, Flatten, Dense } = wg.layers;
      const model = new wg.Sequential([
        new Conv2D(3, { kernelSize: [3, 2], strides: [1, 2], padding: 'same', dilationRate: 1, activation: 'tanh', inputShape: [6, 8, 2] }),
        new AveragePooling2D({ poolSize: [2, 3], strides: 1, padding: 'same' }),
        new Conv2D(4, { kernelSize: 2, padding: [1, 0], useBias: false, kernelInitializer: 'heNormal' }),
        new MaxPooling2D({ poolSize: 2 }),
        new Flatten(),
        new Dense(2),
      ], { name: 'cnn' });
      const x = wg.randn([2, 6, 8, 2]);
      const artifacts = await model.save();
      const loaded = wg.loadModel(artifacts);
      const before = model.predict(x);
      const after = loaded.predict(x);
      const result = {
        before: Array.from(await before.data()),
        after: Array.from(await after.data()),
        layersBefore: model.layers.map((layer) => layer.serialize()),
        layersAfter: loaded.layers.map((layer) => layer.serialize()),
        summaryBefore: model.summary(),
        summaryAfter: loaded.summary(),
      };
      model.dispose();
      loaded.dispose();
      return result;
    });
    expect(out.after).toEqual(out.before);
    expect(out.layersAfter).toEqual(out.layersBefore);
    expect(out.summaryAfter).toBe(out.summaryBefore);
    expect(out.layersAfter.map((layer) => layer.className)).toEqual(['Conv2D', 'AveragePooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    expect(out.layersAfter[0].config).toMatchObject({ filters: 3, kernelSize: [3, 2], strides: [1, 2], padding: 'same', dilationRate: [1, 1], activation: 'tanh', useBias: true });
    expect(out.layersAfter[2].config).toMatchObject({ filters: 4, padding: [1, 0], useBias: false, kernelInitializer: 'heNormal' });
    expect(out.layersAfter[1].config).toMatchObject({ poolSize: [2, 3], strides: [1, 1], padding: 'same' });
  });

  it('rejects bad configurations and inputs, naming the layer and the shapes', async () => {
    const thrown = (attempt: (wg: Webgrad) => unknown): Promise<string> => thrownInPage(gpu, attempt);
    expect(await thrown((wg) => new wg.layers.Conv2D(0, { kernelSize: 3 }))).toMatch(/^ValueError: Conv2D: filters must be a positive integer, got 0/);
    expect(await thrown((wg) => new wg.layers.Conv2D(4, {} as { kernelSize: number }))).toMatch(/^ValueError: Conv2D: kernelSize is required/);
    expect(await thrown((wg) => new wg.layers.Conv2D(4, { kernelSize: 3, padding: 'full' as 'same' }))).toMatch(/^ValueError: Conv2D: padding .*'full'/);
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.Conv2D(4, { kernelSize: 3, inputShape: [28, 28] })])))
      .toMatch(/^ShapeError: conv2d(_\d+)?: Conv2D needs samples shaped \[height, width, channels\], got \[28,28\]/);
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.Dense(3, { inputShape: [2, 2, 2] }), new wg.layers.Conv2D(4, { kernelSize: 3, name: 'too_big' })])))
      .toMatch(/^ShapeError: too_big: the window spans 3 along height .*input \[2,2,3\], kernelSize \[3,3\]/);
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.MaxPooling2D({ inputShape: [8, 8] })])))
      .toMatch(/^ShapeError: max_pooling2d(_\d+)?: MaxPooling2D needs samples shaped \[height, width, channels\], got \[8,8\]/);
    expect(await thrown((wg) => new wg.layers.MaxPooling2D({ poolSize: 0 }))).toMatch(/^ValueError: MaxPooling2D: poolSize must be a positive integer .*got 0/);
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.Conv2D(4, { kernelSize: 3, inputShape: [5, 5, 3] })]).predict(wg.zeros([1, 5, 5, 1]))))
      .toBe('ShapeError: predict: the model expects inputs of shape [batch,5,5,3], got [1,5,5,1]');
    // The layer on its own, outside a model that checks first.
    expect(await thrown((wg) => {
      const layer = new wg.layers.Conv2D(4, { kernelSize: 3, name: 'conv_rgb' });
      layer.build([5, 5, 3]);
      return layer.call(wg.zeros([1, 5, 5, 1]), { training: false });
    })).toBe('ShapeError: conv_rgb: expected a batch [batch, height, width, 3], got [1,5,5,1]');
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
