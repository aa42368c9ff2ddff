// wg.loadTorchWeights / wg.saveTorchWeights: weights in PyTorch's layouts (nn.Linear weight
// [out, in], nn.Conv2d weight [out, in, kh, kw], NCHW activations) against float64 forward passes
// written here in PyTorch's layout from its documented definitions:
//   Linear: y[n, o] = b[o] + Σ_i x[n, i]·W[o, i]
//   Conv2d: y[n, o, r, c] = b[o] + Σ_{i, u, v} W[o, i, u, v]·x[n, i, r·s + u − p, c·s + v − p]
// compared with webgrad's Dense / Conv2D outputs (NHWC) after loading. No Python: the state
// dicts are written by the independent safetensors writer here.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32 } from '../reference';
import { parseSafetensors, writeSafetensors } from './safetensors-reader';

const gpu = useGpuPage();
const random = mulberry32(13);
/** Float32 values, so what the file holds is what the float64 reference computes with. */
const values = (count: number) => Array.from({ length: count }, () => Math.fround(random() * 2 - 1));

const N = 2;
const LINEAR = { in: 4, out: 3 };
const CONV = { in: 2, out: 3, k: 3, size: 5, stride: 1, pad: 1 };
const state = {
  'fc.weight': { shape: [LINEAR.out, LINEAR.in], values: values(LINEAR.out * LINEAR.in) },
  'fc.bias': { shape: [LINEAR.out], values: values(LINEAR.out) },
  'features.0.weight': { shape: [CONV.out, CONV.in, CONV.k, CONV.k], values: values(CONV.out * CONV.in * CONV.k * CONV.k) },
  'features.0.bias': { shape: [CONV.out], values: values(CONV.out) },
  'norm.weight': { shape: [CONV.out], values: values(CONV.out) },
  'norm.bias': { shape: [CONV.out], values: values(CONV.out) },
  'norm.running_mean': { shape: [CONV.out], values: values(CONV.out) },
  'norm.running_var': { shape: [CONV.out], values: values(CONV.out).map((v) => Math.fround(1 + Math.abs(v))) },
};
const stateFile = (entries: Record<string, { shape: number[]; values: number[] }>) => writeSafetensors(Object.entries(entries).map(([name, t]) => ({ name, ...t })));
// What model.state_dict() also holds for a BatchNorm: an int64 step counter webgrad has no use for.
const withStepCounter = () => writeSafetensors([
  ...Object.entries(state).map(([name, t]) => ({ name, ...t })),
  { name: 'norm.num_batches_tracked', shape: [], values: [120], dtype: 'I64' as const },
]);
const linearInput = values(N * LINEAR.in);
const convInput = values(N * CONV.in * CONV.size * CONV.size); // NCHW

function linearReference(): number[] {
  const [w, b] = [state['fc.weight'].values, state['fc.bias'].values];
  const y: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < LINEAR.out; o++) {
      let sum = b[o];
      for (let i = 0; i < LINEAR.in; i++) sum += linearInput[n * LINEAR.in + i] * w[o * LINEAR.in + i];
      y.push(sum);
    }
  }
  return y;
}

/** Conv2d in NCHW / OIHW, then read out in NHWC order to compare with webgrad. */
function convReference(): number[] {
  const [w, b] = [state['features.0.weight'].values, state['features.0.bias'].values];
  const { in: ci, out: co, k, size, stride, pad } = CONV;
  const outSize = Math.floor((size + 2 * pad - k) / stride) + 1;
  const at = (n: number, i: number, r: number, c: number) => (r < 0 || c < 0 || r >= size || c >= size ? 0 : convInput[((n * ci + i) * size + r) * size + c]);
  const nchw = (n: number, o: number, r: number, c: number) => {
    let sum = b[o];
    for (let i = 0; i < ci; i++) for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) sum += w[((o * ci + i) * k + u) * k + v] * at(n, i, r * stride + u - pad, c * stride + v - pad);
    return sum;
  };
  const y: number[] = [];
  for (let n = 0; n < N; n++) for (let r = 0; r < outSize; r++) for (let c = 0; c < outSize; c++) for (let o = 0; o < co; o++) y.push(nchw(n, o, r, c));
  return y;
}

describe('PyTorch weights', () => {
  it('a Linear and a Conv2d state dict (with BatchNorm\'s int64 step counter) load into Dense and Conv2D, whose outputs match float64 passes in PyTorch\'s layout; saveTorchWeights gives the float weights back bit for bit', async () => {
    const out = await gpu.run(async (wg, { bytes, linearInput, convInput, N, LINEAR, CONV }) => {
      const dense = new wg.Sequential([new wg.layers.Dense(LINEAR.out, { inputShape: [LINEAR.in] })]);
      const conv = new wg.Sequential([
        new wg.layers.Conv2D(CONV.out, { kernelSize: CONV.k, padding: 'same', inputShape: [CONV.size, CONV.size, CONV.in] }),
        new wg.layers.BatchNormalization({ epsilon: 1e-5 }),
      ]);
      const modules = { fc: dense.layers[0], 'features.0': conv.layers[0], norm: conv.layers[1] };
      wg.loadTorchWeights(bytes.slice().buffer, modules);
      const x = wg.tensor(linearInput, [N, LINEAR.in]);
      // PyTorch's activations are NCHW, webgrad's NHWC.
      const image = wg.transpose(wg.tensor(convInput, [N, CONV.in, CONV.size, CONV.size]), [0, 2, 3, 1]);
      const [y, feature] = [dense.predict(x), wg.tidy(() => conv.layers[0].apply(image, { training: false }))];
      const saved = new Uint8Array(await wg.saveTorchWeights(modules));
      const half = new Uint8Array(await wg.saveTorchWeights({ fc: dense.layers[0] }, { dtype: 'bfloat16' }));
      const result = { y: Array.from(await y.data()), feature: Array.from(await feature.data()), saved, half };
      [x, image, y, feature].forEach((t) => t.dispose());
      [dense, conv].forEach((m) => m.dispose());
      return result;
    }, { bytes: withStepCounter(), linearInput, convInput, N, LINEAR, CONV });
    // Sums of at most 19 float32 products of values in [-1, 1]: each rounding ≤ 2^-24 relative to
    // partial sums below 19, so 1e-5 absolute bounds the float32 error with room.
    expectClose(out.y, linearReference(), { rtol: 1e-6, atol: 1e-5 }, 'Dense from nn.Linear');
    expectClose(out.feature, convReference(), { rtol: 1e-6, atol: 1e-5 }, 'Conv2D from nn.Conv2d');
    const parsed = parseSafetensors(out.saved);
    expect(Object.fromEntries(parsed.tensors.map((t) => [t.name, { shape: t.shape, values: Array.from(t.values) }]))).toEqual(state);
    expect(parsed.tensors.every((t) => t.dtype === 'F32')).toBe(true);
    expect(parseSafetensors(out.half).tensors.map((t) => [t.name, t.dtype])).toEqual([['fc.weight', 'BF16'], ['fc.bias', 'BF16']]);
  });

  it('a state dict that does not fit says which keys and shapes are wrong, and changes no weight; unbuilt or unknown layers are refused', async () => {
    const { 'fc.weight': weight, ...withoutWeight } = state;
    const files = {
      kerasLayout: stateFile({ 'fc.weight': { shape: [LINEAR.in, LINEAR.out], values: weight.values }, 'fc.bias': state['fc.bias'] }),
      missing: stateFile({ 'fc.bias': state['fc.bias'] }),
      unexpected: stateFile({ 'fc.weight': weight, 'fc.bias': state['fc.bias'], 'fc2.weight': weight }),
    };
    expect(Object.keys(withoutWeight)).not.toContain('fc.weight');
    const out = await gpu.run(async (wg, { files, LINEAR }) => {
      const model = new wg.Sequential([new wg.layers.Dense(LINEAR.out, { inputShape: [LINEAR.in] }), new wg.layers.Dropout(0.5)]);
      const read = () => Promise.all(model.getWeights().map(async (w) => { const d = Array.from(await w.data()); w.dispose(); return d; }));
      const before = await read();
      const errors: Record<string, string> = {};
      const attempt = (name: string, call: () => void) => {
        try {
          call();
          errors[name] = 'no error';
        } catch (error) {
          errors[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      for (const [name, bytes] of Object.entries(files)) attempt(name, () => wg.loadTorchWeights(bytes.slice().buffer, { fc: model.layers[0] }));
      attempt('unbuilt', () => wg.loadTorchWeights(files.missing.slice().buffer, { fc: new wg.layers.Dense(3) }));
      attempt('unknown', () => wg.loadTorchWeights(files.missing.slice().buffer, { drop: model.layers[1] }));
      const after = await read();
      // Decoded arrays, filtered by the user, load too; a hand-made array that is not one is refused by name.
      const decoded = wg.decodeSafetensors(files.unexpected.slice().buffer).arrays;
      wg.loadTorchWeights(decoded.filter((array) => array.name !== 'fc2.weight'), { fc: model.layers[0] });
      const fromArrays = await read();
      attempt('junkArray', () => wg.loadTorchWeights([{ name: 'fc.bias', dtype: 'F32', shape: [3], data: [1, 2, 3] as unknown as Float32Array }], { fc: model.layers[0] }));
      model.dispose();
      return { errors, before, after, fromArrays };
    }, { files, LINEAR });
    expect(out.after).toEqual(out.before);
    const kernel = (values: number[]) => Array.from({ length: LINEAR.in * LINEAR.out }, (_, k) => values[(k % LINEAR.out) * LINEAR.in + Math.floor(k / LINEAR.out)]);
    expect(out.fromArrays).toEqual([kernel(state['fc.weight'].values), state['fc.bias'].values]);
    expect(out.errors).toEqual({
      junkArray: "ValueError: loadTorchWeights: tensor 'fc.bias' is F32 but its data is not a Float32Array",
      kerasLayout: `ModelFormatError: loadTorchWeights: the state dict does not fit the layers: fc.weight is [4,3] F32 in the state dict, but Dense '${out.errors.kerasLayout.match(/Dense '([^']+)'/)?.[1]}' kernel [4,3] needs [3,4] float`,
      missing: expect.stringMatching(/^ModelFormatError: loadTorchWeights: the state dict does not fit the layers: missing fc\.weight \(Dense '\w+' kernel\)$/),
      unexpected: 'ModelFormatError: loadTorchWeights: the state dict does not fit the layers: unexpected fc2.weight (no listed module takes it)',
      unbuilt: expect.stringMatching(/^ValueError: loadTorchWeights: modules\['fc'\] \('dense_\d+'\) is not built yet; build the model first/),
      unknown: "ValueError: loadTorchWeights: modules['drop'] is a Dropout; PyTorch layouts are known for Dense, Conv2D, BatchNormalization, LayerNormalization, Embedding",
    });
  });
});
