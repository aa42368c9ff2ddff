// Gradient checks shared by the convolution ops' tests (conv2d, depthwiseConv2d): the gradients for
// x and w through the Tape against finite differences of the op's float64 reference, and second
// derivatives through both backward ops. L = Σ dy·op(x, w) is linear in each element of x and of
// w, and L2 = Σ cx·gx + Σ cw·gw linear in each of dy, w, x, so central differences are exact up
// to float64 rounding.
import { expect } from 'vitest';
import type { Tensor } from '../../src/tensor';
import type { GpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import { absolute, expectWithinRounding, float32 } from './rounding';

export interface ConvCase {
  xShape: number[];
  wShape: number[];
  options: ref.WindowOptions;
}

export interface PreparedCase extends ConvCase {
  x: ref.NdArray;
  w: ref.NdArray;
}

/** An op's float64 reference and its two analytic gradients. */
export interface ConvReference {
  op: 'conv2d' | 'depthwiseConv2d';
  forward: (x: ref.NdArray, w: ref.NdArray, options: ref.WindowOptions) => ref.NdArray;
  inputGradient: (dy: ref.NdArray, w: ref.NdArray, xShape: readonly number[], options: ref.WindowOptions) => ref.NdArray;
  filterGradient: (x: ref.NdArray, dy: ref.NdArray, wShape: readonly number[], options: ref.WindowOptions) => ref.NdArray;
}

/** Random inputs in [-1, 1), rounded to float32 so the GPU and the reference see the same values. */
export function prepare(cases: ConvCase[], seed: number): PreparedCase[] {
  const rng = ref.mulberry32(seed);
  return cases.map((c) => ({ ...c, x: float32(ref.randomArray(c.xShape, rng)), w: float32(ref.randomArray(c.wShape, rng)) }));
}

type ConvOp = (x: Tensor, w: Tensor, options: ref.WindowOptions) => Tensor;

/** dx and dw of each case's op on the GPU through the Tape, for output gradient outputGradients[i]. */
export function tapeGradients(gpu: GpuPage, op: ConvReference['op'], cases: PreparedCase[], outputGradients: ref.NdArray[]): Promise<{ shapes: number[][]; values: number[][] }[]> {
  return gpu.run(
    async (wg, { op, list }) => {
      const convolve = (wg as unknown as Record<string, ConvOp>)[op];
      const out = [];
      for (const c of list) {
        const x = wg.tensor(c.x, c.xShape);
        const w = wg.tensor(c.w, c.wShape);
        const tape = new wg.Tape();
        const y = tape.record(() => convolve(x, w, c.options));
        const outputGradient = wg.tensor(c.dy, [...y.shape]);
        const [gx, gw] = tape.gradient(y, [x, w], { outputGradient });
        out.push({ shapes: [[...gx.shape], [...gw.shape]], values: [Array.from(await gx.data()), Array.from(await gw.data())] });
        for (const t of [x, w, y, outputGradient, gx, gw]) t.dispose();
      }
      return out;
    },
    { op, list: cases.map((c, i) => ({ ...c, x: Float32Array.from(c.x.data), w: Float32Array.from(c.w.data), dy: Float32Array.from(outputGradients[i].data) })) },
  );
}

/**
 * For each case, dx and dw from the Tape against finite differences (and the analytic references
 * against those too, so other tests may use them); `terms(c, dyShape)` bounds the products summed
 * into one element of dx and of dw.
 */
export async function checkFirstGradients(gpu: GpuPage, reference: ConvReference, cases: ConvCase[], seed: number,
  terms: (c: ConvCase, dyShape: readonly number[]) => [number, number]): Promise<void> {
  const prepared = prepare(cases, seed);
  const rng = ref.mulberry32(seed + 1);
  const outputGradients = prepared.map((c) => float32(ref.randomArray(reference.forward(c.x, c.w, c.options).shape, rng)));
  const gradients = await tapeGradients(gpu, reference.op, prepared, outputGradients);
  prepared.forEach((c, i) => {
    const label = `grad of ${reference.op} x [${c.xShape}] w [${c.wShape}] ${JSON.stringify(c.options)}`;
    const loss = (dy: ref.NdArray) => ([x, w]: ref.NdArray[]): number =>
      reference.forward(x, w, c.options).data.reduce((total, value, j) => total + value * dy.data[j], 0);
    const expected = ref.numericGradient(loss(outputGradients[i]), [c.x, c.w], 1e-3);
    const scale = ref.numericGradient(loss(absolute(outputGradients[i])), [absolute(c.x), absolute(c.w)], 1e-3);
    ref.expectClose(reference.inputGradient(outputGradients[i], c.w, c.xShape, c.options).data, expected[0].data, { rtol: 1e-7, atol: 1e-7 }, `${label}: reference dx`);
    ref.expectClose(reference.filterGradient(c.x, outputGradients[i], c.wShape, c.options).data, expected[1].data, { rtol: 1e-7, atol: 1e-7 }, `${label}: reference dw`);
    const bounds = terms(c, outputGradients[i].shape);
    [0, 1].forEach((input) => {
      expect(gradients[i].shapes[input], `${label}: input ${input} shape`).toEqual(input === 0 ? c.xShape : c.wShape);
      expectWithinRounding(gradients[i].values[input], expected[input], scale[input], bounds[input], `${label}: input ${input}`);
    });
  });
}

/**
 * (gx, gw) = the gradients of Σ dy·op(x, w); L2 = Σ cx·gx + Σ cw·gw, differentiated for dy, w and
 * x through both backward ops, against finite differences of the analytic references; `terms`
 * bounds the products summed into one element.
 */
export async function checkSecondDerivatives(gpu: GpuPage, reference: ConvReference, c: ConvCase, seed: number, terms: number): Promise<void> {
  const [prepared] = prepare([c], seed);
  const rng = ref.mulberry32(seed + 1);
  const dy = float32(ref.randomArray(reference.forward(prepared.x, prepared.w, c.options).shape, rng));
  const cx = float32(ref.randomArray(c.xShape, rng));
  const cw = float32(ref.randomArray(c.wShape, rng));
  const result = await gpu.run(
    async (wg, args) => {
      const convolve = (wg as unknown as Record<string, ConvOp>)[args.op];
      const x = wg.tensor(args.x, args.xShape);
      const w = wg.tensor(args.w, args.wShape);
      const dy = wg.tensor(args.dy, args.dyShape);
      const cx = wg.tensor(args.cx, args.xShape);
      const cw = wg.tensor(args.cw, args.wShape);
      const outer = new wg.Tape();
      const l2 = outer.record(() => {
        const inner = new wg.Tape();
        const y = inner.record(() => convolve(x, w, args.options));
        const [gx, gw] = inner.gradient(y, [x, w], { outputGradient: dy });
        return wg.add(wg.sum(wg.mul(gx, cx)), wg.sum(wg.mul(gw, cw)));
      });
      const gradients = outer.gradient(l2, [dy, w, x]);
      return Promise.all(gradients.map(async (t) => Array.from(await t.data())));
    },
    { ...c, op: reference.op, x: Float32Array.from(prepared.x.data), w: Float32Array.from(prepared.w.data), dy: Float32Array.from(dy.data), dyShape: dy.shape, cx: Float32Array.from(cx.data), cw: Float32Array.from(cw.data) },
  );
  const dot = (a: ref.NdArray, b: ref.NdArray): number => a.data.reduce((total, value, j) => total + value * b.data[j], 0);
  const l2 = (weightX: ref.NdArray, weightW: ref.NdArray) => ([d, w, x]: ref.NdArray[]): number =>
    dot(reference.inputGradient(d, w, c.xShape, c.options), weightX) + dot(reference.filterGradient(x, d, c.wShape, c.options), weightW);
  const inputs = [dy, prepared.w, prepared.x];
  const expected = ref.numericGradient(l2(cx, cw), inputs, 1e-3);
  const scale = ref.numericGradient(l2(absolute(cx), absolute(cw)), inputs.map(absolute), 1e-3);
  ['dy', 'w', 'x'].forEach((name, k) => expectWithinRounding(result[k], expected[k], scale[k], terms, `${reference.op}: second derivative for ${name}`));
}
