// depthwiseConv2d on the GPU against the float64 reference (conv2d with a block-diagonal filter, a
// formulation the kernels do not use): strides, paddings, dilation, depth multipliers, channel
// counts that leave partial groups of 4; x and w gradients against finite differences of the
// reference, second derivatives through both backward ops, and errors.
//
// Tolerance (test/ops/rounding.ts): each output is a float32 sum of KH·KW terms (dx: KH·KW·M, dw:
// N·OH·OW), each element checked against 4·sqrt(terms)·2^-23 times its own Σ|terms|.
import { describe, expect, it } from 'vitest';
import { useGpuPage, type Webgrad } from '../harness/gpu-page';
import * as ref from '../reference';
import { thrownInPage } from './op-calls';
import { checkFirstGradients, checkSecondDerivatives, prepare, tapeGradients, type ConvCase, type ConvReference } from './conv-gradient-checks';
import { absolute, expectWithinRounding, float32 } from './rounding';

const reference: ConvReference = {
  op: 'depthwiseConv2d', forward: ref.depthwiseConv2d, inputGradient: ref.depthwiseConv2dInputGradient, filterGradient: ref.depthwiseConv2dFilterGradient,
};

const describeCase = (c: ConvCase): string => `x [${c.xShape}] ⋆ depthwise w [${c.wShape}] ${JSON.stringify(c.options)}`;

describe('depthwiseConv2d', () => {
  const gpu = useGpuPage();

  it('matches the reference over strides, paddings, dilation and depth multipliers', async () => {
    const odd = { xShape: [2, 7, 9, 3], wShape: [3, 2, 3, 2] };
    const cases: ConvCase[] = [
      { ...odd, options: {} },
      { ...odd, options: { strides: 2, padding: 'same' } },
      { ...odd, options: { strides: [2, 3], padding: [[2, 0], [1, 3]] } },
      { ...odd, options: { dilation: [2, 3], padding: 'same' } },
      { ...odd, options: { dilation: 2, strides: 2, padding: [1, 2] } },
      // Multiplier 1 (the MobileNet case), channel counts 5 and 8, a multiplier of 3 that splits groups of 4.
      { xShape: [1, 6, 5, 5], wShape: [3, 3, 5, 1], options: { padding: 'same' } },
      { xShape: [2, 5, 6, 8], wShape: [3, 3, 8, 1], options: { strides: 2, padding: 'same' } },
      { xShape: [1, 5, 7, 2], wShape: [2, 3, 2, 3], options: { strides: [1, 2] } },
      // A window wider than the image, all but the centre in padding.
      { xShape: [1, 2, 3, 1], wShape: [5, 5, 1, 2], options: { padding: 'same' } },
    ];
    const prepared = prepare(cases, 1);
    const results = await gpu.run(
      async (wg, list) => {
        const out = [];
        for (const c of list) {
          const x = wg.tensor(c.x, c.xShape);
          const w = wg.tensor(c.w, c.wShape);
          const y = wg.depthwiseConv2d(x, w, c.options);
          out.push({ shape: [...y.shape], values: Array.from(await y.data()) });
          for (const t of [x, w, y]) t.dispose();
        }
        return { out, live: wg.memory().numTensors };
      },
      prepared.map((c) => ({ ...c, x: Float32Array.from(c.x.data), w: Float32Array.from(c.w.data) })),
    );
    prepared.forEach((c, i) => {
      const expected = ref.depthwiseConv2d(c.x, c.w, c.options);
      const label = describeCase(c);
      expect(results.out[i].shape, label).toEqual(expected.shape);
      expectWithinRounding(results.out[i].values, expected, ref.depthwiseConv2d(absolute(c.x), absolute(c.w), c.options), c.wShape[0] * c.wShape[1], label);
    });
    expect(results.live).toBe(0);
  });

  it('has x and w gradients that match finite differences of the reference', async () => {
    const cases: ConvCase[] = [
      { xShape: [1, 6, 7, 3], wShape: [3, 2, 3, 2], options: {} },
      { xShape: [2, 6, 7, 3], wShape: [3, 2, 3, 2], options: { strides: 2, padding: 'same' } },
      { xShape: [2, 5, 6, 5], wShape: [2, 3, 5, 1], options: { strides: [1, 2], padding: [[0, 2], [3, 1]], dilation: [2, 1] } },
      { xShape: [1, 6, 6, 2], wShape: [2, 2, 2, 3], options: { strides: 3 } }, // some pixels feed no output
      { xShape: [3, 4, 5, 4], wShape: [3, 3, 4, 1], options: { padding: 'same', dilation: 2 } },
    ];
    await checkFirstGradients(gpu, reference, cases, 2, (c, [, OH, OW]) => [c.wShape[0] * c.wShape[1] * c.wShape[3], c.xShape[0] * OH * OW]);
  });

  it('splits the filter gradient over uneven parts of the output rows and sums them', async () => {
    // w [3, 3, 32, 3]: 9 taps × 24 groups of 4 columns = 216 invocations per part, so the filter
    // gradient splits the 7·4 output rows into 5 parts of 6, 6, 6, 6 and 4 rows, most of them
    // crossing from one image into the next. Checked against the analytic references (which the
    // test above checks against finite differences).
    const [c] = prepare([{ xShape: [7, 4, 5, 32], wShape: [3, 3, 32, 3], options: { padding: 'same' } }], 6);
    const dy = float32(ref.randomArray(ref.depthwiseConv2d(c.x, c.w, c.options).shape, ref.mulberry32(7)));
    const [{ values: result }] = await tapeGradients(gpu, 'depthwiseConv2d', [c], [dy]);
    const [, OH, OW] = dy.shape;
    expectWithinRounding(result[0], ref.depthwiseConv2dInputGradient(dy, c.w, c.xShape, c.options),
      ref.depthwiseConv2dInputGradient(absolute(dy), absolute(c.w), c.xShape, c.options), 9 * 3, 'dx');
    expectWithinRounding(result[1], ref.depthwiseConv2dFilterGradient(c.x, dy, c.wShape, c.options),
      ref.depthwiseConv2dFilterGradient(absolute(c.x), absolute(dy), c.wShape, c.options), 7 * OH * OW, 'dw');
  });

  it('differentiates its own gradients (second derivatives through both backward ops)', async () => {
    // (gx, gw) = the gradients of Σ dy·depthwise(x, w); L2 = Σ cx·gx + Σ cw·gw, differentiated for
    // dy, w and x. L2 is linear in each of them separately, so central differences are exact.
    const c: ConvCase = { xShape: [2, 5, 6, 3], wShape: [3, 2, 3, 2], options: { strides: 2, padding: 'same', dilation: [1, 2] } };
    const [batch, outHeight, outWidth] = ref.depthwiseConv2d(ref.zeros(c.xShape), ref.zeros(c.wShape), c.options).shape;
    await checkSecondDerivatives(gpu, reference, c, 4, c.wShape[0] * c.wShape[1] * c.wShape[3] + batch * outHeight * outWidth);
  });

  it('handles an empty batch: an empty output, and a zero filter gradient', async () => {
    const result = await gpu.run(async (wg) => {
      const x = wg.ones([0, 5, 5, 2]);
      const w = wg.ones([3, 3, 2, 2]);
      const tape = new wg.Tape();
      const y = tape.record(() => wg.depthwiseConv2d(x, w, { padding: 'same' }));
      const [gx, gw] = tape.gradient(y, [x, w], { outputGradient: wg.ones([0, 5, 5, 4]) });
      return { y: [...y.shape], gx: [...gx.shape], gw: Array.from(await gw.data()) };
    });
    // Σ over no images is 0 for every filter element.
    expect(result).toEqual({ y: [0, 5, 5, 4], gx: [0, 5, 5, 2], gw: new Array(36).fill(0) });
  });

  it('carries NaN and ±Infinity in x through the forward pass and the filter gradient as IEEE-754 does', async () => {
    // Direct float64 depthwise sums (not the block-diagonal reference, whose zero filter entries
    // would turn an Inf or NaN of one channel into NaN in the others: 0·NaN = 0·Inf = NaN).
    // Padding 'same', stride 1, 3×3 window: padded positions add nothing.
    const [N, H, W, C, M, K] = [1, 5, 6, 3, 2, 3];
    const rng = ref.mulberry32(617);
    const x = Array.from({ length: N * H * W * C }, () => Math.fround(ref.randomUniform(rng, -1, 1)));
    const w = Array.from({ length: K * K * C * M }, () => Math.fround(ref.randomUniform(rng, -1, 1)));
    const dy = Array.from({ length: N * H * W * C * M }, () => Math.fround(ref.randomUniform(rng, -1, 1)));
    const at = (h: number, wi: number, c: number): number => (h * W + wi) * C + c;
    x[at(1, 1, 0)] = NaN;
    x[at(3, 4, 1)] = Infinity;
    x[at(3, 5, 1)] = -Infinity;
    x[at(0, 5, 2)] = Infinity;
    const windowTerms = (oh: number, ow: number, c: number, term: (xv: number, kh: number, kw: number) => number): number[] => {
      const terms: number[] = [];
      for (let kh = 0; kh < K; kh++) {
        for (let kw = 0; kw < K; kw++) {
          const [h, wi] = [oh + kh - 1, ow + kw - 1];
          if (h >= 0 && h < H && wi >= 0 && wi < W) terms.push(term(x[at(h, wi, c)], kh, kw));
        }
      }
      return terms;
    };
    const y: number[] = [];
    for (let oh = 0; oh < H; oh++) {
      for (let ow = 0; ow < W; ow++) {
        for (let c = 0; c < C; c++) {
          for (let m = 0; m < M; m++) y.push(windowTerms(oh, ow, c, (xv, kh, kw) => xv * w[((kh * K + kw) * C + c) * M + m]).reduce((a, b) => a + b, 0));
        }
      }
    }
    // dL/dw[kh,kw,c,m] = Σ over outputs of x at the window position · dy, for L = Σ y·dy.
    const dw = new Array<number>(K * K * C * M).fill(0);
    for (let oh = 0; oh < H; oh++) {
      for (let ow = 0; ow < W; ow++) {
        for (let c = 0; c < C; c++) {
          for (let m = 0; m < M; m++) {
            windowTerms(oh, ow, c, (xv, kh, kw) => {
              dw[((kh * K + kw) * C + c) * M + m] += xv * dy[((oh * W + ow) * C + c) * M + m];
              return 0;
            });
          }
        }
      }
    }
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [a.N, a.H, a.W, a.C]);
      const w = wg.tensor(a.w, [a.K, a.K, a.C, a.M]);
      const dy = wg.tensor(a.dy, [a.N, a.H, a.W, a.C * a.M]);
      const y = wg.depthwiseConv2d(x, w, { padding: 'same' });
      const [dw] = wg.grad((w: typeof x) => wg.sum(wg.mul(wg.depthwiseConv2d(x, w, { padding: 'same' }), dy)))(w);
      const result = { y: Array.from(await y.data()), dw: Array.from(await dw.data()) };
      [x, w, dy, y, dw].forEach((t) => t.dispose());
      return result;
    }, { x: Float32Array.from(x), w: Float32Array.from(w), dy: Float32Array.from(dy), N, H, W, C, M, K });
    const special = (v: number): string => (Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? 'finite' : String(v));
    for (const [name, got, want] of [['y', out.y, y], ['dw', out.dw, dw]] as const) {
      expect(got.map(special), name).toEqual(want.map(special));
      // Where finite: float32 sums of at most 9 (y) or 30 (dw) products of values in [-1, 1].
      const finite = want.map((v, i) => (Number.isFinite(v) ? i : -1)).filter((i) => i >= 0);
      ref.expectClose(finite.map((i) => got[i]), finite.map((i) => want[i]), { rtol: 1e-5, atol: 1e-5 }, name);
      expect(want.some((v) => Number.isNaN(v)) && want.some((v) => v === Infinity || v === -Infinity), `${name} covers NaN and ±Inf`).toBe(true);
    }
  });

  it('rejects bad shapes and options, naming the op and the shapes', async () => {
    const thrown = (attempt: (wg: Webgrad) => unknown): Promise<string> => thrownInPage(gpu, attempt);
    expect(await thrown((wg) => wg.depthwiseConv2d(wg.zeros([5, 5, 3]), wg.zeros([3, 3, 3, 1]))))
      .toBe('ShapeError: depthwiseConv2d: input must be a rank-4 NHWC batch [batch, height, width, channels], got [5,5,3]');
    expect(await thrown((wg) => wg.depthwiseConv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3]))))
      .toMatch(/^ShapeError: depthwiseConv2d: filter must be rank 4 \[height, width, inChannels, depthMultiplier\], got \[3,3,3\] \(input \[1,5,5,3\]\)/);
    expect(await thrown((wg) => wg.depthwiseConv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 2, 1]))))
      .toBe('ShapeError: depthwiseConv2d: input has 3 channels but the filter expects 2: input [1,5,5,3], filter [3,3,2,1]');
    expect(await thrown((wg) => wg.depthwiseConv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3, 0]))))
      .toMatch(/^ShapeError: depthwiseConv2d: the filter's height, width, channels and depth multiplier must be positive, got \[3,3,3,0\]/);
    expect(await thrown((wg) => wg.depthwiseConv2d(wg.zeros([1, 2, 5, 3]), wg.zeros([3, 3, 3, 1]))))
      .toMatch(/^ShapeError: depthwiseConv2d: the window spans 3 along height .* padded input has 2: input \[1,2,5,3\], filter \[3,3,3,1\]/);
    expect(await thrown((wg) => wg.depthwiseConv2d(wg.zeros([1, 5, 5, 3], 'int32'), wg.zeros([3, 3, 3, 1]))))
      .toBe('ValueError: depthwiseConv2d: expects a float32 tensor, got int32; cast it first');
    expect(await thrown((wg) => wg.depthwiseConv2d(wg.zeros([1, 5, 5, 3]), wg.zeros([3, 3, 3, 1]), { strides: 0 })))
      .toMatch(/^ValueError: depthwiseConv2d: strides must be a positive integer/);
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
