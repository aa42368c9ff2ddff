// A cross-section of ops run in Node through Dawn (`wg.init({ gpu })`, see the harness), each
// against the float64 references the browser tests use: elementwise with broadcasting, matmul,
// a reduction, softmax and conv2d. The browser suite covers every op; this shows the Node path
// compiles and runs the same kernels to the same accuracy.
import { describe, expect, it } from 'vitest';
import { loadWebgradInNode } from '../harness/node-webgrad';
import * as ref from '../reference';

const node = await loadWebgradInNode();

/** float32's unit roundoff. */
const U = 2 ** -24;

/** Random float32-representable values, so the float64 reference sees exactly what the GPU sees. */
function randomF32(shape: number[], rng: ref.Rng): ref.NdArray {
  const x = ref.randomArray(shape, rng);
  return { shape: x.shape, data: Float64Array.from(x.data, Math.fround) };
}

describe.skipIf(node.skipReason !== null)('ops in Node through Dawn', () => {
  it('runs on the adapter Dawn found', () => {
    const { wg } = node;
    expect(wg.isInitialized()).toBe(true);
    console.log(`Node test adapter: ${JSON.stringify(wg.getAdapterInfo())}`);
  });

  it('add and mul broadcast [3,1] with [4], each element one float32 rounding of the exact result', async () => {
    const { wg } = node;
    const rng = ref.mulberry32(11);
    const a = randomF32([3, 1], rng);
    const b = randomF32([4], rng);
    const ta = wg.tensor(Float32Array.from(a.data), a.shape);
    const tb = wg.tensor(Float32Array.from(b.data), b.shape);
    const sum = wg.add(ta, tb);
    const product = wg.mul(ta, tb);
    expect(sum.shape).toEqual([3, 4]);
    // IEEE-754: a float32 add or multiply is the exact result rounded once, which fround does.
    expect(Array.from(await sum.data())).toEqual(Array.from(ref.binary(a, b, (x, y) => Math.fround(x + y)).data));
    expect(Array.from(await product.data())).toEqual(Array.from(ref.binary(a, b, (x, y) => Math.fround(x * y)).data));
    for (const t of [ta, tb, sum, product]) t.dispose();
  });

  it('matmul [5,7]·[7,3] matches float64', async () => {
    const { wg } = node;
    const rng = ref.mulberry32(12);
    const a = randomF32([5, 7], rng);
    const b = randomF32([7, 3], rng);
    const out = wg.matmul(wg.tensor(Float32Array.from(a.data), a.shape), wg.tensor(Float32Array.from(b.data), b.shape));
    // A k-term float32 dot product errs by at most k·u·Σ|a_i·b_i| (Higham 3.1); entries in [-1, 1] make Σ ≤ k.
    const k = 7;
    ref.expectClose(await out.data(), ref.matmul(a, b).data, { rtol: 0, atol: k * k * U, shape: [5, 3] }, 'matmul');
  });

  it('sum over axis 1 of [4,33] matches float64', async () => {
    const { wg } = node;
    const rng = ref.mulberry32(13);
    const x = randomF32([4, 33], rng);
    const out = wg.sum(wg.tensor(Float32Array.from(x.data), x.shape), 1);
    expect(out.shape).toEqual([4]);
    // Any summation order of n float32 terms errs by at most (n−1)·u·Σ|x| ≤ 32·u·33.
    ref.expectClose(await out.data(), ref.reduce(x, 1, false, 0, (s, v) => s + v).data, { rtol: 0, atol: 32 * 33 * U }, 'sum');
  });

  it('softmax over the last axis of [3,6] matches float64', async () => {
    const { wg } = node;
    const rng = ref.mulberry32(14);
    const x = randomF32([3, 6], rng);
    x.data.forEach((v, i) => { x.data[i] = Math.fround(4 * v); });
    const out = wg.softmax(wg.tensor(Float32Array.from(x.data), x.shape));
    // As test/ops/softmax.test.ts: exp is a few ulps in WGSL, then a sum and a division; rtol 1e-5.
    ref.expectClose(await out.data(), ref.softmax(x).data, { rtol: 1e-5, atol: 1e-7, shape: x.shape }, 'softmax');
  });

  it("conv2d [1,5,5,2] * [3,3,2,3], 'same' padding, matches float64", async () => {
    const { wg } = node;
    const rng = ref.mulberry32(15);
    const x = randomF32([1, 5, 5, 2], rng);
    const w = randomF32([3, 3, 2, 3], rng);
    const out = wg.conv2d(wg.tensor(Float32Array.from(x.data), x.shape), wg.tensor(Float32Array.from(w.data), w.shape), { padding: 'same' });
    const expected = ref.conv2d(x, w, { padding: 'same' });
    expect(out.shape).toEqual(expected.shape);
    // Each output is an 18-term dot product of values in [-1, 1]: error ≤ 18·u·18 (as for matmul).
    ref.expectClose(await out.data(), expected.data, { rtol: 0, atol: 18 * 18 * U, shape: expected.shape }, 'conv2d');
  });
});
