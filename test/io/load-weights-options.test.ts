// wg.loadWeights(model, bytes, { stripPrefix, mapName, match: 'order' }): files named otherwise
// (a prefix, another framework's names, no usable names) load into namedWeights(); every failure
// is a typed error naming the weights at fault and leaves every weight unchanged. Files are
// written by the independent writer in safetensors-reader.ts with values that are multiples of
// 1/8, exact in float32, so loaded weights are compared for equality.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { editHeader } from './file-edits';
import { writeSafetensors } from './safetensors-reader';

const gpu = useGpuPage();

/** The model's weights (Dense(3) on [2], then Dense(1)) as namedWeights() names them. */
const NAMES = ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias'];
const SHAPES = [[2, 3], [3], [3, 1], [1]];
const VALUES = SHAPES.map((shape, k) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (k + 1) * 0.5 - i / 8));
const TORCH_NAMES = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'];

const file = (names: readonly string[], extra: { name: string; shape: number[]; values: number[] }[] = []) =>
  writeSafetensors([...names.map((name, k) => ({ name, shape: SHAPES[k], values: VALUES[k] })), ...extra]);

/** Option sets sent into the page: mapName travels as a lookup table, since functions cannot. */
interface Case { bytes: Uint8Array; stripPrefix?: string; table?: Record<string, string | null>; match?: string; badMap?: boolean }

describe('loadWeights options', () => {
  it('stripPrefix, mapName (null skips a tensor) and match: order load files named otherwise; failures name the weights and change nothing', async () => {
    const cases: Record<string, Case> = {
      stripPrefix: { bytes: file(NAMES.map((name) => `model.${name}`)), stripPrefix: 'model.' },
      mapName: {
        bytes: file(TORCH_NAMES, [{ name: 'fc1.num_batches_tracked', shape: [], values: [3] }]),
        table: { ...Object.fromEntries(TORCH_NAMES.map((name, k) => [name, NAMES[k]])), 'fc1.num_batches_tracked': null },
      },
      // Header entries listed backwards, bytes in model order: order means the order of the bytes.
      order: { bytes: editHeader(file(['a', 'b', 'c', 'd']), (h) => Object.fromEntries(Object.entries(h).reverse())), match: 'order' },
      unmatched: { bytes: file(TORCH_NAMES), table: { 'fc1.weight': 'dense/kernel', 'fc1.bias': 'dense/bias', 'fc2.weight': 'dense_1/kernel', 'fc2.bias': 'fc2/bias' } },
      twoIntoOne: { bytes: file(TORCH_NAMES), table: { 'fc1.weight': 'dense/kernel', 'fc1.bias': 'dense/bias', 'fc2.weight': 'dense_1/kernel', 'fc2.bias': 'dense/bias' } },
      orderCount: { bytes: file(['a', 'b', 'c']), match: 'order' },
      orderShapes: { bytes: writeSafetensors(['a', 'b', 'c', 'd'].map((name, k) => ({ name, shape: k === 1 ? [1, 3] : k === 3 ? [1, 1] : SHAPES[k], values: VALUES[k] }))), match: 'order' },
      transposed: { bytes: writeSafetensors(NAMES.map((name, k) => ({ name, shape: k === 0 ? [3, 2] : SHAPES[k], values: VALUES[k] }))), stripPrefix: '' },
      notAName: { bytes: file(TORCH_NAMES), badMap: true },
      badMatch: { bytes: file(NAMES), match: 'size' },
    };
    const out = await gpu.run(async (wg, { cases }) => {
      wg.setSeed(3);
      const model = new wg.Sequential([new wg.layers.Dense(3, { inputShape: [2] }), new wg.layers.Dense(1)]);
      const read = () => Promise.all(model.namedWeights().map(async ({ tensor }) => Array.from(await tensor.data())));
      const outcomes: Record<string, { error: string | null; weights: number[][]; before: number[][] }> = {};
      for (const [name, { bytes, stripPrefix, table, match, badMap }] of Object.entries(cases)) {
        // Fresh random weights before each case, so a load (or a partial write) shows.
        for (const { tensor } of model.namedWeights()) wg.tidy(() => tensor.assign(wg.rand(tensor.shape, -1, 1)));
        const before = await read();
        const mapName = badMap ? (() => 5) as unknown as (n: string) => string : table ? (n: string) => (n in table ? table[n] : n) : undefined;
        let error: string | null = null;
        try {
          wg.loadWeights(model, bytes.slice().buffer, { stripPrefix, mapName, match: match as 'name' | 'order' | undefined });
        } catch (thrown) {
          error = `${(thrown as Error).name}: ${(thrown as Error).message}`;
        }
        outcomes[name] = { error, weights: await read(), before };
      }
      const names = model.namedWeights().map(({ name }) => name);
      model.dispose();
      return { outcomes, names };
    }, { cases });
    expect(out.names).toEqual(NAMES);
    const { outcomes } = out;
    for (const name of ['stripPrefix', 'mapName', 'order']) expect({ name, error: outcomes[name].error, weights: outcomes[name].weights }).toEqual({ name, error: null, weights: VALUES });
    const failures: [string, RegExp][] = [
      ['unmatched', /^ModelFormatError: loadWeights: weight names do not match the model \(missing: dense_1\/bias; unexpected: fc2\.bias \(as fc2\/bias\)\)$/],
      ['twoIntoOne', /^ModelFormatError: loadWeights: the file tensors 'fc1\.bias' and 'fc2\.bias' both load into 'dense\/bias'$/],
      ['orderCount', /^ModelFormatError: loadWeights: matching by order, the file has 3 tensors \(a, b, c\) but the model 4 weights \(dense\/kernel, dense\/bias, dense_1\/kernel, dense_1\/bias\)$/],
      // Every mismatch at once, each with the file's name for it.
      ['orderShapes', /^ModelFormatError: loadWeights: dense\/bias is \[3\] float32 in the model but \[1,3\] float32 in the file \(file tensor 'b'\); dense_1\/bias is \[1\] float32 in the model but \[1,1\] float32 in the file \(file tensor 'd'\)$/],
      ['transposed', /^ModelFormatError: loadWeights: dense\/kernel is \[2,3\] float32 in the model but \[3,2\] float32 in the file, its transpose: a PyTorch layout\? see wg\.loadTorchWeights$/],
      ['notAName', /^ValueError: loadWeights: mapName\('fc1\.weight'\) returned 5; expected a weight name or null$/],
      ['badMatch', /^ValueError: loadWeights: match must be 'name' or 'order', got "size"$/],
    ];
    for (const [name, message] of failures) {
      expect({ name, error: outcomes[name].error }).toEqual({ name, error: expect.stringMatching(message) });
      expect({ name, unchanged: outcomes[name].weights }).toEqual({ name, unchanged: outcomes[name].before });
    }
  });
});
