// model.save() / wg.loadModel() / wg.loadWeights() / getWeights / setWeights: a reloaded model
// predicts the same bits; the weights file is valid safetensors by a reader written here from the
// format description; a file that does not fit the model is refused before anything is written.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { parseSafetensors, writeSafetensors } from './safetensors-reader';
import { BFLOAT16, FLOAT16, decodeHalf, roundToHalf } from '../reference/halfFloats';

const gpu = useGpuPage();

interface SavedModel {
  modelJson: {
    format: string;
    formatVersion: number;
    name: string;
    inputShape: number[] | null;
    layers: { className: string; config: Record<string, unknown> }[];
    weights: { name: string; shape: number[]; dtype: string }[];
  };
  bytes: Uint8Array;
  weights: { name: string; shape: readonly number[]; values: Float32Array }[];
}

describe('save and load', () => {
  it('save → loadModel rebuilds every layer and predicts bit-identical outputs', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(4);
      const { Dense, Dropout, Flatten, Activation } = wg.layers;
      const model = new wg.Sequential([
        new Flatten({ inputShape: [2, 3] }),
        new Dense(5, { activation: 'relu', kernelInitializer: 'heNormal' }),
        new Dropout(0.2),
        new Dense(3, { useBias: false }),
        new Activation('softmax'),
      ], { name: 'saved_model' });
      model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
      const x = wg.randn([8, 2, 3]);
      const y = wg.oneHot(wg.tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], 'int32'), 3);
      // Train a little so the weights are not the initializers' output.
      await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
      const artifacts = await model.save();
      const loaded = wg.loadModel(artifacts);
      const before = model.predict(x);
      const after = loaded.predict(x);
      const result = {
        before: await before.data(),
        after: await after.data(),
        summaryBefore: model.summary(),
        summaryAfter: loaded.summary(),
        layersBefore: model.layers.map((layer) => layer.serialize()),
        layersAfter: loaded.layers.map((layer) => layer.serialize()),
        name: loaded.name,
        inputShape: loaded.inputShape,
      };
      [x, y, before, after].forEach((t) => t.dispose());
      model.dispose();
      loaded.dispose();
      return result;
    });
    expect(Array.from(out.after)).toEqual(Array.from(out.before));
    expect(out.summaryAfter).toBe(out.summaryBefore);
    expect(out.layersAfter).toEqual(out.layersBefore);
    expect(out.layersAfter.map((layer) => layer.className)).toEqual(['Flatten', 'Dense', 'Dropout', 'Dense', 'Activation']);
    expect(out.name).toBe('saved_model');
    expect(out.inputShape).toEqual([2, 3]);
  });

  it('the weights bytes are valid safetensors holding exactly getWeights(), by an independent reader', async () => {
    const saved: SavedModel = await gpu.run(async (wg) => {
      wg.setSeed(6);
      const model = new wg.Sequential([new wg.layers.Dense(3, { activation: 'tanh', inputShape: [4] }), new wg.layers.Dense(2, { biasInitializer: 'ones' })]);
      const artifacts = await model.save();
      const weights = model.getWeights();
      const names = model.namedWeights().map(({ name }) => name);
      const result = {
        modelJson: artifacts.modelJson,
        bytes: new Uint8Array(artifacts.weights),
        weights: await Promise.all(weights.map(async (w, i) => ({ name: names[i], shape: w.shape, values: (await w.data()) as Float32Array }))),
      };
      weights.forEach((w) => w.dispose());
      model.dispose();
      return result;
    });
    const parsed = parseSafetensors(saved.bytes);
    expect(parsed.metadata).toEqual({ format: 'webgrad-sequential', formatVersion: '2' });
    // The data section starts 8-byte aligned, as the reference writer pads it.
    expect((8 + parsed.headerLength) % 8).toBe(0);
    expect(saved.bytes.byteLength).toBe(8 + parsed.headerLength + 4 * (3 * 4 + 3 + 2 * 3 + 2));
    expect(parsed.tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape }))).toEqual(
      saved.modelJson.weights.map(({ name, shape }) => ({ name, dtype: 'F32', shape })),
    );
    expect(parsed.tensors.map(({ shape }) => shape)).toEqual(saved.weights.map(({ shape }) => shape));
    expect(saved.weights.map((w) => w.name.split('/')[1])).toEqual(['kernel', 'bias', 'kernel', 'bias']);
    parsed.tensors.forEach((tensor, i) => expect(Array.from(tensor.values)).toEqual(Array.from(saved.weights[i].values)));
    expect(saved.modelJson.weights.map(({ shape, dtype }) => ({ shape, dtype }))).toEqual(saved.weights.map(({ shape }) => ({ shape, dtype: 'float32' })));
    expect(saved.modelJson).toMatchObject({ format: 'webgrad-sequential', formatVersion: 2, inputShape: [4] });
    // Weights are named by position in the model (Keras 3's saving scheme), not by the layers' page-wide names.
    expect(saved.modelJson.weights.map(({ name }) => name)).toEqual(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']);
  });

  // A file without webgrad's formatVersion metadata (as older webgrad and other writers make) names weights by layer name.
  it('loadWeights takes a file written here; a wrong shape, name or byte count throws and leaves every weight unchanged', async () => {
    const shapes = [[2, 3], [3], [3, 1], [1]];
    const names = ['first/kernel', 'first/bias', 'second/kernel', 'second/bias'];
    const values = shapes.map((shape, k) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (k + 1) * 0.25 + i / 8));
    const good = names.map((name, k) => ({ name, shape: shapes[k], values: values[k] }));
    const files: Record<string, Uint8Array> = {
      // The first tensor is fine (and differs from the model's), the second has the wrong shape:
      // nothing at all may be written.
      wrongShape: writeSafetensors(good.map((t, k) => (k === 1 ? { ...t, shape: [1, 3] } : t))),
      wrongName: writeSafetensors(good.map((t, k) => (k === 2 ? { ...t, name: 'second/kernal' } : t))),
      missing: writeSafetensors(good.slice(0, 3)),
      truncated: writeSafetensors(good).slice(0, 40),
      good: writeSafetensors(good),
    };
    const out = await gpu.run(async (wg, { files }) => {
      wg.setSeed(8);
      const model = new wg.Sequential([
        new wg.layers.Dense(3, { activation: 'relu', inputShape: [2], name: 'first' }),
        new wg.layers.Dense(1, { name: 'second' }),
      ]);
      const read = async () => {
        const weights = model.getWeights();
        const data = await Promise.all(weights.map(async (w) => Array.from(await w.data())));
        weights.forEach((w) => w.dispose());
        return data;
      };
      const original = await read();
      const outcomes: Record<string, { error: string; weights: number[][] }> = {};
      for (const [name, bytes] of Object.entries(files)) {
        let error = 'no error';
        try {
          wg.loadWeights(model, bytes.slice().buffer);
        } catch (thrown) {
          error = `${(thrown as Error).name}: ${(thrown as Error).message}`;
        }
        outcomes[name] = { error, weights: await read() };
      }
      model.dispose();
      return { original, outcomes };
    }, { files });
    const { original, outcomes } = out;
    expect(outcomes.wrongShape.error).toMatch(/^ModelFormatError: loadWeights: first\/bias is \[3\] float32 in the model but \[1,3\] float32 in the file/);
    expect(outcomes.wrongName.error).toMatch(/^ModelFormatError: loadWeights: .*missing: second\/kernel; unexpected: second\/kernal/);
    expect(outcomes.missing.error).toMatch(/^ModelFormatError: loadWeights: .*missing: second\/bias; unexpected: none/);
    expect(outcomes.truncated.error).toMatch(/^ModelFormatError: safetensors: /);
    for (const name of ['wrongShape', 'wrongName', 'missing', 'truncated']) {
      expect({ name, weights: outcomes[name].weights }).toEqual({ name, weights: original });
    }
    expect(outcomes.good.error).toBe('no error');
    // The values written here are multiples of 1/8: exact in float32.
    expect(outcomes.good.weights).toEqual(values);
  });

  it('getWeights / setWeights round trip: copies out, same predictions in another model; a wrong shape changes nothing', async () => {
    const out = await gpu.run(async (wg) => {
      const build = (seed: number) => {
        wg.setSeed(seed);
        return new wg.Sequential([new wg.layers.Dense(4, { activation: 'sigmoid', inputShape: [3] }), new wg.layers.Dense(2)]);
      };
      const source = build(1);
      const target = build(2);
      const x = wg.randn([6, 3]);
      const weights = source.getWeights();
      const data = async (tensors: { data(): Promise<Float32Array | Int32Array> }[]) => Promise.all(tensors.map(async (t) => Array.from(await t.data())));
      const targetBefore = await data(target.getWeights());
      target.setWeights(weights);
      const sourcePrediction = source.predict(x);
      const targetPrediction = target.predict(x);
      // getWeights hands out copies: disposing them leaves both models intact.
      weights.forEach((w) => w.dispose());
      const afterDispose = target.predict(x);
      const errors: string[] = [];
      const targetSet = await data(target.getWeights());
      for (const bad of [[wg.zeros([3, 4]), wg.zeros([4]), wg.zeros([4, 2]), wg.zeros([2])], [wg.ones([3, 4]), wg.ones([4]), wg.ones([3, 2]), wg.ones([2])], [wg.zeros([3, 4])]]) {
        try {
          target.setWeights(bad);
        } catch (error) {
          errors.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      const targetAfterErrors = await data(target.getWeights());
      const result = {
        targetBefore,
        sourceWeights: await data(source.getWeights()),
        targetSet,
        sourcePrediction: await sourcePrediction.data(),
        targetPrediction: await targetPrediction.data(),
        afterDispose: await afterDispose.data(),
        errors,
        targetAfterErrors,
      };
      source.dispose();
      target.dispose();
      return result;
    });
    expect(out.targetBefore).not.toEqual(out.sourceWeights);
    expect(out.targetSet).toEqual(out.sourceWeights);
    expect(Array.from(out.targetPrediction)).toEqual(Array.from(out.sourcePrediction));
    expect(Array.from(out.afterDispose)).toEqual(Array.from(out.sourcePrediction));
    // The first list is valid (zeros of the right shapes); the second is all ones with the third
    // weight's shape wrong, so a partial write would show as ones.
    expect(out.errors).toHaveLength(2);
    expect(out.errors[0]).toMatch(/^ShapeError: setWeights: dense\S*\/kernel is \[4,2\] float32, got \[3,2\] float32/);
    expect(out.errors[1]).toMatch(/^ValueError: setWeights: the model has 4 weights, got 1/);
    expect(out.targetAfterErrors).toEqual([Array(12).fill(0), Array(4).fill(0), Array(8).fill(0), Array(2).fill(0)]);
  });

  it("save({ dtype: 'float16' | 'bfloat16' }) writes F16 / BF16 rounded to nearest even; loadModel widens them back", async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(11);
      const model = new wg.Sequential([new wg.layers.Dense(3, { inputShape: [4], activation: 'tanh' }), new wg.layers.Dense(2)]);
      // Values that round differently in the two formats, one past float16's range, one tiny.
      wg.tidy(() => model.layers[1].weights.get('bias')!.assign(wg.tensor([70000, 1e-7])));
      const original = await Promise.all(model.getWeights().map(async (w) => { const d = Array.from(await w.data()); w.dispose(); return d; }));
      const saved: Record<string, { bytes: Uint8Array; loaded: number[][]; dtypes: string[] }> = {};
      for (const dtype of ['float16', 'bfloat16'] as const) {
        const artifacts = await model.save({ dtype });
        const loaded = wg.loadModel(artifacts);
        const weights = await Promise.all(loaded.getWeights().map(async (w) => { const d = Array.from(await w.data()); w.dispose(); return d; }));
        saved[dtype] = { bytes: new Uint8Array(artifacts.weights), loaded: weights, dtypes: artifacts.modelJson.weights.map((w) => w.dtype) };
        loaded.dispose();
      }
      let refused = 'no error';
      try {
        await wg.saveWeights(model, { dtype: 'int8' as 'float16' });
      } catch (error) {
        refused = `${(error as Error).name}: ${(error as Error).message}`;
      }
      model.dispose();
      return { original, saved, refused };
    });
    for (const [dtype, format] of [['float16', FLOAT16], ['bfloat16', BFLOAT16]] as const) {
      const { bytes, loaded, dtypes } = out.saved[dtype];
      const parsed = parseSafetensors(bytes);
      expect(parsed.tensors.map((t) => t.dtype)).toEqual([format.name, format.name, format.name, format.name]);
      expect(bytes.byteLength).toBe(8 + parsed.headerLength + 2 * (4 * 3 + 3 + 3 * 2 + 2));
      // The model JSON still lists the weights as float32: that is what the model holds.
      expect(dtypes).toEqual(['float32', 'float32', 'float32', 'float32']);
      const expected = out.original.map((values) => values.map((v) => decodeHalf(format, roundToHalf(format, v))));
      parsed.tensors.forEach((t, i) => expect(Array.from(t.values)).toEqual(expected[i]));
      expect(loaded).toEqual(expected);
    }
    expect(out.saved.float16.loaded[3][0]).toBe(Infinity); // 70000 is past float16's 65504
    expect(out.saved.bfloat16.loaded[3][0]).toBe(70144); // bfloat16's 8 significant bits: 70000 → 137·2^9
    expect(out.refused).toBe("ValueError: saveWeights: dtype must be 'float32', 'float16' or 'bfloat16', got \"int8\"");
  });
});
