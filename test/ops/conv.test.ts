// conv2d on the GPU against the float64 direct-loop reference: strides, paddings (valid, same,
// explicit), dilation, odd sizes, batches, size-0 dims, errors; gradients for x and w against
// finite differences of the reference, and second derivatives through the backward pass.
//
// Tolerance. Each output is a float32 dot product of K = KH·KW·Cin terms (for dx: KH·KW·Cout, for
// dw: N·OH·OW), summed in some order: within about sqrt(K)·2^-23·Σ|terms| of the exact value for
// random rounding. Every element is checked against 4·sqrt(K)·2^-23 times its own Σ|terms| (the
// reference run on absolute values), so an exact zero (all taps in the padding) must come out
// exactly zero and an index mistake, which moves an element by O(Σ|terms|), fails by ~10^5.
import { describe, expect, it } from 'vitest';
import { useGpuPage, type Webgrad } from '../harness/gpu-page';
import * as ref from '../reference';
import { thrownInPage } from './op-calls';
import { checkFirstGradients, checkSecondDerivatives, prepare, type ConvCase, type ConvReference } from './conv-gradient-checks';
import { absolute, expectWithinRounding, float32 } from './rounding';

const reference: ConvReference = { op: 'conv2d', forward: ref.conv2d, inputGradient: ref.conv2dInputGradient, filterGradient: ref.conv2dFilterGradient };

const describeCase = (c: ConvCase): string => `x [${c.xShape}] ⋆ w [${c.wShape}] ${JSON.stringify(c.options)}`;

describe('conv2d', () => {
  const gpu = useGpuPage();

  it('matches the direct reference over strides, paddings, dilation, odd sizes and batches', async () => {
    const cases: ConvCase[] = [];
    const odd = { xShape: [1, 7, 9, 3], wShape: [3, 2, 3, 5] };
    // Explicit asymmetric padding ([[top, bottom], [left, right]], TF's explicit padding) included.
    const paddings: ref.ReferencePadding[] = ['valid', 'same', 1, [2, 1], [[2, 0], [1, 3]], [[0, 1], [0, 2]]];
    for (const padding of paddings) {
      for (const strides of [1, 2, [2, 3]] as ref.WindowOptions['strides'][]) cases.push({ ...odd, options: { strides, padding } });
    }
    cases.push(
      { ...odd, options: { dilation: 2 } },
      { ...odd, options: { dilation: [2, 3], padding: 'same' } },
      { ...odd, options: { dilation: 2, strides: 2, padding: [1, 2] } },
      { xShape: [3, 7, 9, 3], wShape: [3, 2, 3, 5], options: { strides: 2, padding: 'same' } },
      { xShape: [3, 8, 6, 2], wShape: [4, 4, 2, 7], options: { strides: [1, 2], padding: 'same' } },
      // Pointwise (cols is x itself), and pointwise with a stride (cols is not).
      { xShape: [2, 5, 4, 6], wShape: [1, 1, 6, 3], options: {} },
      { xShape: [2, 5, 4, 6], wShape: [1, 1, 6, 3], options: { strides: 2 } },
      // A window wider than the image, all but the centre in padding.
      { xShape: [1, 2, 3, 1], wShape: [5, 5, 1, 2], options: { padding: 'same' } },
      // The digits model's shapes (vec4 loads in matmul on the second).
      { xShape: [2, 28, 28, 1], wShape: [3, 3, 1, 8], options: { padding: 'same' } },
      { xShape: [2, 14, 14, 8], wShape: [3, 3, 8, 16], options: { padding: 'same' } },
    );
    const prepared = prepare(cases, 1);
    const results = await gpu.run(
      async (wg, list) => {
        const out = [];
        for (const c of list) {
          const x = wg.tensor(c.x, c.xShape);
          const w = wg.tensor(c.w, c.wShape);
          const y = wg.conv2d(x, w, c.options);
          out.push({ shape: [...y.shape], values: Array.from(await y.data()) });
          for (const t of [x, w, y]) t.dispose();
        }
        return { out, live: wg.memory().numTensors };
      },
      prepared.map((c) => ({ ...c, x: Float32Array.from(c.x.data), w: Float32Array.from(c.w.data) })),
    );
    prepared.forEach((c, i) => {
      const expected = ref.conv2d(c.x, c.w, c.options);
      const label = describeCase(c);
      expect(results.out[i].shape, label).toEqual(expected.shape);
      const terms = c.wShape[0] * c.wShape[1] * c.wShape[2];
      expectWithinRounding(results.out[i].values, expected, ref.conv2d(absolute(c.x), absolute(c.w), c.options), terms, label);
    });
    // Nothing but the results outlives the calls (cols and the matmul rows are released).
    expect(results.live).toBe(0);
  });

  it('handles size-0 batches, channels and filters', async () => {
    const results = await gpu.run(async (wg) => {
      const run = async (xShape: number[], wShape: number[]) => {
        const y = wg.conv2d(wg.ones(xShape), wg.ones(wShape), { padding: 'same' });
        return { shape: [...y.shape], values: Array.from(await y.data()) };
      };
      return [await run([0, 5, 5, 2], [3, 3, 2, 4]), await run([2, 3, 3, 0], [3, 3, 0, 4]), await run([1, 3, 3, 2], [3, 3, 2, 0])];
    });
    expect(results[0]).toEqual({ shape: [0, 5, 5, 4], values: [] });
    // No input channels: every sum is empty.
    expect(results[1]).toEqual({ shape: [2, 3, 3, 4], values: new Array(72).fill(0) });
    expect(results[2]).toEqual({ shape: [1, 3, 3, 0], values: [] });
  });

  it('rejects bad shapes and options, naming the op and the shapes, before allocating anything', async () => {
    const thrown = (attempt: (wg: Webgrad) => unknown): Promise<string> => thrownInPage(gpu, attempt);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 2, 4]))))
      .toBe('ShapeError: conv2d: input has 3 channels but the filter expects 2: input [1,5,5,3], filter [3,3,2,4]');
    expect(await thrown((wg) => wg.conv2d(wg.zeros([5, 5, 3]), wg.zeros([3, 3, 3, 4])))).toMatch(/^ShapeError: conv2d: input must be a rank-4 NHWC batch .*\[5,5,3\]/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3])))).toMatch(/^ShapeError: conv2d: filter must be rank 4 .*\[3,3,3\] \(input \[1,5,5,3\]\)/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 2, 5, 3]), wg.zeros([3, 3, 3, 4]))))
      .toMatch(/^ShapeError: conv2d: the window spans 3 along height .* padded input has 2: input \[1,2,5,3\], filter \[3,3,3,4\]/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 4, 9, 1]), wg.zeros([3, 3, 1, 1]), { dilation: 2 })))
      .toMatch(/^ShapeError: conv2d: the window spans 5 along height \(size 3, dilation 2\)/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3, 4]), { strides: 0 }))).toMatch(/^ValueError: conv2d: strides must be a positive integer .*got 0/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3, 4]), { dilation: [1, 1.5] }))).toMatch(/^ValueError: conv2d: dilation .*got \[1,1.5\]/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3, 4]), { padding: 'full' as 'same' }))).toMatch(/^ValueError: conv2d: padding must be 'valid', 'same'.*'full'/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3, 4]), { padding: -1 }))).toMatch(/^ValueError: conv2d: padding must be a non-negative integer .*-1/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3, 4]), { padding: [[1, 2], [0, -1]] })))
      .toMatch(/^ValueError: conv2d: explicit padding must be \[\[top, bottom\], \[left, right\]\] of non-negative integers .*got \[\[1,2\],\[0,-1\]\]/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3, 4]), { padding: [[1, 0], [1, 2], [0, 1], [0, 0]] })))
      .toMatch(/^ValueError: conv2d: explicit padding must be .*\[0, 0\]\]\), got \[\[1,0\]/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3], 'int32'), wg.zeros([3, 3, 3, 4])))).toMatch(/^ValueError: conv2d: .*int32/);
    expect(await thrown((wg) => wg.conv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([0, 3, 3, 4])))).toMatch(/^ShapeError: conv2d: .*\[0,3,3,4\]/);
    expect(await thrown((wg) => wg.conv2dBackpropInput(wg.zeros([1, 4, 4, 4]), wg.zeros([3, 3, 3, 4]), [1, 5, 5, 3], { padding: 'same' })))
      .toBe("ShapeError: conv2dBackpropInput: dy has shape [1,4,4,4] but the convolution's output is [1,5,5,4]");
    expect(await thrown((wg) => wg.conv2dBackpropFilter(wg.zeros([1, 5, 5, 3]), wg.zeros([1, 3, 3, 4]), [3, 3, 2, 4])))
      .toMatch(/^ShapeError: conv2dBackpropFilter: input has 3 channels but the filter expects 2/);
    // A failed call leaves no tensor behind: only the inputs made for it are new.
    const allocated = await gpu.run((wg) => {
      const [x, w] = [wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 2, 4])];
      const before = wg.memory().numTensors;
      try {
        wg.conv2d(x, w);
      } catch {
        // expected
      }
      return wg.memory().numTensors - before;
    });
    expect(allocated).toBe(0);
  });

  it('has x and w gradients that match finite differences of the reference', async () => {
    const cases: ConvCase[] = [
      { xShape: [1, 7, 9, 3], wShape: [3, 2, 3, 5], options: {} },
      { xShape: [1, 7, 9, 3], wShape: [3, 2, 3, 5], options: { strides: 2, padding: 'same' } },
      { xShape: [3, 7, 9, 3], wShape: [3, 2, 3, 5], options: { strides: [2, 1], padding: [1, 2] } },
      { xShape: [2, 7, 9, 3], wShape: [3, 2, 3, 5], options: { strides: [2, 3], padding: [[0, 2], [3, 1]], dilation: [1, 2] } },
      { xShape: [1, 7, 9, 3], wShape: [3, 2, 3, 5], options: { dilation: 2, padding: 'same' } },
      { xShape: [2, 5, 4, 3], wShape: [1, 1, 3, 2], options: {} },
      { xShape: [1, 6, 6, 2], wShape: [2, 2, 2, 3], options: { strides: 3 } }, // some pixels feed no output
      // Channel counts that are multiples of 4 take the vec4 loads; 5 and 6 leave partial groups.
      { xShape: [2, 5, 6, 4], wShape: [3, 3, 4, 8], options: { padding: 'same' } },
      { xShape: [1, 6, 7, 5], wShape: [2, 3, 5, 6], options: { strides: [1, 2], padding: 'same' } },
    ];
    await checkFirstGradients(gpu, reference, cases, 2, (c, [, OH, OW, CO]) => [c.wShape[0] * c.wShape[1] * CO, c.xShape[0] * OH * OW]);
  });

  it('exports both gradients as ops (conv2dBackpropInput/Filter), here on shapes that split the batch', async () => {
    // [5, 6, 6, 24] ⋆ [3, 3, 24, 24]: 324 invocations per batch part, so dW splits the batch into 4
    // parts of 2, 2, 1 and 0 images; the digits shapes run the vec4 paths at their real size.
    const cases: ConvCase[] = [
      { xShape: [5, 6, 6, 24], wShape: [3, 3, 24, 24], options: { padding: 'same' } },
      { xShape: [4, 28, 28, 1], wShape: [3, 3, 1, 8], options: { padding: 'same' } },
      { xShape: [4, 14, 14, 8], wShape: [3, 3, 8, 16], options: { padding: 'same', strides: 2 } },
    ];
    const prepared = prepare(cases, 6);
    const rng = ref.mulberry32(7);
    const outputGradients = prepared.map((c) => float32(ref.randomArray(ref.conv2d(c.x, c.w, c.options).shape, rng)));
    const results = await gpu.run(
      async (wg, list) => {
        const out = [];
        for (const c of list) {
          const x = wg.tensor(c.x, c.xShape);
          const w = wg.tensor(c.w, c.wShape);
          const dy = wg.tensor(c.dy, c.dyShape);
          const dx = wg.conv2dBackpropInput(dy, w, c.xShape, c.options);
          const dw = wg.conv2dBackpropFilter(x, dy, c.wShape, c.options);
          out.push({ shapes: [[...dx.shape], [...dw.shape]], values: [Array.from(await dx.data()), Array.from(await dw.data())] });
          for (const t of [x, w, dy, dx, dw]) t.dispose();
        }
        return out;
      },
      prepared.map((c, i) => ({ ...c, x: Float32Array.from(c.x.data), w: Float32Array.from(c.w.data), dy: Float32Array.from(outputGradients[i].data), dyShape: outputGradients[i].shape })),
    );
    prepared.forEach((c, i) => {
      const label = describeCase(c);
      const dy = outputGradients[i];
      const [, OH, OW, CO] = dy.shape;
      expect(results[i].shapes, label).toEqual([c.xShape, c.wShape]);
      expectWithinRounding(results[i].values[0], ref.conv2dInputGradient(dy, c.w, c.xShape, c.options),
        ref.conv2dInputGradient(absolute(dy), absolute(c.w), c.xShape, c.options), c.wShape[0] * c.wShape[1] * CO, `${label}: dx`);
      expectWithinRounding(results[i].values[1], ref.conv2dFilterGradient(c.x, dy, c.wShape, c.options),
        ref.conv2dFilterGradient(absolute(c.x), absolute(dy), c.wShape, c.options), c.xShape[0] * OH * OW, `${label}: dw`);
    });
  });

  it('differentiates its own gradients (second derivatives through both backward ops)', async () => {
    // (gx, gw) = the gradients of Σ dy·conv(x, w); then L2 = Σ cx·gx + Σ cw·gw, differentiated for
    // dy, w and x. L2 is linear in each of them separately, so central differences are exact.
    const c: ConvCase = { xShape: [2, 6, 5, 2], wShape: [3, 2, 2, 3], options: { strides: 2, padding: 'same', dilation: [1, 2] } };
    // Each element sums products over at most the taps and the batch's output pixels.
    const [batch, outHeight, outWidth, outChannels] = ref.conv2d(ref.zeros(c.xShape), ref.zeros(c.wShape), c.options).shape;
    await checkSecondDerivatives(gpu, reference, c, 4, c.wShape[0] * c.wShape[1] * Math.max(c.wShape[2], outChannels) + batch * outHeight * outWidth);
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
