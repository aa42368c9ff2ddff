// reshape, transpose, broadcastTo, slice, concat: forward against the float64 references (bit-exact,
// since they only move words), gradients against finite differences, and error messages.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import {
  expectForward, expectGradients, outputGradientFor, randomInput, randomPermutation, runCases, type OpCase,
} from './shape-cases';

const permutations = (items: number[]): number[][] =>
  items.length <= 1 ? [items] : items.flatMap((item, i) => permutations(items.filter((_, j) => j !== i)).map((rest) => [item, ...rest]));

describe('movement ops', () => {
  const gpu = useGpuPage();

  async function expectAllForward(cases: OpCase[]): Promise<void> {
    const results = await runCases(gpu, cases);
    cases.forEach((c, i) => expectForward(c, results[i], `case ${i} ${c.op} ${JSON.stringify(c.inputs.map((x) => x.shape))} ${JSON.stringify(c.params)} ${c.inputs[0].dtype}`));
  }

  it('transpose: every perm of rank 3, random ranks 1-5, default perm, int32, size 0, scalar', async () => {
    const rng = ref.mulberry32(11);
    const cases: OpCase[] = permutations([0, 1, 2]).map((perm) => ({ op: 'transpose', inputs: [randomInput([3, 5, 7], rng)], params: { perm } }));
    for (let rank = 1; rank <= 5; rank++) {
      for (const dtype of ['float32', 'int32'] as const) {
        const shape = ref.randomShape(rng, rank, 1, 5);
        cases.push({ op: 'transpose', inputs: [randomInput(shape, rng, dtype)], params: { perm: randomPermutation(rank, rng) } });
      }
    }
    cases.push({ op: 'transpose', inputs: [randomInput([4, 9], rng)], params: {} });
    cases.push({ op: 'transpose', inputs: [randomInput([2, 3, 1, 5], rng, 'int32')], params: {} });
    cases.push({ op: 'transpose', inputs: [randomInput([0, 3, 2], rng)], params: { perm: [2, 0, 1] } });
    cases.push({ op: 'transpose', inputs: [randomInput([], rng)], params: {} });
    // Rank 9 fits the rank-8 kernel because size-1 axes are dropped before the copy.
    cases.push({ op: 'transpose', inputs: [randomInput([2, 1, 3, 1, 2, 1, 3, 1, 2], rng)], params: {} });
    await expectAllForward(cases);
  });

  it('transpose: reversed axes of every rank 1 to 8, walked axis by axis (each rank its own pipeline; no axes merge)', async () => {
    const rng = ref.mulberry32(13);
    const cases: OpCase[] = [];
    for (let rank = 1; rank <= 8; rank++) {
      const shape = Array.from({ length: rank }, (_, d) => 2 + (d % 2));
      const perm = shape.map((_, d) => rank - 1 - d);
      cases.push({ op: 'transpose', inputs: [randomInput(shape, rng, rank % 2 ? 'int32' : 'float32')], params: { perm } });
    }
    await expectAllForward(cases);
  });

  it('copies four elements per invocation where the innermost walked axis holds whole fours: in-strides 1, > 1 and 0, offsets, int32', async () => {
    // src/ops/movement.ts takes 4 elements per invocation when that axis's size is a multiple of 4:
    // the head split [8,32,4,16] → [8,4,32,16] (in-stride 1), a matrix transpose [12,8] → [8,12]
    // (in-stride 8), a broadcast [3,1] → [3,8] (in-stride 0), a slice and a concat (offsets), and a
    // 2-element innermost axis beside them (one per invocation).
    const rng = ref.mulberry32(17);
    const cases: OpCase[] = [
      { op: 'transpose', inputs: [randomInput([8, 32, 4, 16], rng)], params: { perm: [0, 2, 1, 3] } },
      { op: 'transpose', inputs: [randomInput([12, 8], rng, 'int32')], params: {} },
      { op: 'transpose', inputs: [randomInput([3, 4, 2], rng)], params: { perm: [2, 0, 1] } },
      { op: 'broadcastTo', inputs: [randomInput([3, 1], rng)], params: { shape: [3, 8] } },
      { op: 'slice', inputs: [randomInput([5, 12], rng)], params: { begin: [1, 4], size: [3, 8] } },
      { op: 'concat', inputs: [randomInput([2, 8], rng), randomInput([2, 4], rng)], params: { axis: 1 } },
    ];
    await expectAllForward(cases);
  });

  it('broadcastTo: new leading axes, size-1 axes, int32, scalars, to size 0', async () => {
    const rng = ref.mulberry32(12);
    const cases: OpCase[] = [];
    for (let i = 0; i < 12; i++) {
      const target = ref.randomShape(rng, ref.randomInt(rng, 1, 5), 1, 4);
      const dropped = ref.randomInt(rng, 0, target.length - 1);
      const shape = target.slice(dropped).map((dim) => (rng() < 0.4 ? 1 : dim));
      cases.push({ op: 'broadcastTo', inputs: [randomInput(shape, rng, i % 3 === 0 ? 'int32' : 'float32')], params: { shape: target } });
    }
    cases.push({ op: 'broadcastTo', inputs: [randomInput([], rng)], params: { shape: [3, 5] } });
    cases.push({ op: 'broadcastTo', inputs: [randomInput([1, 3], rng)], params: { shape: [0, 3] } });
    cases.push({ op: 'broadcastTo', inputs: [randomInput([67], rng)], params: { shape: [3, 67] } });
    cases.push({ op: 'broadcastTo', inputs: [randomInput([2, 3], rng)], params: { shape: [2, 3] } });
    await expectAllForward(cases);
  });

  it('slice: random blocks of ranks 1-5, -1 sizes, negative begins, omitted size, empty blocks, int32', async () => {
    const rng = ref.mulberry32(13);
    const cases: OpCase[] = [];
    for (let i = 0; i < 16; i++) {
      const shape = ref.randomShape(rng, ref.randomInt(rng, 1, 5), 1, 6);
      const begin = shape.map((dim) => ref.randomInt(rng, 0, dim));
      const size = shape.map((dim, axis) => (rng() < 0.25 ? -1 : ref.randomInt(rng, 0, dim - begin[axis])));
      const signedBegin = begin.map((b, axis) => (b < shape[axis] && rng() < 0.3 ? b - shape[axis] : b));
      cases.push({ op: 'slice', inputs: [randomInput(shape, rng, i % 4 === 0 ? 'int32' : 'float32')], params: { begin: signedBegin, size } });
    }
    cases.push({ op: 'slice', inputs: [randomInput([5, 7], rng)], params: { begin: [-2, 3] } });
    cases.push({ op: 'slice', inputs: [randomInput([0, 4], rng)], params: { begin: [0, 1], size: [0, 2] } });
    cases.push({ op: 'slice', inputs: [randomInput([3, 4], rng)], params: { begin: [3, 0], size: [-1, -1] } });
    cases.push({ op: 'slice', inputs: [randomInput([], rng)], params: { begin: [], size: [] } });
    cases.push({ op: 'slice', inputs: [randomInput([130], rng)], params: { begin: [1], size: [129] } });
    await expectAllForward(cases);
  });

  it('concat: ranks 1-5 along every axis (negative too), empty pieces, one piece, int32', async () => {
    const rng = ref.mulberry32(14);
    const cases: OpCase[] = [];
    for (let i = 0; i < 14; i++) {
      const rank = ref.randomInt(rng, 1, 5);
      const base = ref.randomShape(rng, rank, 1, 4);
      const axis = ref.randomInt(rng, -rank, rank - 1);
      const along = axis < 0 ? axis + rank : axis;
      const dtype = i % 4 === 0 ? 'int32' : 'float32';
      const inputs = Array.from({ length: ref.randomInt(rng, 1, 3) }, () =>
        randomInput(base.map((dim, a) => (a === along ? ref.randomInt(rng, 0, 4) : dim)), rng, dtype));
      cases.push({ op: 'concat', inputs, params: { axis } });
    }
    cases.push({ op: 'concat', inputs: [randomInput([3, 0], rng), randomInput([3, 0], rng)], params: { axis: 0 } });
    cases.push({ op: 'concat', inputs: [randomInput([65], rng), randomInput([70], rng)], params: {} });
    await expectAllForward(cases);
  });

  it('reshape: a view sharing the buffer (no bytes allocated), -1 inferred, outliving its source', async () => {
    const x = randomInput([2, 3, 4], ref.mulberry32(15));
    const out = await gpu.run(async (wg, input) => {
      const source = wg.tensor(input.data, input.shape);
      const before = wg.memory();
      const view = wg.reshape(source, [4, -1]);
      const empty = wg.reshape(wg.zeros([0, 3]), [3, 0, 5]);
      const after = wg.memory();
      const sameBuffer = view.buffer === source.buffer;
      source.dispose();
      const result = {
        bytesAdded: after.numBytes - before.numBytes,
        sameBuffer,
        shape: [...view.shape],
        emptyShape: [...empty.shape],
        data: Array.from(await view.data()),
      };
      view.dispose();
      empty.dispose();
      return result;
    }, x);
    // Views add no bytes (the 0-size zeros tensor counts 0 bytes too).
    expect(out.sameBuffer).toBe(true);
    expect(out.bytesAdded).toBe(0);
    expect(out.shape).toEqual([4, 6]);
    expect(out.emptyShape).toEqual([3, 0, 5]);
    expect(out.data).toEqual(Array.from(x.data));
  });

  it('errors name the op and the shapes, perm, begin/size, axis and rank', async () => {
    const rng = ref.mulberry32(16);
    const f = (shape: number[]) => randomInput(shape, rng);
    const expectations: [OpCase, RegExp][] = [
      [{ op: 'reshape', inputs: [f([2, 3])], params: { shape: [4, 2] } }, /^ShapeError: reshape: .*\[2,3\].*\[4,2\]/],
      [{ op: 'reshape', inputs: [f([2, 3])], params: { shape: [-1, -1] } }, /^ShapeError: reshape: at most one .*-1/],
      [{ op: 'reshape', inputs: [f([2, 3])], params: { shape: [4, -1] } }, /^ShapeError: reshape: .*\[2,3\].*\[4,-1\]/],
      [{ op: 'reshape', inputs: [f([0, 3])], params: { shape: [0, -1] } }, /^ShapeError: reshape: .*\[0,3\].*\[0,-1\]/],
      [{ op: 'transpose', inputs: [f([2, 3, 4])], params: { perm: [0, 0, 1] } }, /^ValueError: transpose: perm \[0,0,1\] .*rank-3 .*\[2,3,4\]/],
      [{ op: 'transpose', inputs: [f([2, 3, 4])], params: { perm: [1, 0] } }, /^ValueError: transpose: perm \[1,0\] .*\[2,3,4\]/],
      [{ op: 'transpose', inputs: [f([2, 2, 2, 2, 2, 2, 2, 2, 2])], params: {} }, /^ShapeError: transpose: .*needs 9 axes.*8/],
      [{ op: 'broadcastTo', inputs: [f([2, 3])], params: { shape: [4, 3] } }, /^ShapeError: broadcastTo: cannot broadcast \[2,3\] to \[4,3\]/],
      [{ op: 'broadcastTo', inputs: [f([2, 3])], params: { shape: [3] } }, /^ShapeError: broadcastTo: cannot broadcast \[2,3\] to \[3\]/],
      [{ op: 'broadcastTo', inputs: [f([2])], params: { shape: [2, -1] } }, /^ShapeError: broadcastTo: invalid shape \[2,-1\]/],
      [{ op: 'slice', inputs: [f([2, 3])], params: { begin: [0, 1], size: [2, 5] } }, /^ShapeError: slice: begin \[0,1\] size \[2,5\] is out of bounds for shape \[2,3\]/],
      [{ op: 'slice', inputs: [f([2, 3])], params: { begin: [0, -4] } }, /^ShapeError: slice: begin \[0,-4\] size \[-1,-1\] is out of bounds for shape \[2,3\]/],
      [{ op: 'slice', inputs: [f([2, 3])], params: { begin: [0], size: [1] } }, /^ShapeError: slice: begin \[0\] size \[1\] .*one entry per axis of \[2,3\]/],
      [{ op: 'concat', inputs: [f([2, 3]), f([3])], params: { axis: 0 } }, /^ShapeError: concat: ranks differ: \[2,3\], \[3\]/],
      [{ op: 'concat', inputs: [f([2, 3]), f([3, 3])], params: { axis: 1 } }, /^ShapeError: concat: shapes \[2,3\], \[3,3\] differ off axis 1/],
      [{ op: 'concat', inputs: [f([2, 3]), randomInput([2, 3], rng, 'int32')], params: { axis: 0 } }, /^ValueError: concat: dtypes differ: float32 \[2,3\], int32 \[2,3\]/],
      [{ op: 'concat', inputs: [f([2, 3]), f([2, 3])], params: { axis: 2 } }, /^ValueError: concat: axis 2 is out of range for a tensor of rank 2/],
      [{ op: 'concat', inputs: [f([2, 3])], params: { axis: -3 } }, /^ValueError: concat: axis -3 is out of range for a tensor of rank 2/],
      [{ op: 'concat', inputs: [], params: { axis: 0 } }, /^ValueError: concat: needs at least one tensor/],
    ];
    const results = await runCases(gpu, expectations.map(([c]) => c));
    expectations.forEach(([c, pattern], i) => expect(results[i].error, `${c.op} ${JSON.stringify(c.params)}`).toMatch(pattern));
  });

  it('gradients match finite differences (transpose, broadcastTo, slice, concat along a middle axis, reshape)', async () => {
    const rng = ref.mulberry32(17);
    const cases: OpCase[] = [
      { op: 'reshape', inputs: [randomInput([2, 3, 4], rng)], params: { shape: [4, -1] } },
      { op: 'transpose', inputs: [randomInput([2, 3, 4], rng)], params: { perm: [2, 0, 1] } },
      { op: 'transpose', inputs: [randomInput([3, 5], rng)], params: {} },
      { op: 'broadcastTo', inputs: [randomInput([3, 1, 4], rng)], params: { shape: [2, 3, 5, 4] } },
      { op: 'broadcastTo', inputs: [randomInput([], rng)], params: { shape: [2, 3] } },
      { op: 'slice', inputs: [randomInput([4, 5, 3], rng)], params: { begin: [1, -3, 0], size: [2, -1, 2] } },
      { op: 'concat', inputs: [randomInput([2, 1, 3], rng), randomInput([2, 4, 3], rng), randomInput([2, 0, 3], rng), randomInput([2, 2, 3], rng)], params: { axis: 1 }, gradFor: [0, 1, 2, 3] },
    ];
    for (const c of cases) c.outputGradient = outputGradientFor(c, rng);
    const results = await runCases(gpu, cases);
    cases.forEach((c, i) => {
      expectForward(c, results[i], `gradient case ${c.op}`);
      expectGradients(c, results[i], `${c.op} ${JSON.stringify(c.params)}`);
    });
  });

  it("slice's backward is itself differentiable (second-order: its gradient's gradient is a slice)", async () => {
    const rng = ref.mulberry32(18);
    const x = randomInput([4, 5], rng);
    const w = randomInput([2, 3], rng);
    const v = randomInput([4, 5], rng);
    const out = await gpu.run(async (wg, args) => {
      const [xt, wt, vt] = [args.x, args.w, args.v].map((input) => wg.tensor(input.data, input.shape));
      const outer = new wg.Tape();
      const g = outer.record(() => {
        const inner = new wg.Tape();
        const y = inner.record(() => wg.slice(xt, [1, -3], [2, 3]));
        return inner.gradient(y, [xt], { outputGradient: wt })[0];
      });
      const [gw] = outer.gradient(g, [wt], { outputGradient: vt });
      return { g: Array.from(await g.data()), gw: Array.from(await gw.data()) };
    }, { x, w, v });
    const sliceOf = (a: ref.NdArray) => ref.slice(a, [1, 2], [2, 3]);
    const weights = Float64Array.from(w.data);
    const [numeric] = ref.numericGradient(([a]) => sliceOf(a).data.reduce((t, value, i) => t + value * weights[i], 0), [{ shape: x.shape, data: Float64Array.from(x.data) }]);
    ref.expectClose(out.g, numeric.data, { rtol: 1e-5, atol: 1e-6 }, 'd<w, slice(x)>/dx');
    // d<v, pad(w)>/dw = slice(v), a pure copy: exact.
    ref.expectClose(out.gw, sliceOf({ shape: v.shape, data: Float64Array.from(v.data) }).data, { rtol: 0, atol: 0 }, 'second order');
  });

  it('copies more than 65,535 workgroups of elements (2-D dispatch)', async () => {
    // 2 × 2,100,000 elements > 65,535 · 64 threads, so the grid needs a second dimension. Values are
    // their own flat index (exact in float32 below 2^24), so the page can check every element.
    const mismatches = await gpu.run(async (wg, n) => {
      const x = wg.tensor(Float32Array.from({ length: 2 * n }, (_, i) => i), [2, n]);
      const y = wg.transpose(x);
      const data = await y.data();
      let wrong = 0;
      for (let j = 0; j < n; j++) for (let i = 0; i < 2; i++) if (data[j * 2 + i] !== i * n + j) wrong++;
      x.dispose();
      y.dispose();
      return wrong;
    }, 2_100_000);
    expect(mismatches).toBe(0);
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
