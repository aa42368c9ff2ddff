// Models used as layers (Keras's nesting): a functional encoder applied to two inputs (its weights
// shared, trained once per step with the gradient of both applications), Sequential and functional
// models inside each other, Keras's `trainable = false` freeze, summaries, and save / loadModel of
// nested models (bit-identical predictions, Keras 3's nested file names, hostile nested configs
// refused with a ModelFormatError that leaks nothing). References: float64 forward passes of the
// models' own weights and central-difference gradients (test/nn/functional-reference.ts).
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import type { SymbolicTensor } from '../../src/nn/functional/symbolic';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';
import { dense, matrix, type Matrix } from './dense-reference';
import { concatColumns, meanSquaredError, numericGradients } from './functional-reference';
import { loadModelCases } from '../io/load-in-page';

const gpu = useGpuPage();

/** Keras's count for Dense: a kernel [in, units] plus a bias [units]. */
const denseParams = (inputs: number, units: number): number => inputs * units + units;

/** The encoder: tanh(x·K1 + b1)·K2 + b2, x [n, 3], hidden 4, out 2; weights K1, b1, K2, b2 from `w[at]`. */
function encoderForward(x: Matrix, w: readonly ArrayLike<number>[], at = 0): Matrix {
  const h = dense(x, matrix(3, 4, w[at]), w[at + 1], 'tanh');
  return dense(h, matrix(4, 2, w[at + 2]), w[at + 3], 'linear');
}

/** The siamese model: concat(encoder(a), encoder(b))·Kh + bh; weights: the encoder's four, Kh [4,1], bh. */
function siameseForward(a: Matrix, b: Matrix, w: readonly ArrayLike<number>[]): Matrix {
  return dense(concatColumns(encoderForward(a, w), encoderForward(b, w)), matrix(4, 1, w[4]), w[5], 'linear');
}

/** Rows of a summary table: the lines naming a layer and its class. */
const summaryRows = (summary: string): string[] => summary.split('\n').filter((line) => /\(\w+\)/.test(line) && !line.startsWith('Layer'));

describe('nested models', () => {
  it('a functional encoder applied to two inputs: float64 predictions, one SGD step with the gradient of both applications, summary', async () => {
    const n = 5;
    const learningRate = 0.1;
    const out = await gpu.run(async (wg, { n, learningRate }) => {
      wg.setSeed(11);
      const { Dense, Concatenate } = wg.layers;
      const x = wg.input({ shape: [3], name: 'x' });
      const encoder = wg.model({ inputs: x, outputs: new Dense(2).apply(new Dense(4, { activation: 'tanh' }).apply(x)), name: 'encoder' });
      const a = wg.input({ shape: [3], name: 'a' });
      const b = wg.input({ shape: [3], name: 'b' });
      const ea = encoder.apply(a) as SymbolicTensor;
      const eb = encoder.apply(b) as SymbolicTensor;
      const model = wg.model({ inputs: [a, b], outputs: new Dense(1, { name: 'head' }).apply(new Concatenate({ name: 'joined' }).apply([ea, eb])), name: 'siamese' });
      const da = wg.randn([n, 3]);
      const db = wg.randn([n, 3]);
      const target = wg.randn([n, 1]);
      const prediction = model.predict([da, db]) as Tensor;
      const before = model.getWeights();
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate }), loss: 'mse' });
      const history = await model.fit([da, db], target, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
      const after = model.getWeights();
      // The inner model is the same object: its own weights are the ones that trained.
      const encoderAfter = encoder.getWeights();
      const result = {
        a: await da.data(), b: await db.data(), target: await target.data(), prediction: await prediction.data(),
        before: await Promise.all(before.map((w) => w.data())),
        after: await Promise.all(after.map((w) => w.data())),
        encoderAfter: await Promise.all(encoderAfter.map((w) => w.data())),
        loss: history.history.loss[0],
        names: model.namedWeights().map(({ name }) => name),
        layerTypes: model.layers.map((layer) => layer.className),
        countParams: model.countParams(),
        trainableCount: model.trainableWeights.length,
        summary: model.summary(),
      };
      [da, db, target, prediction, ...before, ...after, ...encoderAfter].forEach((t) => t.dispose());
      model.dispose();
      return result;
    }, { n, learningRate });
    expect(out.layerTypes).toEqual(['InputLayer', 'Functional', 'InputLayer', 'Concatenate', 'Dense']);
    // Named as files name them (Keras 3): each layer by its class numbered within the model, the
    // inner model's weights under its own key, whatever names the user gave (encoder, head).
    expect(out.names).toEqual(['functional/dense/kernel', 'functional/dense/bias', 'functional/dense_1/kernel', 'functional/dense_1/bias', 'dense/kernel', 'dense/bias']);
    // Applied twice, the encoder's four weights are listed (and trained) once.
    expect(out.trainableCount).toBe(6);
    const encoderParams = denseParams(3, 4) + denseParams(4, 2);
    expect(out.countParams).toBe(encoderParams + denseParams(4, 1));
    const a = matrix(n, 3, out.a);
    const b = matrix(n, 3, out.b);
    // float32 through three small Dense layers: a few ulps per op.
    expectClose(out.prediction, siameseForward(a, b, out.before).data, { rtol: 1e-5, atol: 1e-6 }, 'siamese prediction');
    const loss = (w: readonly ArrayLike<number>[]): number => meanSquaredError(siameseForward(a, b, w), out.target);
    expect(out.loss).toBeCloseTo(loss(out.before), 5);
    const gradients = numericGradients(out.before, loss);
    out.after.forEach((values, i) => {
      const expected = Float64Array.from(out.before[i], (w, j) => w - learningRate * gradients[i][j]);
      // One step on order-1 weights: 1e-5 covers float32 rounding of the gradient.
      expectClose(values, expected, { rtol: 1e-5, atol: 1e-5 }, `weight ${out.names[i]} after one step`);
    });
    out.encoderAfter.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(out.after[i])));
    // Keras shows the nested model as one row of class Functional, connected to both inputs.
    const rows = summaryRows(out.summary);
    expect(rows.find((row) => row.startsWith('encoder (Functional)'))).toMatch(new RegExp(`^encoder \\(Functional\\)\\s+\\(None, 2\\)\\s+${encoderParams}\\s+a\\[0\\]\\[0\\], b\\[0\\]\\[0\\]$`));
    expect(rows.find((row) => row.startsWith('joined'))).toMatch(/encoder\[0\]\[0\], encoder\[1\]\[0\]$/);
    expect(out.summary).toMatch(new RegExp(`^Total params: ${encoderParams + denseParams(4, 1)}$`, 'm'));
  });

  it('Sequential in Sequential, functional in Sequential, Sequential in functional: predictions as the inner model then the rest', async () => {
    const n = 4;
    const out = await gpu.run(async (wg, { n }) => {
      wg.setSeed(12);
      const { Dense } = wg.layers;
      const base = new wg.Sequential([new Dense(4, { activation: 'tanh', inputShape: [3] }), new Dense(2)], { name: 'base' });
      const stacked = new wg.Sequential([base, new Dense(1, { name: 'top' })], { name: 'stacked' });
      const x = wg.input({ shape: [3], name: 'x' });
      const encoder = wg.model({ inputs: x, outputs: new Dense(2).apply(new Dense(4, { activation: 'tanh' }).apply(x)), name: 'fencoder' });
      const wrapped = new wg.Sequential([encoder, new Dense(1, { name: 'ftop' })], { name: 'wrapped' });
      const input = wg.input({ shape: [3], name: 'input' });
      const lazyInner = new wg.Sequential([new Dense(4, { activation: 'tanh' }), new Dense(2)], { name: 'lazy' });
      const graph = wg.model({ inputs: input, outputs: new Dense(1, { name: 'gtop' }).apply(lazyInner.apply(input)), name: 'graph' });
      const data = wg.randn([n, 3]);
      const read = async (t: Tensor | Tensor[]) => Array.from(await (t as Tensor).data());
      const weights = async (m: { getWeights(): Tensor[] }) => {
        const list = m.getWeights();
        const values = await Promise.all(list.map(read));
        list.forEach((t) => t.dispose());
        return values;
      };
      const result = {
        x: await data.data(),
        predictions: [await read(stacked.predict(data)), await read(wrapped.predict(data)), await read(graph.predict(data))],
        weights: [await weights(stacked), await weights(wrapped), await weights(graph)],
        counts: [stacked.countParams(), wrapped.countParams(), graph.countParams()],
        summaries: [stacked.summary(), wrapped.summary()],
      };
      data.dispose();
      [stacked, wrapped, graph].forEach((m) => m.dispose());
      return result;
    }, { n });
    const x = matrix(n, 3, out.x);
    const innerParams = denseParams(3, 4) + denseParams(4, 2);
    out.predictions.forEach((prediction, i) => {
      const w = out.weights[i];
      const expected = dense(encoderForward(x, w), matrix(2, 1, w[4]), w[5], 'linear');
      expectClose(prediction, expected.data, { rtol: 1e-5, atol: 1e-6 }, `model ${i}`);
      expect(out.counts[i]).toBe(innerParams + denseParams(2, 1));
    });
    expect(summaryRows(out.summaries[0])[0]).toMatch(new RegExp(`^base \\(Sequential\\)\\s+\\(None, 2\\)\\s+${innerParams}$`));
    expect(summaryRows(out.summaries[1])[0]).toMatch(new RegExp(`^fencoder \\(Functional\\)\\s+\\(None, 2\\)\\s+${innerParams}$`));
  });

  it('a nested model with two inputs and two outputs: apply returns both, predictions as float64, save / load bit-identical', async () => {
    const n = 3;
    const out = await gpu.run(async (wg, { n }) => {
      wg.setSeed(15);
      const { Dense, Add, Concatenate } = wg.layers;
      const p = wg.input({ shape: [3], name: 'p' });
      const q = wg.input({ shape: [3], name: 'q' });
      const inner = wg.model({ inputs: [p, q], outputs: [new Dense(2, { name: 'proj' }).apply(p), new Add({ name: 'sum' }).apply([p, q])], name: 'two_way' });
      const a = wg.input({ shape: [3], name: 'a' });
      const b = wg.input({ shape: [3], name: 'b' });
      const [projected, summed] = inner.apply([a, b]) as SymbolicTensor[];
      const model = wg.model({ inputs: [a, b], outputs: new Concatenate({ name: 'both' }).apply([projected, summed]), name: 'outer_two' });
      const da = wg.randn([n, 3]);
      const db = wg.randn([n, 3]);
      const loaded = wg.loadModel(await model.save());
      const read = async (t: Tensor | Tensor[]) => Array.from(await (t as Tensor).data());
      const weights = model.getWeights();
      const result = {
        a: await da.data(), b: await db.data(),
        predictions: [await read(model.predict([da, db])), await read(loaded.predict([da, db]))],
        weights: await Promise.all(weights.map(read)),
        names: model.namedWeights().map(({ name }) => name),
      };
      [da, db, ...weights].forEach((t) => t.dispose());
      [model, loaded].forEach((m) => m.dispose());
      return result;
    }, { n });
    expect(out.names).toEqual(['functional/dense/kernel', 'functional/dense/bias']);
    const a = matrix(n, 3, out.a);
    const b = matrix(n, 3, out.b);
    const summed: Matrix = { ...a, data: a.data.map((v, i) => v + b.data[i]) };
    const expected = concatColumns(dense(a, matrix(3, 2, out.weights[0]), out.weights[1], 'linear'), summed);
    // One small Dense and an add in float32.
    expectClose(out.predictions[0], expected.data, { rtol: 1e-5, atol: 1e-6 }, 'two-output nested model');
    expect(out.predictions[1]).toEqual(out.predictions[0]);
  });

  it('trainable = false freezes a nested model (fit leaves it bit-identical; summary counts it non-trainable), a layer too, and errors are typed', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(13);
      const { Dense } = wg.layers;
      const base = new wg.Sequential([new Dense(4, { activation: 'tanh', inputShape: [3] }), new Dense(2)], { name: 'frozen_base' });
      const model = new wg.Sequential([base, new Dense(1, { name: 'head' })]);
      const data = wg.randn([6, 3]);
      const target = wg.randn([6, 1]);
      const snapshot = async () => {
        const list = model.getWeights();
        const values = await Promise.all(list.map(async (t) => Array.from(await t.data())));
        list.forEach((t) => t.dispose());
        return values;
      };
      base.trainable = false;
      const frozenSummary = model.summary();
      const before = await snapshot();
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      await model.fit(data, target, { epochs: 2, batchSize: 3, verbose: 0 });
      const afterFrozen = await snapshot();
      // Keras: setting a model's trainable sets each of its layers'; one layer may then be unfrozen (with the model's own flag back on).
      base.trainable = true;
      base.layers[0].trainable = false;
      const partly = { trainable: model.trainableWeights.length, summary: model.summary() };
      await model.fit(data, target, { epochs: 1, batchSize: 3, verbose: 0 });
      const afterPartly = await snapshot();
      const errors: string[] = [];
      for (const attempt of [
        () => { (base as unknown as { trainable: unknown }).trainable = 'no'; },
        () => { (base.layers[1] as unknown as { trainable: unknown }).trainable = 0; },
        () => model.add(model),
        () => wg.model({ inputs: wg.input({ shape: [5] }), outputs: base.apply(wg.input({ shape: [5] })) }),
      ]) {
        try {
          attempt();
          errors.push('no error');
        } catch (error) {
          errors.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      const baseParams = base.countParams();
      data.dispose();
      target.dispose();
      model.dispose();
      return { frozenSummary, before, afterFrozen, partly, afterPartly, errors, baseParams };
    });
    // Base weights (the first four) unchanged bit for bit; the head trained.
    expect(out.afterFrozen.slice(0, 4)).toEqual(out.before.slice(0, 4));
    expect(out.afterFrozen[4]).not.toEqual(out.before[4]);
    expect(out.frozenSummary).toMatch(new RegExp(`^Trainable params: ${denseParams(2, 1)}$`, 'm'));
    expect(out.frozenSummary).toMatch(new RegExp(`^Non-trainable params: ${out.baseParams}$`, 'm'));
    expect(out.partly.trainable).toBe(4);
    expect(out.partly.summary).toMatch(new RegExp(`^Non-trainable params: ${denseParams(3, 4)}$`, 'm'));
    expect(out.afterPartly.slice(0, 2)).toEqual(out.afterFrozen.slice(0, 2));
    expect(out.afterPartly[2]).not.toEqual(out.afterFrozen[2]);
    expect(out.errors[0]).toMatch(/^ValueError: frozen_base: trainable must be true or false, got "no"/);
    expect(out.errors[1]).toMatch(/^ValueError: dense_\d+: trainable must be true or false, got 0/);
    expect(out.errors[2]).toMatch(/^ValueError: sequential(_\d+)?: a model cannot be a layer of itself/);
    expect(out.errors[3]).toMatch(/^ShapeError: frozen_base: the layer expects input \[3\], but is applied to input_layer(_\d+)? of shape \[5\]/);
  });
});

describe('nested models in files', () => {
  it('save / loadModel: nested configs and Keras 3 weight names, bit-identical predictions, same summary and freeze; hostile nested configs leak nothing', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(14);
      const { Dense, Concatenate } = wg.layers;
      // Two levels: a Sequential block inside the encoder, the encoder applied to both inputs, a frozen Sequential after them.
      const block = new wg.Sequential([new Dense(4, { activation: 'tanh', inputShape: [3] })], { name: 'block' });
      const x = wg.input({ shape: [3], name: 'x' });
      const encoder = wg.model({ inputs: x, outputs: new Dense(2).apply(block.apply(x)), name: 'encoder' });
      const a = wg.input({ shape: [3], name: 'a' });
      const b = wg.input({ shape: [3], name: 'b' });
      const post = new wg.Sequential([new Dense(3, { activation: 'relu' })], { name: 'post' });
      const joined = new Concatenate({ name: 'joined' }).apply([encoder.apply(a) as SymbolicTensor, encoder.apply(b) as SymbolicTensor]);
      const model = wg.model({ inputs: [a, b], outputs: new Dense(1, { name: 'head' }).apply(post.apply(joined)), name: 'outer' });
      post.trainable = false;
      const stacked = new wg.Sequential([new wg.Sequential([new Dense(2, { inputShape: [3] })], { name: 'inner' }), new Dense(1)], { name: 'stacked' });
      const da = wg.randn([4, 3]);
      const db = wg.randn([4, 3]);
      const saved = await model.save();
      const savedStacked = await stacked.save();
      const loaded = wg.loadModel(saved);
      const loadedStacked = wg.loadModel(savedStacked);
      const read = async (t: Tensor | Tensor[]) => Array.from(await (t as Tensor).data());
      const result = {
        predictions: [await read(model.predict([da, db])), await read(loaded.predict([da, db]))],
        stackedPredictions: [await read(stacked.predict(da)), await read(loadedStacked.predict(da))],
        summaries: [model.summary(), loaded.summary(), stacked.summary(), loadedStacked.summary()],
        weightNames: saved.modelJson.weights.map((w) => w.name),
        stackedWeightNames: savedStacked.modelJson.weights.map((w) => w.name),
        layers: saved.modelJson.layers.map((layer) => [layer.className, (layer.config as { name: string }).name]),
        encoderLayers: ((saved.modelJson.layers[1].config as { layers: { className: string }[] }).layers).map((layer) => layer.className),
        trainable: [loaded.layers[4].trainable, loaded.trainableWeights.length, model.trainableWeights.length],
        saved: { modelJson: saved.modelJson as unknown as Record<string, unknown>, bytes: new Uint8Array(saved.weights) },
      };
      [da, db].forEach((t) => t.dispose());
      [model, loaded, stacked, loadedStacked].forEach((m) => m.dispose());
      return result;
    });
    expect(out.predictions[1]).toEqual(out.predictions[0]);
    expect(out.stackedPredictions[1]).toEqual(out.stackedPredictions[0]);
    expect(out.summaries[1]).toBe(out.summaries[0]);
    expect(out.summaries[3]).toBe(out.summaries[2]);
    // Keras nests the inner model's config under its class name; its weights keep their own file names under its key.
    expect(out.layers).toEqual([['InputLayer', 'a'], ['Functional', 'encoder'], ['InputLayer', 'b'], ['Concatenate', 'joined'], ['Sequential', 'post'], ['Dense', 'head']]);
    expect(out.encoderLayers).toEqual(['InputLayer', 'Sequential', 'Dense']);
    expect(out.weightNames).toEqual([
      'functional/sequential/dense/kernel', 'functional/sequential/dense/bias', 'functional/dense/kernel', 'functional/dense/bias',
      'sequential/dense/kernel', 'sequential/dense/bias', 'dense/kernel', 'dense/bias',
    ]);
    expect(out.stackedWeightNames).toEqual(['sequential/dense/kernel', 'sequential/dense/bias', 'dense/kernel', 'dense/bias']);
    expect(out.trainable).toEqual([false, 6, 6]);

    const json = out.saved.modelJson;
    type Entry = { className: string; config: Record<string, unknown>; inboundNodes: unknown[] };
    const edit = (change: (layers: Entry[]) => void) => {
      const copy = structuredClone(json) as { layers: Entry[] };
      change(copy.layers);
      return copy;
    };
    const encoderLayers = (layers: Entry[]) => layers[1].config.layers as Entry[];
    const blockLayers = (layers: Entry[]) => encoderLayers(layers)[1].config.layers as Entry[];
    const cases: [string, unknown, RegExp][] = [
      ['unknown nested field', edit((l) => { l[1].config.extra = 1; }), /layers\[1\] \(Functional\): a nested Functional model has no config field "extra"/],
      ['nested trainable "yes"', edit((l) => { l[1].config.trainable = 'yes'; }), /layers\[1\] \(Functional\): a nested model has trainable "yes"/],
      ['nested layers not a list', edit((l) => { l[1].config.layers = 'x'; }), /^ModelFormatError: loadModel: layers\[1\] \(Functional\): model JSON has layers "x"/],
      ['unknown class two levels down', edit((l) => { blockLayers(l)[0].className = 'Nope'; }), /^ModelFormatError: loadModel: layers\[1\] \(Functional\): layers\[1\] \(Sequential\): layers\[0\] \(Nope\): unknown layer class "Nope"/],
      ['unknown reference in the nested graph', edit((l) => { (encoderLayers(l)[2].inboundNodes[0] as unknown[][])[0][0] = 'nowhere'; }), /reads unknown layer 'nowhere'/],
      ['nested units 1e9', edit((l) => { blockLayers(l)[0].config.units = 1e9; }), /would take 12000000000 bytes, over the device's \d+-byte buffer limit/],
      ['nested units 5 (fits the device, not the file)', edit((l) => { blockLayers(l)[0].config.units = 5; }), /model JSON lists weights\[0\] as functional\/sequential\/dense\/kernel \[3,4\] float32, but its layers make functional\/sequential\/dense\/kernel \[3,5\] float32/],
      ['a later layer broken after the nested ones were rebuilt', edit((l) => { l[5].config.units = Number.NaN; }), /layers\[5\] \(Dense\): Dense: units must be a positive integer, got NaN/],
      ['nested model applied to the wrong shape', edit((l) => { l[0].config.shape = [4]; }), /input 'x' of the model 'encoder' expects \[3\], got \[4\]|encoder: the layer expects input \[3\]/],
    ];
    const outcomes = await gpu.run(loadModelCases, cases.map(([, modelJson]) => ({ modelJson, bytes: out.saved.bytes })));
    cases.forEach(([name, , message], i) => {
      expect({ name, error: outcomes[i].error }).toEqual({ name, error: expect.stringMatching(/^ModelFormatError: loadModel: /) });
      expect(outcomes[i].error, name).toMatch(message);
      expect({ name, leakedTensors: outcomes[i].leakedTensors, leakedBytes: outcomes[i].leakedBytes }).toEqual({ name, leakedTensors: 0, leakedBytes: 0 });
    });
    expect((await gpu.run(loadModelCases, [{ modelJson: json, bytes: out.saved.bytes }]))[0]).toMatchObject({ error: null, leakedTensors: 0, leakedBytes: 0 });
  });
});
