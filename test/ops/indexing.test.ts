// gather and oneHot: forward against the float64 references (bit-exact), gather's gradient
// (a scatter-add that must keep every repeated index's contribution) against finite differences.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import {
  expectForward, expectGradients, intInput, outputGradientFor, randomInput, runCases, type OpCase,
} from './shape-cases';

const randomIndices = (shape: number[], rng: ref.Rng, lo: number, hi: number) => intInput(shape, ref.randomIntArray(shape, rng, lo, hi).data);

describe('indexing ops', () => {
  const gpu = useGpuPage();

  it('gather: axes 0, 1 and negative, repeated and multi-dimensional indices, scalar index, int32, empty', async () => {
    const rng = ref.mulberry32(21);
    const cases: OpCase[] = [
      { op: 'gather', inputs: [randomInput([5, 3], rng), intInput([7], [4, 0, 4, 1, 4, 2, 0])], params: { axis: 0 } },
      { op: 'gather', inputs: [randomInput([3, 6, 2], rng), intInput([2, 3], [5, 0, 5, 2, 2, 1])], params: { axis: 1 } },
      { op: 'gather', inputs: [randomInput([4, 5], rng), intInput([3], [4, 4, 0])], params: { axis: -1 } },
      { op: 'gather', inputs: [randomInput([4, 3], rng), intInput([], [2])], params: { axis: 0 } },
      { op: 'gather', inputs: [randomInput([3, 4, 2], rng, 'int32'), intInput([2, 2], [3, 0, 0, 1])], params: { axis: 1 } },
      { op: 'gather', inputs: [randomInput([4, 3], rng), intInput([0], [])], params: { axis: 0 } },
      { op: 'gather', inputs: [randomInput([4, 3], rng), intInput([2, 0], [])], params: { axis: 1 } },
      { op: 'gather', inputs: [randomInput([3, 0], rng), intInput([2], [1, 1])], params: { axis: 0 } },
      { op: 'gather', inputs: [randomInput([2, 3, 4, 3], rng), intInput([2, 2], [3, 1, 1, 0])], params: { axis: 2 } },
      { op: 'gather', inputs: [randomInput([70, 3], rng), randomIndices([67], rng, 0, 69)], params: { axis: 0 } },
    ];
    for (let i = 0; i < 8; i++) {
      const shape = ref.randomShape(rng, ref.randomInt(rng, 1, 4), 1, 5);
      const axis = ref.randomInt(rng, -shape.length, shape.length - 1);
      const dim = shape[axis < 0 ? axis + shape.length : axis];
      const indexShape = ref.randomShape(rng, ref.randomInt(rng, 0, 2), 1, 4);
      cases.push({ op: 'gather', inputs: [randomInput(shape, rng, i % 3 === 0 ? 'int32' : 'float32'), randomIndices(indexShape, rng, 0, dim - 1)], params: { axis } });
    }
    const results = await runCases(gpu, cases);
    cases.forEach((c, i) => expectForward(c, results[i], `case ${i} gather ${JSON.stringify(c.inputs.map((x) => x.shape))} axis ${c.params.axis}`));
  });

  it('gather with batchDims (tf.gather semantics): each batch row gathers with its own indices, forward and gradient', async () => {
    const rng = ref.mulberry32(27);
    const cases: OpCase[] = [
      // [batch 2, 5] by [batch 2, 3] along axis 1: out[b, j] = x[b, idx[b, j]].
      { op: 'gather', inputs: [randomInput([2, 5], rng), intInput([2, 3], [4, 0, 4, 1, 2, 3])], params: { axis: 1, batchDims: 1 } },
      // Two batch axes, an outer axis between batch and axis, trailing inner axis, 2-D indices per batch.
      { op: 'gather', inputs: [randomInput([2, 3, 2, 4, 2], rng), randomIndices([2, 3, 2, 2], rng, 0, 3)], params: { axis: 3, batchDims: 2 } },
      // Negative batchDims counts from indices' rank (−1 of rank 2 is 1), negative axis.
      { op: 'gather', inputs: [randomInput([3, 4, 2], rng), randomIndices([3, 5], rng, 0, 3)], params: { axis: -2, batchDims: -1 } },
      // batchDims equal to indices' rank: one index per batch row (the index axes vanish).
      { op: 'gather', inputs: [randomInput([4, 3], rng), intInput([4], [2, 0, 1, 2])], params: { axis: 1, batchDims: 1 } },
      // Clamped indices within batches, int32 x.
      { op: 'gather', inputs: [randomInput([2, 3], rng, 'int32'), intInput([2, 2], [-1, 5, 2, 9])], params: { axis: 1, batchDims: 1 } },
    ];
    for (const c of cases.slice(0, 4)) c.outputGradient = outputGradientFor(c, rng);
    const results = await runCases(gpu, cases);
    cases.forEach((c, i) => {
      expectForward(c, results[i], `batchDims case ${i}`);
      if (c.outputGradient) expectGradients(c, results[i], `batchDims gradient case ${i}`);
    });
    const errors: [OpCase, RegExp][] = [
      [{ op: 'gather', inputs: [randomInput([2, 3], rng), intInput([3, 1], [0, 0, 0])], params: { axis: 1, batchDims: 1 } }, /^ShapeError: gather: the first 1 \(batchDims\) dimensions of x and indices must match, got x \[2,3\], indices \[3,1\]/],
      [{ op: 'gather', inputs: [randomInput([2, 3], rng), intInput([2, 1], [0, 0])], params: { axis: 0, batchDims: 1 } }, /^ValueError: gather: batchDims must be an integer in \[-2, 0\]/],
      [{ op: 'gather', inputs: [randomInput([2, 3, 4], rng), intInput([2], [0, 0])], params: { axis: 2, batchDims: 2 } }, /^ValueError: gather: batchDims must be an integer in \[-1, 1\]/],
    ];
    const errorResults = await runCases(gpu, errors.map(([c]) => c));
    errors.forEach(([c, pattern], i) => expect(errorResults[i].error, JSON.stringify(c.params)).toMatch(pattern));
  });

  it('gather clamps out-of-range indices into the axis instead of reading outside x', async () => {
    const rng = ref.mulberry32(22);
    const c: OpCase = { op: 'gather', inputs: [randomInput([4, 3], rng), intInput([5], [-3, 7, 2, 4, -1])], params: { axis: 0 } };
    const [result] = await runCases(gpu, [c]);
    // referenceOf clamps to [0, 3] before calling the reference (which rejects such indices).
    expectForward(c, result, 'clamped gather');
  });

  it('oneHot: indices of rank 0-2, out-of-range indices give all-zero rows, depth 0 and 1, empty indices', async () => {
    const rng = ref.mulberry32(23);
    const cases: OpCase[] = [
      { op: 'oneHot', inputs: [intInput([], [3])], params: { depth: 5 } },
      { op: 'oneHot', inputs: [randomIndices([9], rng, -2, 8)], params: { depth: 7 } },
      { op: 'oneHot', inputs: [randomIndices([2, 3], rng, -1, 4)], params: { depth: 4 } },
      { op: 'oneHot', inputs: [intInput([3], [0, 1, -1])], params: { depth: 1 } },
      { op: 'oneHot', inputs: [intInput([3], [0, 1, 2])], params: { depth: 0 } },
      { op: 'oneHot', inputs: [intInput([2, 0], [])], params: { depth: 3 } },
      { op: 'oneHot', inputs: [randomIndices([30], rng, 0, 9)], params: { depth: 10 } },
    ];
    const results = await runCases(gpu, cases);
    cases.forEach((c, i) => expectForward(c, results[i], `case ${i} oneHot ${JSON.stringify(c.inputs[0].shape)} depth ${c.params.depth}`));
  });

  it('errors name the op, dtype, axis and rank', async () => {
    const rng = ref.mulberry32(24);
    const expectations: [OpCase, RegExp][] = [
      [{ op: 'gather', inputs: [randomInput([4, 3], rng), randomInput([2], rng)], params: { axis: 0 } }, /^ValueError: gather: indices must be int32, got float32/],
      [{ op: 'gather', inputs: [randomInput([4, 3], rng), intInput([1], [0])], params: { axis: 2 } }, /^ValueError: gather: axis 2 is out of range for a tensor of rank 2/],
      [{ op: 'gather', inputs: [randomInput([4, 3], rng), intInput([1], [0])], params: { axis: -3 } }, /^ValueError: gather: axis -3 is out of range for a tensor of rank 2/],
      [{ op: 'gather', inputs: [randomInput([], rng), intInput([1], [0])], params: { axis: 0 } }, /^ShapeError: gather: x must have rank >= 1/],
      [{ op: 'gather', inputs: [randomInput([0, 3], rng), intInput([1], [0])], params: { axis: 0 } }, /^ShapeError: gather: axis 0 of \[0,3\] is empty/],
      [{ op: 'oneHot', inputs: [randomInput([3], rng)], params: { depth: 4 } }, /^ValueError: oneHot: indices must be int32, got float32/],
      [{ op: 'oneHot', inputs: [intInput([1], [0])], params: { depth: -1 } }, /^ValueError: oneHot: depth must be a non-negative integer, got -1/],
      [{ op: 'oneHot', inputs: [intInput([1], [0])], params: { depth: 2.5 } }, /^ValueError: oneHot: depth must be a non-negative integer, got 2.5/],
    ];
    const results = await runCases(gpu, expectations.map(([c]) => c));
    expectations.forEach(([c, pattern], i) => expect(results[i].error, `${c.op} ${JSON.stringify(c.params)}`).toMatch(pattern));
  });

  it('gather gradient is a scatter-add: repeated indices accumulate, any axis, multi-dimensional and clamped indices', async () => {
    const rng = ref.mulberry32(25);
    const cases: OpCase[] = [
      { op: 'gather', inputs: [randomInput([5, 3], rng), intInput([7], [4, 0, 4, 1, 4, 2, 0])], params: { axis: 0 } },
      { op: 'gather', inputs: [randomInput([3, 6, 2], rng), intInput([2, 3], [5, 0, 5, 2, 2, 5])], params: { axis: 1 } },
      { op: 'gather', inputs: [randomInput([2, 3, 4], rng), intInput([2, 2], [3, 3, 0, 3])], params: { axis: -1 } },
      { op: 'gather', inputs: [randomInput([4, 3], rng), intInput([], [1])], params: { axis: 0 } },
      { op: 'gather', inputs: [randomInput([4, 2], rng), intInput([4], [-2, 9, 3, 0])], params: { axis: 0 } },
      { op: 'gather', inputs: [randomInput([20, 3], rng), randomIndices([40], rng, 0, 19)], params: { axis: 0 } },
      // Rows of 9 and 8 elements: a scatter invocation sums 4 neighbours, so rows end in a 1-element
      // quarter or in whole ones.
      { op: 'gather', inputs: [randomInput([6, 9], rng), randomIndices([3, 5], rng, 0, 5)], params: { axis: 0 } },
      { op: 'gather', inputs: [randomInput([2, 5, 8], rng), intInput([6], [4, 1, 4, 4, 0, 1])], params: { axis: 1 } },
    ];
    for (const c of cases) c.outputGradient = outputGradientFor(c, rng);
    const results = await runCases(gpu, cases);
    cases.forEach((c, i) => {
      expectForward(c, results[i], `gradient case ${i}`);
      expectGradients(c, results[i], `gather ${JSON.stringify(c.inputs.map((x) => x.shape))} axis ${c.params.axis}`);
    });
  });

  it("gather's backward (scatter-add) is itself differentiable: its gradient is a gather", async () => {
    const rng = ref.mulberry32(26);
    const x = randomInput([5, 3], rng);
    const indices = intInput([2, 3], [4, 0, 4, 1, 4, 0]);
    const w = randomInput([2, 3, 3], rng);
    const v = randomInput([5, 3], rng);
    const out = await gpu.run(async (wg, args) => {
      const [xt, wt, vt] = [args.x, args.w, args.v].map((input) => wg.tensor(input.data, input.shape));
      const it = wg.tensor(args.indices.data, args.indices.shape, 'int32');
      const outer = new wg.Tape();
      const g = outer.record(() => {
        const inner = new wg.Tape();
        const y = inner.record(() => wg.gather(xt, it, 0));
        return inner.gradient(y, [xt], { outputGradient: wt })[0];
      });
      const [gw] = outer.gradient(g, [wt], { outputGradient: vt });
      return { g: Array.from(await g.data()), gw: Array.from(await gw.data()) };
    }, { x, indices, w, v });
    const toNd = (input: typeof x) => ({ shape: input.shape, data: Float64Array.from(input.data) });
    const weights = Float64Array.from(w.data);
    const [numeric] = ref.numericGradient(([a]) => ref.gather(a, toNd(indices), 0).data.reduce((t, value, i) => t + value * weights[i], 0), [toNd(x)]);
    ref.expectClose(out.g, numeric.data, { rtol: 1e-5, atol: 1e-6 }, 'd<w, gather(x)>/dx');
    // d<v, scatterAdd(w)>/dw = gather(v), a pure copy: exact.
    ref.expectClose(out.gw, ref.gather(toNd(v), toNd(indices), 0).data, { rtol: 0, atol: 0 }, 'second order');
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
