// Hostile and broken model files: each gives a ModelFormatError (a ValueError) naming the problem,
// allocates nothing (memory() unchanged), and leaves an existing model's weights bit-identical.
// The layout rules are those of the reference safetensors reader (huggingface/safetensors:
// byte ranges sorted by offset must tile the data section from 0 to its end; header ≤ 100 MB),
// checked here by the independent reader in safetensors-reader.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { editHeader, entry, joinFile, splitFile } from './file-edits';
import { loadModelCases, loadWeightsCases, saveSmallModel, type SavedArtifacts } from './load-in-page';
import { parseSafetensors } from './safetensors-reader';

const gpu = useGpuPage();
let saved: SavedArtifacts;

beforeAll(async () => {
  saved = await gpu.run(saveSmallModel);
});

/** [begin, end] of a tensor in the saved file. */
const offsets = (name: string): number[] => entry(JSON.parse(splitFile(saved.bytes).header), name).data_offsets as number[];

describe('hostile safetensors files in loadWeights', () => {
  it('each is refused with a ModelFormatError naming the problem; the model keeps every bit and nothing is allocated', async () => {
    const { header, data } = splitFile(saved.bytes);
    const total = saved.bytes.length;
    const withLength = (length: bigint) => joinFile(header, data, length);
    const raw = (text: string) => joinFile(text, data);
    const parsedHeader = JSON.parse(header) as Record<string, unknown>;
    const cases: [string, Uint8Array, RegExp][] = [
      ['too short', saved.bytes.slice(0, 5), /5 bytes is too short for the 8-byte header length/],
      ['truncated data', saved.bytes.slice(0, total - 5), /tensor 'dense_1\/bias' has byte range \[\d+, \d+\) past the \d+-byte data section/],
      ['truncated header', saved.bytes.slice(0, 40), /header length \d+ runs past the end of the 40-byte file/],
      ['header length past the end', withLength(BigInt(total)), /header length \d+ runs past the end/],
      ['header length 2^53', withLength(2n ** 53n), /header length 9007199254740992 runs past the end/],
      ['header length 2^64 - 1', withLength(2n ** 64n - 1n), /header length 18446744073709551615 runs past the end/],
      ['header length 0', withLength(0n), /header must be a JSON object/],
      ['not JSON', raw(`{not json${' '.repeat(header.length - 9)}`), /the header is not valid JSON/],
      ['not an object', raw(`[${header.slice(1, -1)}]`), /the header must be a JSON object/],
      ['not UTF-8', joinFile(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), data), /not valid UTF-8/],
      ['negative offsets', editHeader(saved.bytes, (h) => { entry(h, 'dense/kernel').data_offsets = [-24, 0]; }), /tensor 'dense\/kernel' has data_offsets \[-24,0\]; expected \[begin, end\]/],
      ['offsets out of range', editHeader(saved.bytes, (h) => { const e = entry(h, 'dense_1/bias'); const [b] = e.data_offsets as number[]; e.shape = [3]; e.data_offsets = [b, b + 12]; }), /tensor 'dense_1\/bias' has byte range .* past the \d+-byte data section/],
      ['overlapping offsets', editHeader(saved.bytes, (h) => { entry(h, 'dense/bias').data_offsets = [12, 24]; }), /tensor '.*' starts at byte 12 of the data section, expected 24 \(it overlaps the tensor before it\)/],
      ['reversed offsets', editHeader(saved.bytes, (h) => { const [b, e] = offsets('dense/bias'); entry(h, 'dense/bias').data_offsets = [e, b]; }), /tensor 'dense\/bias' has data_offsets \[36, 24\) that end before they begin/],
      ['a gap', editHeader(saved.bytes, (h) => { entry(h, 'dense/kernel').shape = [2, 2]; entry(h, 'dense/kernel').data_offsets = [0, 16]; }), /tensor 'dense\/bias' starts at byte 24 of the data section, expected 16 \(bytes before it belong to no tensor\)/],
      ['unknown dtype', editHeader(saved.bytes, (h) => { entry(h, 'dense/bias').dtype = 'F64'; }), /tensor 'dense\/bias' has dtype "F64"; webgrad reads F32, I32, F16, BF16/],
      // A 16-bit dtype over a float32 byte range: twice the bytes its shape takes.
      ['F16 over float32 bytes', editHeader(saved.bytes, (h) => { entry(h, 'dense/bias').dtype = 'F16'; }), /tensor 'dense\/bias' has byte range \[24, 36\) of 12 bytes, but F16 \[3\] takes 6/],
      ['BF16 with a float32 shape', editHeader(saved.bytes, (h) => { entry(h, 'dense/kernel').dtype = 'BF16'; entry(h, 'dense/kernel').shape = [2, 6]; }), /loadWeights: dense\/kernel is \[2,3\] float32 in the model but \[2,6\] float32 in the file/],
      ['dtype constructor', editHeader(saved.bytes, (h) => { entry(h, 'dense/bias').dtype = 'constructor'; }), /has dtype "constructor"/],
      ['null entry', editHeader(saved.bytes, (h) => { h['dense/bias'] = null; }), /tensor 'dense\/bias' must be an object \{ dtype, shape, data_offsets \}, got null/],
      ['no data_offsets', editHeader(saved.bytes, (h) => { delete (h['dense/bias'] as Record<string, unknown>).data_offsets; }), /tensor 'dense\/bias' has data_offsets undefined/],
      ['string shape', editHeader(saved.bytes, (h) => { entry(h, 'dense/bias').shape = ['3']; }), /tensor 'dense\/bias' has shape \["3"\]; expected an array of non-negative integers/],
      ['__proto__ field', raw(header.replace('"dtype":"F32"', '"__proto__":1,"dtype":"F32"')), /tensor 'dense\/kernel' has unknown field "__proto__"/],
      ['metadata not strings', editHeader(saved.bytes, (h) => { h.__metadata__ = { formatVersion: 2 }; }), /__metadata__ must map strings to strings/],
      ['duplicate name', raw(header.replace('"dense/bias":', '"dense/kernel":')), /the header names the key "dense\/kernel" twice in one object/],
      ['duplicate key inside an entry', raw(header.replace('"dtype":"F32",', '"dtype":"F32","dtype":"F32",')), /names the key "dtype" twice/],
      ['missing weight', joinFile(JSON.stringify({ ...parsedHeader, 'dense_1/bias': undefined }), data.slice(0, -8)), /weight names do not match the model \(missing: dense_1\/bias; unexpected: none\)/],
      ['extra weight', joinFile(JSON.stringify({ ...parsedHeader, extra: { dtype: 'F32', shape: [1], data_offsets: [data.length, data.length + 4] } }), Uint8Array.from([...data, 0, 0, 128, 63])), /missing: none; unexpected: extra/],
      ['__proto__ tensor', raw(header.replace('"dense_1/bias":', '"__proto__":')), /missing: dense_1\/bias; unexpected: __proto__/],
      ['wrong shape', editHeader(saved.bytes, (h) => { entry(h, 'dense/kernel').shape = [3, 2]; }), /loadWeights: dense\/kernel is \[2,3\] float32 in the model but \[3,2\] float32 in the file/],
    ];
    // Every case is malformed by the independent reader too, except the two that fit the format
    // but not the model's weight names or shapes.
    for (const [name, bytes] of cases) {
      if (!['missing weight', 'extra weight', '__proto__ tensor', 'wrong shape', 'BF16 with a float32 shape'].includes(name)) expect(() => parseSafetensors(bytes), name).toThrow();
    }
    const { outcomes } = await gpu.run(loadWeightsCases, { saved, files: cases.map(([, bytes]) => bytes) });
    cases.forEach(([name, , message], i) => {
      const outcome = outcomes[i];
      expect({ name, error: outcome.error }).toEqual({ name, error: expect.stringMatching(/^ModelFormatError: (safetensors|loadWeights): /) });
      expect(outcome.error, name).toMatch(message);
      expect({ name, unchanged: outcome.unchanged, leakedTensors: outcome.leakedTensors, leakedBytes: outcome.leakedBytes }).toEqual({ name, unchanged: true, leakedTensors: 0, leakedBytes: 0 });
    });
  });

  it('byte ranges listed out of order but tiling the data load as the reference reader reads them', async () => {
    const shuffled = editHeader(saved.bytes, (h) => Object.fromEntries(Object.entries(h).reverse()));
    const reference = parseSafetensors(shuffled);
    expect(reference.tensors[0].name).toBe('dense_1/bias');
    const { outcomes } = await gpu.run(loadWeightsCases, { saved, files: [shuffled] });
    expect(outcomes[0].error).toBeNull();
    const byName = new Map(reference.tensors.map((t) => [t.name, Array.from(t.values)]));
    const order = (saved.modelJson.weights as { name: string }[]).map(({ name }) => name);
    expect(outcomes[0].weights).toEqual(order.map((name) => byName.get(name)));
  });
});

describe('hostile model JSON in loadModel', () => {
  it('each is refused with a ModelFormatError naming the field or layer; nothing is allocated', async () => {
    const json = saved.modelJson;
    const layers = json.layers as { className: string; config: Record<string, unknown> }[];
    const withLayer = (i: number, change: (layer: { className: string; config: Record<string, unknown> }) => void) => {
      const copy = structuredClone(layers);
      change(copy[i]);
      return { ...json, layers: copy };
    };
    const cases: [string, unknown, RegExp][] = [
      ['null', null, /model JSON must be an object, got null/],
      ['layers "x"', { ...json, layers: 'x' }, /model JSON has layers "x", expected an array of \{ className, config \}/],
      ['a layer without config', { ...json, layers: [{ className: 'Dense' }] }, /model JSON has layers\[0\] = \{"className":"Dense"\}, expected \{ className: string, config: object \}/],
      ['formatVersion "abc"', { ...json, formatVersion: 'abc' }, /model JSON has formatVersion "abc", expected a positive integer/],
      ['formatVersion 99', { ...json, formatVersion: 99 }, /formatVersion 99, newer than this webgrad reads \(2\)/],
      ['unknown format', { ...json, format: 'keras' }, /has format "keras", expected 'webgrad-sequential'/],
      ['unknown top-level key', JSON.parse(JSON.stringify(json).replace('{', '{"constructor":1,')), /model JSON has unknown field "constructor"/],
      ['unknown class', withLayer(0, (l) => { l.className = 'Dence'; }), /layers\[0\] \(Dence\): unknown layer class "Dence"; known: Dense/],
      ['class __proto__', withLayer(0, (l) => { l.className = '__proto__'; }), /unknown layer class "__proto__"/],
      ['__proto__ config key', JSON.parse(JSON.stringify(withLayer(2, () => {})).replace('"units":2', '"units":2,"__proto__":{"units":9}')), /layers\[2\] \(Dense\): Dense has no config option "__proto__"/],
      ['activation constructor', withLayer(0, (l) => { l.config.activation = 'constructor'; }), /layers\[0\] \(Dense\): unknown activation 'constructor'/],
      ['initializer __proto__', withLayer(0, (l) => { l.config.kernelInitializer = '__proto__'; }), /unknown initializer '__proto__'/],
      ['units 1e9', withLayer(0, (l) => { l.config.units = 1e9; }), /layers\[0\] \(Dense\): weight 'kernel' \[2,1000000000\] would take 8000000000 bytes, over the device's \d+-byte buffer limit/],
      ['units 1e5 (fits the device, not the file)', withLayer(0, (l) => { l.config.units = 1e5; }), /model JSON lists weights\[0\] as dense\/kernel \[2,3\] float32, but its layers make dense\/kernel \[2,100000\] float32/],
      ['units NaN', withLayer(0, (l) => { l.config.units = Number.NaN; }), /Dense: units must be a positive integer, got NaN/],
      ['units "3"', withLayer(0, (l) => { l.config.units = '3'; }), /Dense: units must be a positive integer, got "3"/],
      ['useBias "yes"', withLayer(0, (l) => { l.config.useBias = 'yes'; }), /Dense: useBias must be true or false, got "yes"/],
      ['momentum "0.5"', withLayer(1, (l) => { l.config.momentum = '0.5'; }), /BatchNormalization: momentum must be a finite number, got "0.5"/],
      ['negative kernel size', withLayer(2, (l) => { l.className = 'Conv2D'; l.config = { name: 'c', filters: 2, kernelSize: [-3, 3] }; }), /layers\[2\] \(Conv2D\): Conv2D: kernelSize must be a positive integer or a \[height, width\] pair of them, got \[-3,3\]/],
      ['kernel size object', withLayer(2, (l) => { l.className = 'Conv2D'; l.config = { name: 'c', filters: 2, kernelSize: { 0: 3, 1: 3 } }; }), /kernelSize must be a number or a \[height, width\] pair/],
      ['inputShape [-3]', withLayer(0, (l) => { l.config.inputShape = [-3]; }), /dense_\d+: inputShape must be an array of positive integers .*got \[-3\]/],
      ['layer name with /', withLayer(0, (l) => { l.config.name = 'a/b'; }), /name must be a non-empty string without '\/', got "a\/b"/],
      ['duplicate layer names', withLayer(2, (l) => { l.config.name = layers[0].config.name; }), new RegExp(`the name "${layers[0].config.name}" is used 2 times in the model\\. All layer names should be unique\\.`)],
      ['weights list wrong', { ...json, weights: (json.weights as unknown[]).slice(1) }, /model JSON lists weights\[0\] as dense\/bias \[3\] float32, but its layers make dense\/kernel \[2,3\] float32/],
      ['inputShape mismatch', { ...json, inputShape: [5] }, /model JSON has inputShape \[5\] but its first layer \[2\]/],
    ];
    const outcomes = await gpu.run(loadModelCases, cases.map(([, modelJson]) => ({ modelJson, bytes: saved.bytes })));
    cases.forEach(([name, , message], i) => {
      expect({ name, error: outcomes[i].error }).toEqual({ name, error: expect.stringMatching(/^ModelFormatError: loadModel: /) });
      expect(outcomes[i].error, name).toMatch(message);
      expect({ name, leakedTensors: outcomes[i].leakedTensors, leakedBytes: outcomes[i].leakedBytes }).toEqual({ name, leakedTensors: 0, leakedBytes: 0 });
    });
    // The untouched artifacts load.
    expect((await gpu.run(loadModelCases, [{ modelJson: json, bytes: saved.bytes }]))[0]).toMatchObject({ error: null, leakedTensors: 0, leakedBytes: 0 });
  });
});

describe('layer names', () => {
  it('two layers with one name are refused when the model is made, as Keras does', async () => {
    const error = await gpu.run((wg) => {
      try {
        new wg.Sequential([new wg.layers.Dense(2, { name: 'twin' }), new wg.layers.Dense(2, { name: 'twin' })], { name: 'm' });
        return 'no error';
      } catch (thrown) {
        return `${(thrown as Error).name}: ${(thrown as Error).message}`;
      }
    });
    // Keras: 'The name "dense_1" is used 2 times in the model. All layer names should be unique.'
    expect(error).toBe('ValueError: m: the name "twin" is used 2 times in the model. All layer names should be unique.');
  });

  it('the same architecture built after other models (so its layers get other names) has the same weight names and loads the first one\'s file', async () => {
    const out = await gpu.run(async (wg) => {
      const sequential = () => new wg.Sequential([new wg.layers.Dense(4, { inputShape: [3], activation: 'tanh' }), new wg.layers.Dense(2)]);
      const functional = () => {
        const input = wg.input({ shape: [3] });
        const hidden = new wg.layers.Dense(4, { activation: 'tanh' }).apply(input);
        return new wg.Model({ inputs: input, outputs: new wg.layers.Dense(2).apply(new wg.layers.Concatenate().apply([hidden, input])) });
      };
      const results = [];
      for (const build of [sequential, functional]) {
        wg.setSeed(1);
        const first = build();
        const { weights } = await first.save();
        const other = build(); // takes the next page-wide layer names
        const second = build();
        wg.loadWeights(second, weights);
        const x = wg.randn([5, 3]);
        const [a, b] = [first.predict(x), second.predict(x)] as ReturnType<typeof wg.zeros>[];
        results.push({
          layerNames: [first.layers, second.layers].map((layers) => layers.map((layer) => layer.name).join(',')),
          weightNames: [first, second].map((model) => model.namedWeights().map(({ name }) => name)),
          a: Array.from(await a.data()), b: Array.from(await b.data()),
        });
        [x, a, b].forEach((t) => t.dispose());
        [first, other, second].forEach((m) => m.dispose());
      }
      return results;
    });
    for (const { layerNames, weightNames, a, b } of out) {
      expect(layerNames[0]).not.toBe(layerNames[1]);
      expect(weightNames[1]).toEqual(weightNames[0]);
      expect(b).toEqual(a);
    }
    expect(out[0].weightNames[0]).toEqual(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']);
    expect(out[1].weightNames[0]).toEqual(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']);
  });

  it('files written before formatVersion 2 (weights named by layer name, no formatVersion metadata) still load', async () => {
    const layerNames = (saved.modelJson.layers as { config: { name: string } }[]).map((layer) => layer.config.name);
    const positions = ['dense', 'batch_normalization', 'dense_1'];
    expect(layerNames).not.toEqual(positions);
    const rename = (name: string) => [layerNames[positions.indexOf(name.split('/')[0])], ...name.split('/').slice(1)].join('/');
    const v1Bytes = editHeader(saved.bytes, (h) => Object.fromEntries(Object.entries(h).map(([name, value]) => (name === '__metadata__' ? [name, { format: 'webgrad-sequential' }] : [rename(name), value]))));
    const v1Json = { ...saved.modelJson, formatVersion: 1, weights: (saved.modelJson.weights as { name: string }[]).map((w) => ({ ...w, name: rename(w.name) })) };
    const reference = parseSafetensors(v1Bytes);
    const expected = (v1Json.weights as { name: string }[]).map(({ name }) => Array.from(reference.tensors.find((t) => t.name === name)!.values));
    const [viaModel] = await gpu.run(loadModelCases, [{ modelJson: v1Json, bytes: v1Bytes }]);
    expect(viaModel).toEqual({ error: null, weights: expected, leakedTensors: 0, leakedBytes: 0 });
    const { outcomes } = await gpu.run(loadWeightsCases, { saved, files: [v1Bytes] });
    expect(outcomes[0].error).toBeNull();
    expect(outcomes[0].weights).toEqual(expected);
  });

  it('a custom layer declares its weights in weightSpecs, so loadModel plans it; one that creates other weights fails at build', async () => {
    const out = await gpu.run(async (wg) => {
      class Scale extends wg.Layer {
        readonly className = 'Scale';
        constructor(args: Record<string, unknown> = {}) { super(args, 'scale'); }
        computeOutputShape(shape: readonly number[]) { return [...shape]; }
        override weightSpecs(shape: readonly number[]) { return [{ name: 'factor', shape: [shape[shape.length - 1]], initializer: wg.getInitializer('ones'), trainable: true }]; }
        call(x: ReturnType<typeof wg.zeros>) { return wg.mul(x, this.weights.get('factor')!); }
        getConfig() { return {}; }
      }
      class Sloppy extends Scale {
        protected override createWeights(): void { this.addWeight('other', wg.zeros([1])); }
      }
      wg.layers.registerLayer('Scale', (config) => new Scale(config));
      const model = new wg.Sequential([new Scale({ inputShape: [3] })]);
      wg.tidy(() => model.layers[0].weights.get('factor')!.assign(wg.tensor([2, -1, 0.5])));
      const loaded = wg.loadModel(await model.save());
      const factor = Array.from(await loaded.layers[0].weights.get('factor')!.data());
      let sloppy = 'no error';
      const before = wg.memory().numTensors;
      try {
        new wg.Sequential([new Sloppy({ inputShape: [3] })]);
      } catch (error) {
        sloppy = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const leaked = wg.memory().numTensors - before;
      model.dispose();
      loaded.dispose();
      return { factor, sloppy, leaked };
    });
    expect(out.factor).toEqual([2, -1, 0.5]);
    expect(out.sloppy).toMatch(/^ValueError: scale\S*: build made weights \[other \[1\]\] but weightSpecs describes \[factor \[3\]\]/);
    expect(out.leaked).toBe(0);
  });
});
