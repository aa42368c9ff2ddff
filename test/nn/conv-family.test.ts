// Conv1D, DepthwiseConv2D, SeparableConv2D, UpSampling2D and ZeroPadding2D: Keras's weight layouts,
// output shapes and parameter counts; the forward pass against float64 references
// (test/reference/convFamily.ts); input and weight gradients against finite differences of those
// references; save / load round trips; errors naming the layer and the shapes.
//
// Tolerance (test/ops/rounding.ts): every value is a float32 sum of at most `terms` products, checked
// against 4·sqrt(terms)·2^-23 times the same sum over absolute values, so padding zeros must come
// out exactly zero and an index mistake fails by orders of magnitude.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { useGpuPage, type Webgrad } from '../harness/gpu-page';
import * as ref from '../reference';
import { thrownInPage } from '../ops/op-calls';
import { absolute, expectWithinRounding, float32 } from '../ops/rounding';

const gpu = useGpuPage();

type Forward = (x: ref.NdArray, weights: ref.NdArray[]) => ref.NdArray;

interface LayerCase {
  label: string;
  className: string;
  /** The layer's config as saved (inputShape included), rebuilt in the page by deserializeLayer. */
  config: Record<string, unknown>;
  xShape: number[];
  /** Keras's weight names and shapes, in Keras's order. */
  weights: [string, number[]][];
  /** The float64 reference of the layer (linear activation). */
  forward: Forward;
  /** An upper bound on the products summed into one output or gradient element. */
  terms: number;
}

/** y + bias over the last axis. */
const withBias = (y: ref.NdArray, bias: ref.NdArray | undefined): ref.NdArray => (bias ? ref.binary(y, bias, (a, b) => a + b) : y);

const cases: LayerCase[] = [
  {
    label: 'Conv1D causal, dilated', className: 'Conv1D',
    config: { filters: 4, kernelSize: 3, padding: 'causal', dilationRate: 2, inputShape: [9, 3] },
    xShape: [2, 9, 3], weights: [['kernel', [3, 3, 4]], ['bias', [4]]],
    forward: (x, [k, b]) => withBias(ref.conv1d(x, k, { padding: 'causal', dilation: 2 }), b), terms: 18,
  },
  {
    label: 'Conv1D same, strided', className: 'Conv1D',
    config: { filters: 5, kernelSize: [4], strides: 2, padding: 'same', inputShape: [9, 2] },
    xShape: [2, 9, 2], weights: [['kernel', [4, 2, 5]], ['bias', [5]]],
    forward: (x, [k, b]) => withBias(ref.conv1d(x, k, { padding: 'same', strides: 2 }), b), terms: 18,
  },
  {
    label: 'Conv1D valid, no bias', className: 'Conv1D',
    config: { filters: 3, kernelSize: 2, strides: 3, useBias: false, inputShape: [8, 3] },
    xShape: [1, 8, 3], weights: [['kernel', [2, 3, 3]]],
    forward: (x, [k]) => ref.conv1d(x, k, { strides: 3 }), terms: 6,
  },
  {
    label: 'DepthwiseConv2D, multiplier 2, same, strided', className: 'DepthwiseConv2D',
    config: { kernelSize: [3, 2], strides: 2, padding: 'same', depthMultiplier: 2, inputShape: [5, 6, 3] },
    xShape: [2, 5, 6, 3], weights: [['kernel', [3, 2, 3, 2]], ['bias', [6]]],
    forward: (x, [k, b]) => withBias(ref.depthwiseConv2d(x, k, { strides: 2, padding: 'same' }), b), terms: 12,
  },
  {
    label: 'DepthwiseConv2D, dilated, no bias', className: 'DepthwiseConv2D',
    config: { kernelSize: 2, dilationRate: [2, 1], useBias: false, inputShape: [5, 4, 5] },
    xShape: [1, 5, 4, 5], weights: [['kernel', [2, 2, 5, 1]]],
    forward: (x, [k]) => ref.depthwiseConv2d(x, k, { dilation: [2, 1] }), terms: 8,
  },
  {
    label: 'SeparableConv2D, multiplier 2', className: 'SeparableConv2D',
    config: { filters: 3, kernelSize: 3, padding: 'same', depthMultiplier: 2, inputShape: [4, 5, 2] },
    xShape: [2, 4, 5, 2], weights: [['depthwise_kernel', [3, 3, 2, 2]], ['pointwise_kernel', [1, 1, 4, 3]], ['bias', [3]]],
    forward: (x, [dk, pk, b]) => withBias(ref.separableConv2d(x, dk, pk, { padding: 'same' }), b), terms: 64,
  },
  {
    label: 'SeparableConv2D, strided, no bias', className: 'SeparableConv2D',
    config: { filters: 2, kernelSize: [2, 3], strides: [2, 1], useBias: false, inputShape: [5, 5, 3] },
    xShape: [1, 5, 5, 3], weights: [['depthwise_kernel', [2, 3, 3, 1]], ['pointwise_kernel', [1, 1, 3, 2]]],
    forward: (x, [dk, pk]) => ref.separableConv2d(x, dk, pk, { strides: [2, 1] }), terms: 32,
  },
  {
    label: 'UpSampling2D nearest [2, 3]', className: 'UpSampling2D',
    config: { size: [2, 3], interpolation: 'nearest', inputShape: [3, 2, 2] },
    xShape: [2, 3, 2, 2], weights: [],
    forward: (x) => ref.upSample2d(x, [2, 3], 'nearest'), terms: 6,
  },
  {
    label: 'UpSampling2D bilinear [3, 2]', className: 'UpSampling2D',
    config: { size: [3, 2], interpolation: 'bilinear', inputShape: [3, 4, 2] },
    xShape: [2, 3, 4, 2], weights: [],
    forward: (x) => ref.upSample2d(x, [3, 2], 'bilinear'), terms: 6,
  },
  {
    label: 'ZeroPadding2D [[1, 2], [0, 3]]', className: 'ZeroPadding2D',
    config: { padding: [[1, 2], [0, 3]], inputShape: [2, 3, 2] },
    xShape: [2, 2, 3, 2], weights: [],
    forward: (x) => ref.zeroPad2d(x, [[1, 2], [0, 3]]), terms: 1,
  },
];

describe('Conv1D, DepthwiseConv2D, SeparableConv2D, UpSampling2D, ZeroPadding2D', () => {
  it('match the float64 references forward, and finite differences for input and weight gradients', async () => {
    const rng = ref.mulberry32(11);
    const prepared = cases.map((c) => {
      const x = float32(ref.randomArray(c.xShape, rng));
      const weights = c.weights.map(([, shape]) => float32(ref.randomArray(shape, rng)));
      const y = c.forward(x, weights);
      return { c, x, weights, y, dy: float32(ref.randomArray(y.shape, rng)) };
    });
    const results = await gpu.run(async (wg, list) => {
      const out = [];
      for (const c of list) {
        const layer = wg.layers.deserializeLayer({ className: c.className, config: c.config });
        const model = new wg.Sequential([layer]);
        const given = c.weights.map((values, i) => wg.tensor(values, c.weightShapes[i]));
        model.setWeights(given);
        given.forEach((t) => t.dispose());
        const x = wg.tensor(c.x, c.xShape);
        const tape = new wg.Tape();
        const y = tape.record(() => layer.apply(x, { training: true }));
        const outputGradient = wg.tensor(c.dy, [...y.shape]);
        const gradients = tape.gradient(y, [x, ...layer.trainableWeights], { outputGradient });
        out.push({
          weights: [...layer.weights].map(([name, w]) => [name, [...w.shape]]),
          params: layer.countParams(),
          shape: [...y.shape],
          y: Array.from(await y.data()),
          gradients: await Promise.all(gradients.map(async (g) => Array.from(await g.data()))),
        });
        for (const t of [x, y, outputGradient, ...gradients]) t.dispose();
        model.dispose();
      }
      return { out, live: wg.memory().numTensors };
    }, prepared.map(({ c, x, weights, dy }) => ({
      className: c.className, config: c.config, xShape: c.xShape, x: Float32Array.from(x.data),
      weightShapes: c.weights.map(([, shape]) => shape), weights: weights.map((w) => Float32Array.from(w.data)), dy: Float32Array.from(dy.data),
    })));
    prepared.forEach(({ c, x, weights, y, dy }, i) => {
      const result = results.out[i];
      expect(result.weights, `${c.label}: Keras's weight names and layouts`).toEqual(c.weights);
      expect(result.params, `${c.label}: parameter count`).toBe(c.weights.reduce((total, [, shape]) => total + ref.sizeOf(shape), 0));
      expect(result.shape, `${c.label}: output shape`).toEqual(y.shape);
      expectWithinRounding(result.y, y, c.forward(absolute(x), weights.map(absolute)), c.terms, `${c.label}: forward`);
      // L = Σ dy·layer(x, weights) is affine in each single element, so central differences are exact up to float64 rounding.
      const loss = (weight: ref.NdArray) => ([input, ...params]: ref.NdArray[]): number =>
        c.forward(input, params).data.reduce((total, value, j) => total + value * weight.data[j], 0);
      const expected = ref.numericGradient(loss(dy), [x, ...weights], 1e-3);
      const scale = ref.numericGradient(loss(absolute(dy)), [absolute(x), ...weights.map(absolute)], 1e-3);
      // The gradient terms: an input element feeds at most `terms` outputs per output channel group; a weight, every output pixel.
      const gradientTerms = Math.max(c.terms, ref.sizeOf(y.shape));
      expected.forEach((gradient, k) => {
        expectWithinRounding(result.gradients[k], gradient, scale[k], gradientTerms, `${c.label}: gradient for ${k === 0 ? 'x' : c.weights[k - 1][0]}`);
      });
    });
    expect(results.live).toBe(0);
  });

  it('bilinear upsampling reproduces TF2 resize on a published-by-hand case', async () => {
    // tf.image.resize([[1, 2]] (as 1×2), [1, 4], 'bilinear') = [[1, 1.25, 1.75, 2]]: half-pixel
    // centres sample positions −0.25, 0.25, 0.75, 1.25, clamped into [0, 1] at the edges.
    const values = await gpu.run(async (wg) => {
      const layer = new wg.layers.UpSampling2D({ size: [1, 2], interpolation: 'bilinear' });
      return Array.from(await layer.apply(wg.tensor([1, 2], [1, 1, 2, 1])).data());
    });
    expect(values).toEqual([1, 1.25, 1.75, 2]);
  });

  it('summarize with Keras output shapes and parameter counts, and draw depthwise kernels with Keras fans', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(6);
      const { Conv1D, DepthwiseConv2D, SeparableConv2D, UpSampling2D, ZeroPadding2D, Flatten, Dense } = wg.layers;
      const images = new wg.Sequential([
        new ZeroPadding2D({ padding: [[1, 2], [0, 1]], inputShape: [8, 7, 3] }),
        new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }),
        new SeparableConv2D(5, { kernelSize: [3, 2], depthMultiplier: 2, activation: 'relu' }),
        new UpSampling2D({ size: [2, 3] }),
        new DepthwiseConv2D({ kernelSize: 2, useBias: false, dilationRate: 2 }),
        new ZeroPadding2D(),
        new Flatten(),
        new Dense(2),
      ]);
      const sequences = new wg.Sequential([
        new Conv1D(4, { kernelSize: 3, padding: 'causal', dilationRate: 2, inputShape: [10, 3] }),
        new Conv1D(6, { kernelSize: 2, strides: 2 }),
        new Conv1D(2, { kernelSize: 4, padding: 'same', useBias: false }),
      ]);
      const big = new DepthwiseConv2D({ kernelSize: 5, depthMultiplier: 2 });
      big.build([8, 8, 16]);
      const result = { images: images.summary(), sequences: sequences.summary(), bigKernel: Array.from(await (big.weights.get('kernel') as Tensor).data()) };
      images.dispose();
      sequences.dispose();
      big.dispose();
      return result;
    });
    const rows = (text: string): string[][] => text.split('\n').map((line) => /^\S+ \((\w+)\)\s+(\(None(?:, \d+)*\))\s+(\d+)$/.exec(line.trim())).filter((m) => m !== null).map((m) => [m[1], m[2], m[3]]);
    // Keras: out = ceil(n / s) for 'same', ceil((n − (k − 1)·d) / s) for 'valid'; causal keeps n.
    expect(rows(out.images)).toEqual([
      ['ZeroPadding2D', '(None, 11, 8, 3)', '0'],
      ['DepthwiseConv2D', '(None, 6, 4, 6)', String(3 * 3 * 3 * 2 + 6)],
      ['SeparableConv2D', '(None, 4, 3, 5)', String(3 * 2 * 6 * 2 + 12 * 5 + 5)],
      ['UpSampling2D', '(None, 8, 9, 5)', '0'],
      ['DepthwiseConv2D', '(None, 6, 7, 5)', String(2 * 2 * 5)],
      ['ZeroPadding2D', '(None, 8, 9, 5)', '0'],
      ['Flatten', '(None, 360)', '0'],
      ['Dense', '(None, 2)', String(360 * 2 + 2)],
    ]);
    expect(rows(out.sequences)).toEqual([
      ['Conv1D', '(None, 10, 4)', String(3 * 3 * 4 + 4)],
      ['Conv1D', '(None, 5, 6)', String(2 * 4 * 6 + 6)],
      ['Conv1D', '(None, 5, 2)', String(4 * 6 * 2)],
    ]);
    // glorotUniform on [5, 5, 16, 2]: l = sqrt(6 / (fanIn + fanOut)), fanIn = 5·5·16, fanOut = 5·5·2 (Keras's compute_fans).
    const limit = Math.sqrt(6 / (5 * 5 * 16 + 5 * 5 * 2));
    const largest = Math.max(...out.bigKernel.map(Math.abs));
    expect(largest).toBeLessThanOrEqual(limit);
    // 800 uniform draws: the largest |value| is below 0.99·l with probability 0.99^800 ≈ 3e-4.
    expect(largest).toBeGreaterThan(0.99 * limit);
  });

  it('round-trip through save and loadModel with identical configs, weights and predictions', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(7);
      const { Conv1D, DepthwiseConv2D, SeparableConv2D, UpSampling2D, ZeroPadding2D, Flatten, Dense } = wg.layers;
      const models = [
        new wg.Sequential([
          new ZeroPadding2D({ padding: [1, 2], inputShape: [5, 4, 2] }),
          new DepthwiseConv2D({ kernelSize: [2, 3], depthMultiplier: 3, activation: 'tanh', biasInitializer: 'ones' }),
          new UpSampling2D({ size: 2, interpolation: 'bilinear' }),
          new SeparableConv2D(3, { kernelSize: 3, strides: 2, padding: 'same', pointwiseInitializer: 'heNormal', activation: 'gelu' }),
          new Flatten(),
          new Dense(2),
        ]),
        new wg.Sequential([
          new Conv1D(3, { kernelSize: 2, padding: 'causal', activation: 'relu', inputShape: [6, 2] }),
          new Conv1D(2, { kernelSize: 3, dilationRate: 2, padding: 'same', kernelInitializer: 'heNormal' }),
        ]),
      ];
      // A residual block as Keras's functional API writes it.
      const input = wg.input({ shape: [6, 6, 4] });
      const branch = new SeparableConv2D(4, { kernelSize: 3, padding: 'same' }).apply(new DepthwiseConv2D({ kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input));
      const merged = new wg.layers.Add().apply([input, branch]);
      const residual = wg.model({ inputs: input, outputs: new ZeroPadding2D().apply(new UpSampling2D().apply(merged)) });
      const results = [];
      const inputShapes = [[5, 4, 2], [6, 2], [6, 6, 4]];
      for (const [i, model] of [...models, residual].entries()) {
        const x = wg.randn([2, ...inputShapes[i]]);
        const loaded = wg.loadModel(await model.save());
        results.push({
          before: Array.from(await (model.predict(x) as Tensor).data()),
          after: Array.from(await (loaded.predict(x) as Tensor).data()),
          layersBefore: model.layers.map((layer) => layer.serialize()),
          layersAfter: loaded.layers.map((layer) => layer.serialize()),
          summaryBefore: model.summary(),
          summaryAfter: loaded.summary(),
        });
        model.dispose();
        loaded.dispose();
      }
      return results;
    });
    for (const result of out) {
      expect(result.after).toEqual(result.before);
      expect(result.layersAfter).toEqual(result.layersBefore);
      expect(result.summaryAfter).toBe(result.summaryBefore);
    }
    const [images, sequences, residual] = out;
    expect(residual.layersAfter.map((layer) => layer.className)).toEqual(['InputLayer', 'DepthwiseConv2D', 'SeparableConv2D', 'Add', 'UpSampling2D', 'ZeroPadding2D']);
    expect(images.layersAfter.map((layer) => layer.className)).toEqual(['ZeroPadding2D', 'DepthwiseConv2D', 'UpSampling2D', 'SeparableConv2D', 'Flatten', 'Dense']);
    expect(images.layersAfter[0].config).toMatchObject({ padding: [[1, 1], [2, 2]] });
    expect(images.layersAfter[1].config).toMatchObject({ kernelSize: [2, 3], strides: [1, 1], padding: 'valid', depthMultiplier: 3, dilationRate: [1, 1], activation: 'tanh', useBias: true, biasInitializer: 'ones' });
    expect(images.layersAfter[2].config).toMatchObject({ size: [2, 2], interpolation: 'bilinear' });
    expect(images.layersAfter[3].config).toMatchObject({ filters: 3, kernelSize: [3, 3], strides: [2, 2], padding: 'same', depthMultiplier: 1, pointwiseInitializer: 'heNormal', activation: 'gelu' });
    expect(sequences.layersAfter[0].config).toMatchObject({ filters: 3, kernelSize: 2, strides: 1, padding: 'causal', dilationRate: 1, activation: 'relu', useBias: true });
    expect(sequences.layersAfter[1].config).toMatchObject({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same', kernelInitializer: 'heNormal' });
  });

  it('train inside fit: a model of all five fits a fixed target and leaves no tensors behind', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(8);
      const { Conv1D, DepthwiseConv2D, SeparableConv2D, UpSampling2D, ZeroPadding2D, Flatten, Dense, Reshape } = wg.layers;
      const model = new wg.Sequential([
        new ZeroPadding2D({ padding: 1, inputShape: [4, 4, 2] }),
        new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, activation: 'relu' }),
        new UpSampling2D({ interpolation: 'bilinear' }),
        new SeparableConv2D(3, { kernelSize: 3, strides: 2, padding: 'same' }),
        new Reshape([16, 3]),
        new Conv1D(2, { kernelSize: 3, padding: 'causal', activation: 'tanh' }),
        new Flatten(),
        new Dense(1),
      ]);
      model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
      const x = wg.randn([16, 4, 4, 2]);
      const y = wg.randn([16, 1]);
      const live = wg.memory().numTensors;
      const history = await model.fit(x, y, { epochs: 8, batchSize: 8, verbose: 0 });
      const after = wg.memory().numTensors;
      model.dispose();
      return { losses: history.history.loss as number[], grown: after - live };
    });
    // 16 random targets and more parameters than targets: training drives the loss well below its start.
    expect(out.losses.at(-1)!).toBeLessThan(0.5 * out.losses[0]);
    // Only the optimizer's state (created on the first step) outlives fit: Adam's two slots for each of the 9 weights.
    expect(out.grown).toBe(2 * 9);
  });

  it('rejects bad configurations and inputs, naming the layer and the shapes', async () => {
    const thrown = (attempt: (wg: Webgrad) => unknown): Promise<string> => thrownInPage(gpu, attempt);
    // Conv1D
    expect(await thrown((wg) => new wg.layers.Conv1D(0, { kernelSize: 3 }))).toBe('ValueError: Conv1D: filters must be a positive integer, got 0');
    expect(await thrown((wg) => new wg.layers.Conv1D(2, {} as { kernelSize: number }))).toMatch(/^ValueError: Conv1D: kernelSize is required/);
    expect(await thrown((wg) => new wg.layers.Conv1D(2, { kernelSize: 3, padding: 'full' as 'same' }))).toBe('ValueError: Conv1D: padding must be \'valid\', \'same\', \'causal\', got "full"');
    expect(await thrown((wg) => new wg.layers.Conv1D(2, { kernelSize: 3, strides: 2, dilationRate: 2 })))
      .toBe('ValueError: Conv1D: strides > 1 cannot be combined with dilationRate > 1 (as in Keras), got strides [2] and dilationRate [2]');
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.Conv1D(2, { kernelSize: 3, inputShape: [8, 8, 1], name: 'seq' })])))
      .toBe('ShapeError: seq: Conv1D needs samples shaped [steps, channels], got [8,8,1]');
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.Conv1D(2, { kernelSize: 3, dilationRate: 2, inputShape: [4, 2], name: 'short' })])))
      .toBe("ShapeError: short: the kernel spans 5 steps (kernelSize 3, dilationRate 2) but the input has 4: input [4,2], padding 'valid'");
    expect(await thrown((wg) => {
      const layer = new wg.layers.Conv1D(2, { kernelSize: 3, name: 'conv_in3' });
      layer.build([6, 3]);
      return layer.call(wg.zeros([1, 6, 2]), { training: false });
    })).toBe('ShapeError: conv_in3: expected a batch [batch, steps, 3], got [1,6,2]');
    // DepthwiseConv2D and SeparableConv2D
    expect(await thrown((wg) => new wg.layers.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 0 }))).toBe('ValueError: DepthwiseConv2D: depthMultiplier must be a positive integer, got 0');
    expect(await thrown((wg) => new wg.layers.DepthwiseConv2D({ kernelSize: 3, padding: 1 as unknown as 'same' }))).toBe("ValueError: DepthwiseConv2D: padding must be 'valid', 'same', got 1");
    expect(await thrown((wg) => new wg.layers.SeparableConv2D(-1, { kernelSize: 3 }))).toBe('ValueError: SeparableConv2D: filters must be a positive integer, got -1');
    expect(await thrown((wg) => new wg.layers.SeparableConv2D(2, { kernelSize: 3, strides: [1, 2], dilationRate: [2, 1] })))
      .toBe('ValueError: SeparableConv2D: strides > 1 cannot be combined with dilationRate > 1 (as in Keras), got strides [1,2] and dilationRate [2,1]');
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.DepthwiseConv2D({ kernelSize: 3, inputShape: [2, 5, 4], name: 'dw' })])))
      .toBe("ShapeError: dw: the window spans 3 along height (size 3, dilation 1) but the padded input has 2: dw: input [2,5,4], kernelSize [3,3], strides [1,1], padding 'valid', dilationRate [1,1]");
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.SeparableConv2D(2, { kernelSize: 3, inputShape: [5, 4], name: 'sep' })])))
      .toBe('ShapeError: sep: SeparableConv2D needs samples shaped [height, width, channels], got [5,4]');
    expect(await thrown((wg) => {
      const layer = new wg.layers.DepthwiseConv2D({ kernelSize: 1, name: 'dw_rgb' });
      layer.build([4, 4, 3]);
      return layer.call(wg.zeros([1, 4, 4, 1]), { training: false });
    })).toBe('ShapeError: dw_rgb: expected a batch [batch, height, width, 3], got [1,4,4,1]');
    // UpSampling2D and ZeroPadding2D
    expect(await thrown((wg) => new wg.layers.UpSampling2D({ interpolation: 'bicubic' as 'bilinear' }))).toBe('ValueError: UpSampling2D: interpolation must be \'nearest\' or \'bilinear\', got "bicubic"');
    expect(await thrown((wg) => new wg.layers.UpSampling2D({ size: [2, 0] }))).toMatch(/^ValueError: UpSampling2D: size must be a positive integer or a \[height, width\] pair of them, got \[2,0\]/);
    expect(await thrown((wg) => new wg.Sequential([new wg.layers.UpSampling2D({ inputShape: [4, 4], name: 'up' })])))
      .toBe('ShapeError: up: UpSampling2D needs samples shaped [height, width, channels], got [4,4]');
    expect(await thrown((wg) => new wg.layers.ZeroPadding2D({ padding: -1 }))).toMatch(/^ValueError: ZeroPadding2D: padding must be a non-negative integer .*got -1/);
    expect(await thrown((wg) => new wg.layers.ZeroPadding2D({ padding: null as unknown as number })))
      .toBe('ValueError: ZeroPadding2D: padding must be a number, [height, width] or [[top, bottom], [left, right]], got null');
    expect(await thrown((wg) => new wg.layers.ZeroPadding2D({ padding: [[1, 2], [3]] as unknown as number }))).toMatch(/^ValueError: ZeroPadding2D: explicit padding must be \[\[top, bottom\], \[left, right\]\]/);
    expect(await thrown((wg) => new wg.layers.ZeroPadding2D({ name: 'pad' }).apply(wg.zeros([2, 3, 3])))).toBe('ShapeError: pad: ZeroPadding2D needs samples shaped [height, width, channels], got [3,3]');
    // A rejected call leaves the model and the input as they were.
    const kept = await gpu.run(async (wg) => {
      const model = new wg.Sequential([new wg.layers.Conv1D(2, { kernelSize: 2, inputShape: [4, 3] })]);
      const x = wg.ones([1, 4, 3]);
      const before = Array.from(await model.predict(x).data());
      let message = '';
      try {
        model.predict(wg.ones([1, 4, 2]));
      } catch (error) {
        message = (error as Error).name;
      }
      const after = Array.from(await model.predict(x).data());
      return { message, same: JSON.stringify(before) === JSON.stringify(after), input: Array.from(await x.data()) };
    });
    expect(kept).toEqual({ message: 'ShapeError', same: true, input: new Array(12).fill(1) });
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
