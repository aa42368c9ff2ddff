// Reshape, Permute, GlobalAveragePooling2D and GlobalMaxPooling2D against float64 references of
// their outputs and of the gradient of sum(layer(x) * w), Keras's shapes and parameter counts (0),
// their errors, and a save / load round trip inside a functional model.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';

const gpu = useGpuPage();
const [B, H, W, C] = [2, 3, 4, 2];
/** Flat index of [b, h, w, c] in an NHWC batch. */
const at = (b: number, h: number, w: number, c: number): number => ((b * H + h) * W + w) * C + c;

/** x permuted by dims [3, 1, 2]: out[b, c, h, w] = x[b, h, w, c]. */
function permuted(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(B * C * H * W);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
    out[((b * C + c) * H + h) * W + w] = x[at(b, h, w, c)];
  }
  return out;
}

describe('shape and global pooling layers', () => {
  it('match float64 references in a functional model, with gradients, Keras shapes and 0 parameters, and survive save / load', async () => {
    const out = await gpu.run(async (wg, { B, H, W, C }) => {
      wg.setSeed(4);
      const { Reshape, Permute, GlobalAveragePooling2D, GlobalMaxPooling2D } = wg.layers;
      const layers = {
        gap: new GlobalAveragePooling2D({ name: 'gap' }),
        gmp: new GlobalMaxPooling2D({ keepdims: true, name: 'gmp' }),
        perm: new Permute([3, 1, 2], { name: 'perm' }),
      };
      const inp = wg.input({ shape: [H, W, C] });
      const permOut = layers.perm.apply(inp);
      const reshape = new Reshape([4, -1], { name: 'flat' });
      const model = wg.model({ inputs: inp, outputs: [layers.gap.apply(inp), layers.gmp.apply(inp), permOut, reshape.apply(permOut)] });
      const x = wg.randn([B, H, W, C]);
      const predictions = model.predict(x) as Tensor[];
      const saved = await model.save();
      const loaded = wg.loadModel(saved);
      const reloaded = loaded.predict(x) as Tensor[];
      const gradients: Record<string, { w: Float32Array | Int32Array; g: Float32Array | Int32Array }> = {};
      for (const [name, layer] of Object.entries({ ...layers, flat: reshape })) {
        const input = name === 'flat' ? wg.randn([B, C, H, W]) : x;
        const y = layer.apply(input);
        const w = wg.randn(y.shape);
        const [g] = wg.grad((t) => wg.sum(wg.mul(layer.apply(t), w)))(input);
        gradients[name] = { w: await w.data(), g: await g.data() };
        [y, w, g].forEach((t) => t.dispose());
        if (input !== x) input.dispose();
      }
      const errors: Record<string, string> = {};
      const attempts: Record<string, () => unknown> = {
        reshapeSize: () => new Reshape([5, 5]).apply(wg.input({ shape: [3, 4] })),
        reshapeTwoUnknown: () => new Reshape([-1, -1]),
        permuteDims: () => new Permute([1, 1, 2]),
        permuteRank: () => new Permute([2, 1]).apply(wg.input({ shape: [2, 3, 4] })),
        gapRank: () => new GlobalAveragePooling2D().apply(wg.input({ shape: [4, 2] })),
      };
      for (const [name, attempt] of Object.entries(attempts)) {
        try {
          attempt();
          errors[name] = 'no error';
        } catch (error) {
          errors[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      const result = {
        x: await x.data(),
        predictions: await Promise.all(predictions.map((p) => p.data())),
        shapes: predictions.map((p) => p.shape),
        reloaded: await Promise.all(reloaded.map((p) => p.data())),
        gradients,
        countParams: model.countParams(),
        summary: model.summary(),
        errors,
      };
      [x, ...predictions, ...reloaded].forEach((t) => t.dispose());
      model.dispose();
      loaded.dispose();
      return result;
    }, { B, H, W, C });
    expect(out.shapes).toEqual([[B, C], [B, 1, 1, C], [B, C, H, W], [B, 4, (C * H * W) / 4]]);
    const mean = new Float64Array(B * C);
    const top = new Float64Array(B * C).fill(-Infinity);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
      mean[b * C + c] += out.x[at(b, h, w, c)] / (H * W);
      top[b * C + c] = Math.max(top[b * C + c], out.x[at(b, h, w, c)]);
    }
    // A mean of 12 float32 values: a few ulps.
    expectClose(out.predictions[0], mean, { rtol: 1e-6, atol: 1e-6 }, 'GlobalAveragePooling2D');
    expect(Array.from(out.predictions[1])).toEqual(Array.from(top));
    // Permute and Reshape only move values: exact.
    expect(Array.from(out.predictions[2])).toEqual(Array.from(permuted(out.x)));
    expect(Array.from(out.predictions[3])).toEqual(Array.from(permuted(out.x)));
    out.reloaded.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(out.predictions[i])));
    // Gradients of sum(layer(x) * w): w[c] / (H·W) everywhere for the mean; w at each channel's max
    // for the max; for Permute, w moved back by the inverse permutation; for Reshape, w itself.
    const { gap, gmp, perm, flat } = out.gradients;
    const expectedGap = new Float64Array(B * H * W * C);
    const expectedGmp = new Float64Array(B * H * W * C);
    const expectedPerm = new Float64Array(B * H * W * C);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
      expectedGap[at(b, h, w, c)] = gap.w[b * C + c] / (H * W);
      if (out.x[at(b, h, w, c)] === top[b * C + c]) expectedGmp[at(b, h, w, c)] = gmp.w[b * C + c];
      expectedPerm[at(b, h, w, c)] = perm.w[((b * C + c) * H + h) * W + w];
    }
    expectClose(gap.g, expectedGap, { rtol: 1e-6, atol: 1e-7 }, 'GlobalAveragePooling2D gradient');
    // Positions that are not a max get 0 · w, which is -0 for a negative w: compare values, not signs of zero.
    expect(Array.from(gmp.g, (v) => v + 0)).toEqual(Array.from(expectedGmp));
    expect(Array.from(perm.g)).toEqual(Array.from(expectedPerm));
    expect(Array.from(flat.g)).toEqual(Array.from(flat.w));
    // Keras: none of these layers has weights.
    expect(out.countParams).toBe(0);
    expect(out.summary).toMatch(/^gap \(GlobalAveragePooling2D\)\s+\(None, 2\)\s+0\s+input_layer\S*\[0\]\[0\]$/m);
    expect(out.summary).toMatch(/^gmp \(GlobalMaxPooling2D\)\s+\(None, 1, 1, 2\)\s+0/m);
    expect(out.summary).toMatch(/^perm \(Permute\)\s+\(None, 2, 3, 4\)\s+0/m);
    expect(out.summary).toMatch(/^flat \(Reshape\)\s+\(None, 4, 6\)\s+0\s+perm\[0\]\[0\]$/m);
    expect(out.errors.reshapeSize).toMatch(/^ShapeError: reshape\S*: cannot reshape samples \[3,4\] \(12 elements\) to \[5,5\]/);
    expect(out.errors.reshapeTwoUnknown).toMatch(/^ValueError: Reshape: targetShape must be positive integers with at most one -1/);
    expect(out.errors.permuteDims).toMatch(/^ValueError: Permute: dims must be a permutation of 1\.\.n/);
    expect(out.errors.permuteRank).toMatch(/^ShapeError: permute\S*: dims \[2,1\] permute 2 sample axes, got samples \[2,3,4\]/);
    expect(out.errors.gapRank).toMatch(/^ShapeError: global_average_pooling2d\S*: GlobalAveragePooling2D needs samples shaped \[height, width, channels\], got \[4,2\]/);
  });

  it('GlobalAveragePooling1D averages each feature over the steps, with its gradient, against float64', async () => {
    const [steps, features] = [5, 3];
    const out = await gpu.run(async (wg, { B, steps, features }) => {
      wg.setSeed(9);
      const layer = new wg.layers.GlobalAveragePooling1D({ keepdims: true });
      const x = wg.randn([B, steps, features]);
      const y = layer.apply(x);
      const w = wg.randn(y.shape);
      const [g] = wg.grad((t) => wg.sum(wg.mul(layer.apply(t), w)))(x);
      let rankError = 'no error';
      try {
        new wg.layers.GlobalAveragePooling1D().apply(wg.input({ shape: [2, 3, 4] }));
      } catch (error) {
        rankError = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const result = { x: await x.data(), y: await y.data(), shape: y.shape, w: await w.data(), g: await g.data(), params: layer.countParams(), rankError };
      [x, y, w, g].forEach((t) => t.dispose());
      return result;
    }, { B, steps, features });
    expect(out.shape).toEqual([B, 1, features]);
    const mean = new Float64Array(B * features);
    const gradient = new Float64Array(B * steps * features);
    for (let b = 0; b < B; b++) for (let s = 0; s < steps; s++) for (let f = 0; f < features; f++) {
      mean[b * features + f] += out.x[(b * steps + s) * features + f] / steps;
      gradient[(b * steps + s) * features + f] = out.w[b * features + f] / steps;
    }
    // A mean of 5 float32 values and a division: a few ulps.
    expectClose(out.y, mean, { rtol: 1e-6, atol: 1e-6 }, 'GlobalAveragePooling1D');
    expectClose(out.g, gradient, { rtol: 1e-6, atol: 1e-7 }, 'GlobalAveragePooling1D gradient');
    expect(out.params).toBe(0);
    expect(out.rankError).toMatch(/^ShapeError: global_average_pooling1d\S*: GlobalAveragePooling1D needs samples shaped \[steps, channels\], got \[2,3,4\]/);
  });
});
