// wg.jit fuses an elementwise result over a reduction's input elements into the reduction's kernel
// as a second output (a sibling): the invocation that loads term k computes and stores the
// sibling's element k. Each op still computes its own float32 expression, so both outputs are
// bit-identical to eager; the reduction itself is unchanged. A second single-pass reduction of
// the same op over the same elements and axes (a twin) is the accumulator's second lane, added
// and compared lane by lane as two scalar reductions are, so it is bit-identical too. Siblings
// that would change what either side reads (an input written in between, a sibling reading the
// reduction's result), that are not over the same elements, or that would exceed WebGPU's default
// 8 storage buffers per shader stage stay separate.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, randomArray, randomIntArray } from '../reference';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);
const rowsOf = (values: readonly number[], width: number): number[][] =>
  Array.from({ length: values.length / width }, (_, row) => values.slice(row * width, (row + 1) * width));

describe('jit sibling fusion', () => {
  it('sum(a·b, 1) and (a − b)·3 are one kernel with two outputs, both bit-equal to eager and to float64 within float32 bounds', async () => {
    const rng = mulberry32(3101);
    const a = f32(randomArray([5, 7], rng).data);
    const b = f32(randomArray([5, 7], rng).data);
    const out = await gpu.run(async (wg, args) => {
      const a = wg.tensor(args.a, [5, 7]);
      const b = wg.tensor(args.b, [5, 7]);
      const fn = (a: Tensor, b: Tensor) => ({ y: wg.sum(wg.mul(a, b), 1), z: wg.mul(wg.sub(a, b), 3) });
      const read = async (r: { y: Tensor; z: Tensor }) => ({ y: Array.from(await r.y.data()), z: Array.from(await r.z.data()) });
      const eager = await read(fn(a, b));
      const step = wg.jit(fn);
      step(a, b);
      step(a, b);
      const compiled = await read(step(a, b));
      const report = await wg.profile(() => { const r = step(a, b); r.y.dispose(); r.z.dispose(); });
      return { eager, compiled, dispatches: report.dispatches, kernels: report.kernels.map((k) => k.kernel), text: step.describe() };
    }, { a, b });
    expect(out.compiled).toEqual(out.eager);
    expect(out.text).toContain('fused(mul+reduce | sub+mul)');
    expect(out.text).toContain('4 dispatches traced -> 1 per call');
    expect(out.dispatches).toBe(1);
    expect(out.kernels).toEqual(['fused(mul+reduce | sub+mul)']);
    // The sibling: a − b and ·3 each rounded once to float32 (IEEE-754), so exactly this.
    expect(out.compiled.z).toEqual(a.map((v, i) => Math.fround(Math.fround(v - b[i]) * 3)));
    // The sum: 7 rounded products and ≤ 7 rounded adds of terms in (−1, 1): 2^-20 absolute.
    const reference = rowsOf(a, 7).map((row, r) => row.reduce((t, v, j) => t + v * b[r * 7 + j], 0));
    expectClose(out.compiled.y, reference, { rtol: 0, atol: 2 ** -20 });
  });

  it('a two-pass reduction carries the sibling in its first pass only', async () => {
    const rng = mulberry32(3102);
    const x = f32(randomArray([2, 1500], rng, -4, 4).data);
    const out = await gpu.run(async (wg, args) => {
      const x = wg.tensor(args.x, [2, 1500]);
      const fn = (x: Tensor) => ({ y: wg.sum(wg.square(x), 1), z: wg.mul(x, 0.5) });
      const eager = fn(x);
      const e = { y: Array.from(await eager.y.data()), z: Array.from(await eager.z.data()) };
      const step = wg.jit(fn);
      step(x);
      step(x);
      const r = step(x);
      return { eager: e, compiled: { y: Array.from(await r.y.data()), z: Array.from(await r.z.data()) }, text: step.describe() };
    }, { x });
    expect(out.compiled).toEqual(out.eager);
    // 1500 terms are two chunks of ≤ 1024: square and the sibling in the first pass, the partials' sum apart.
    expect(out.text).toContain('4 dispatches traced -> 2 per call');
    expect(out.text).toContain('fused(square+reduce | mul)');
    // ·0.5 is exact.
    expect(out.compiled.z).toEqual(x.map((v) => v * 0.5));
    // 1500 rounded squares in [0, 16) summed in blocks (shaders/reduce.wgsl): a few ulp of the total.
    const reference = rowsOf(x, 1500).map((row) => row.reduce((t, v) => t + v * v, 0));
    expectClose(out.compiled.y, reference, { rtol: 2 ** -18, atol: 0 });
  });

  it('max and min (which load a chunk\'s first element twice) write each sibling element once, correctly', async () => {
    const rng = mulberry32(3103);
    const x = f32(randomArray([3, 5], rng, -2, 2).data);
    const out = await gpu.run(async (wg, args) => {
      const x = wg.tensor(args.x, [3, 5]);
      const fns = {
        max: (x: Tensor) => ({ y: wg.max(x, 1), z: wg.square(x) }),
        min: (x: Tensor) => ({ y: wg.min(wg.neg(x), 0), z: wg.abs(x) }),
      };
      const run = async (fn: (x: Tensor) => { y: Tensor; z: Tensor }) => {
        const eager = fn(x);
        const e = { y: Array.from(await eager.y.data()), z: Array.from(await eager.z.data()) };
        const step = wg.jit(fn);
        step(x);
        step(x);
        const r = step(x);
        return { eager: e, compiled: { y: Array.from(await r.y.data()), z: Array.from(await r.z.data()) }, text: step.describe() };
      };
      return { max: await run(fns.max), min: await run(fns.min) };
    }, { x });
    expect(out.max.compiled).toEqual(out.max.eager);
    expect(out.min.compiled).toEqual(out.min.eager);
    expect(out.max.text).toContain('fused(reduce | square)');
    expect(out.min.text).toContain('fused(neg+reduce | abs)');
    // max, min, neg and abs are exact; a square is rounded once.
    expect(out.max.compiled.y).toEqual(rowsOf(x, 5).map((row) => Math.max(...row)));
    expect(out.max.compiled.z).toEqual(x.map((v) => Math.fround(v * v)));
    expect(out.min.compiled.y).toEqual([0, 1, 2, 3, 4].map((c) => Math.min(...[0, 1, 2].map((r) => -x[r * 5 + c]))));
    expect(out.min.compiled.z).toEqual(x.map(Math.abs));
  });

  it('NaN and ±Infinity flow through both outputs as IEEE-754 and webgrad\'s max rule say', async () => {
    // Rows: a NaN; +Inf and −Inf; +Inf; zeros; negatives.
    const x = [NaN, 1, 2, Infinity, -Infinity, 1, Infinity, 1, 2, 0, 0, 0, -1, -2, -3];
    const out = await gpu.run(async (wg, args) => {
      const x = wg.tensor(args.x, [5, 3]);
      const fns = {
        sum: (x: Tensor) => ({ y: wg.sum(wg.mul(x, 2), 1), z: wg.div(x, 0) }),
        max: (x: Tensor) => ({ y: wg.max(x, 1), z: wg.sub(x, x) }),
      };
      const run = async (fn: (x: Tensor) => { y: Tensor; z: Tensor }) => {
        const eager = fn(x);
        const e = { y: Array.from(await eager.y.data()), z: Array.from(await eager.z.data()) };
        const step = wg.jit(fn);
        step(x);
        step(x);
        const r = step(x);
        return { eager: e, compiled: { y: Array.from(await r.y.data()), z: Array.from(await r.z.data()) }, text: step.describe() };
      };
      return { sum: await run(fns.sum), max: await run(fns.max) };
    }, { x });
    expect(out.sum.text).toContain('fused(mul+reduce | div)');
    expect(out.max.text).toContain('fused(reduce | sub)');
    expect(out.sum.compiled).toEqual(out.sum.eager);
    expect(out.max.compiled).toEqual(out.max.eager);
    // IEEE-754: NaN·2 = NaN; ∞ + (−∞) = NaN; v/0 = ±∞ by v's sign, 0/0 = NaN; ∞ − ∞ = NaN.
    expect(out.sum.compiled.y).toEqual([NaN, NaN, Infinity, 0, -12]);
    expect(out.sum.compiled.z).toEqual(x.map((v) => v / 0));
    expect(out.max.compiled.y).toEqual([NaN, Infinity, Infinity, 0, -1]);
    expect(out.max.compiled.z).toEqual(x.map((v) => v - v));
  });

  it('int32 siblings and twins, a comparison\'s float32 0/1 and a where reading int32 as truth keep their dtypes and values', async () => {
    const rng = mulberry32(3104);
    const a = Array.from(randomIntArray([4, 6], rng, -1000, 1000).data);
    const out = await gpu.run(async (wg, args) => {
      const x = wg.tensor(new Int32Array(args.a), [4, 6]);
      const fn = (x: Tensor) => ({ y: wg.sum(wg.mul(x, 3), 1), z: wg.greater(x, 0), w: wg.where(x, wg.neg(x), 7) });
      const twins = wg.jit((x: Tensor) => [wg.sum(wg.mul(x, 3), 1), wg.sum(wg.abs(x), 1)]);
      twins(x);
      twins(x);
      const [y2, v] = twins(x);
      const step = wg.jit(fn);
      step(x);
      step(x);
      const r = step(x);
      return {
        dtypes: [r.y.dtype, r.z.dtype, r.w.dtype, v.dtype],
        y: Array.from(await r.y.data()), z: Array.from(await r.z.data()), w: Array.from(await r.w.data()), text: step.describe(),
        y2: Array.from(await y2.data()), v: Array.from(await v.data()), twinsText: twins.describe(),
      };
    }, { a });
    // Comparisons give float32 0/1 (webgrad has no bool dtype); where's condition is x ≠ 0.
    expect(out.dtypes).toEqual(['int32', 'float32', 'int32', 'int32']);
    expect(out.text).toContain('fused(mul.int32+reduce | greater.int32 | neg.int32+where.int32)');
    // Two int32 sums as twins: a vec2<i32> accumulator.
    expect(out.twinsText).toContain('fused(mul.int32+reduce | abs.int32+reduce)');
    expect(out.twinsText).toContain('-> 1 per call');
    expect(out.y2).toEqual(out.y);
    expect(out.text).toContain('-> 1 per call');
    expect(out.y).toEqual(rowsOf(a, 6).map((row) => row.reduce((t, v) => t + 3 * v, 0)));
    expect(out.z).toEqual(a.map((v) => (v > 0 ? 1 : 0)));
    expect(out.w).toEqual(a.map((v) => (v !== 0 ? -v : 7)));
    expect(out.v).toEqual(rowsOf(a, 6).map((row) => row.reduce((t, v) => t + Math.abs(v), 0)));
  });

  it('does not fuse a broadcast or differently sized sibling, one reading the reduction\'s result, or one past the binding limit', async () => {
    const rng = mulberry32(3105);
    const a = f32(randomArray([4, 3], rng).data);
    const c = f32(randomArray([2, 3], rng).data);
    const out = await gpu.run(async (wg, args) => {
      const a = wg.tensor(args.a, [4, 3]);
      const bias = wg.tensor([1, 2, 3], [3]);
      const c = wg.tensor(args.c, [2, 3]);
      const ins = [0, 1, 2, 3, 4, 5, 6].map((k) => wg.add(a, k));
      const chain = (xs: Tensor[]) => xs.slice(1).reduce((t, x) => wg.add(t, x), xs[0]);
      const fns: Record<string, (a: Tensor) => Tensor[]> = {
        broadcast: (a) => [wg.sum(a, 1), wg.add(a, bias)],
        otherSize: (a) => [wg.sum(a, 1), wg.mul(c, 2)],
        readsResult: (a) => { const y = wg.sum(a); return [y, wg.mul(a, y)]; },
        // 1 + 6 inputs, the sum and the sibling: 9 storage buffers > 8.
        overLimit: (a) => [wg.sum(wg.neg(a)), chain(ins.slice(1))],
        // 1 + 5 inputs and two outputs: exactly 8.
        atLimit: (a) => [wg.sum(wg.neg(a)), chain(ins.slice(2))],
      };
      const results: Record<string, { eager: number[][]; compiled: number[][]; text: string }> = {};
      for (const [name, fn] of Object.entries(fns)) {
        const read = (ts: Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));
        const eager = await read(fn(a));
        const step = wg.jit(fn);
        step(a);
        step(a);
        results[name] = { eager, compiled: await read(step(a)), text: step.describe() };
      }
      return results;
    }, { a, c });
    for (const result of Object.values(out)) expect(result.compiled).toEqual(result.eager);
    expect(out.broadcast.text).not.toContain(' | ');
    expect(out.broadcast.text).toContain('-> 2 per call');
    expect(out.otherSize.text).not.toContain(' | ');
    expect(out.otherSize.text).toContain('-> 2 per call');
    expect(out.readsResult.text).not.toContain(' | ');
    expect(out.readsResult.text).toContain('-> 2 per call');
    expect(out.overLimit.text).not.toContain(' | ');
    expect(out.overLimit.text).toContain('-> 2 per call');
    expect(out.atLimit.text).toContain('fused(neg+reduce | add+add+add+add)');
    expect(out.atLimit.text).toContain('-> 1 per call');
    // Independent checks of the values the separate kernels give.
    expect(out.broadcast.compiled[1]).toEqual(a.map((v, i) => Math.fround(v + [1, 2, 3][i % 3])));
    const total = a.reduce((t, v) => t + v, 0);
    // 12 terms in (−1, 1): the float32 sum is within 2^-20 of the float64 one, and y·a is rounded once more.
    expectClose(out.readsResult.compiled[1], a.map((v) => v * total), { rtol: 0, atol: 2 ** -19 });
  });

  it('does not fuse a sibling whose input is written between it and the reduction', async () => {
    const rng = mulberry32(3106);
    const a = f32(randomArray([4, 3], rng).data);
    const w0 = f32(randomArray([4, 3], rng).data);
    const out = await gpu.run(async (wg, args) => {
      const run = async (compiled: boolean) => {
        const a = wg.tensor(args.a, [4, 3]);
        const w = wg.tensor(args.w0, [4, 3]);
        // The sibling reads w before the assign, the sum after it: in one kernel they would see the same w.
        const fn = (a: Tensor) => {
          const z = wg.mul(w, 2);
          w.assign(wg.add(a, 1));
          return { y: wg.sum(w, 1), z };
        };
        const step = compiled ? wg.jit(fn) : fn;
        const calls: number[][][] = [];
        for (let i = 0; i < 3; i++) {
          const r = step(a);
          calls.push([Array.from(await r.y.data()), Array.from(await r.z.data())]);
        }
        return { calls, text: compiled ? (step as ReturnType<typeof wg.jit>).describe() : '' };
      };
      return { eager: await run(false), compiled: await run(true) };
    }, { a, w0 });
    expect(out.compiled.calls).toEqual(out.eager.calls);
    expect(out.compiled.text).not.toContain(' | ');
    // The first call's sibling reads the initial w; later calls read a + 1 (exactly rounded adds, ·2 exact).
    expect(out.compiled.calls[0][1]).toEqual(w0.map((v) => 2 * v));
    expect(out.compiled.calls[2][1]).toEqual(a.map((v) => 2 * Math.fround(v + 1)));
  });

  it('a sibling that reads only constants is folded (run once) instead of joining the reduction', async () => {
    const rng = mulberry32(3107);
    const x = f32(randomArray([4, 3], rng).data);
    const y = f32(randomArray([4, 3], rng).data);
    const out = await gpu.run(async (wg, args) => {
      const x = wg.tensor(args.x, [4, 3]);
      const y = wg.tensor(args.y, [4, 3]);
      // The loss's backward seed (1/4, through mean, neg and sum's gradients) depends on no input.
      const fn = (x: Tensor, y: Tensor) => wg.valueAndGrad((x: Tensor) => wg.mean(wg.neg(wg.sum(wg.mul(x, y), -1))))(x);
      const read = async (r: { value: Tensor; grads: Tensor[] }) => [Array.from(await r.value.data()), Array.from(await r.grads[0].data())];
      const eager = await read(fn(x, y));
      const step = wg.jit(fn);
      step(x, y);
      step(x, y);
      return { eager, compiled: await read(step(x, y)), text: step.describe() };
    }, { x, y });
    expect(out.compiled).toEqual(out.eager);
    // neg's gradient and sum's broadcast of it are folded; as a sibling it would run every call.
    expect(out.text).not.toContain('| neg.grad.x');
    expect(out.text).toMatch(/folded \(ran once when compiled\):(\n {4}\S+ .*)*\n {4}neg\.grad\.x/);
    expect(out.text).toContain('-> 3 per call');
    // d/dx mean_i(−Σ_j x_ij·y_ij) = −y/4, exact in float32 (a power of two).
    expect(out.compiled[1]).toEqual(y.map((v) => -v / 4));
    const rows = rowsOf(x, 3).map((row, i) => row.reduce((t, v, j) => t + v * y[i * 3 + j], 0));
    // 12 rounded products, adds of terms in (−1, 1) and a division by 4: 2^-20 absolute.
    expectClose(out.compiled[0], [-rows.reduce((t, v) => t + v, 0) / 4], { rtol: 0, atol: 2 ** -20 });
  });

  it('two reductions of the same op over the same elements and axes are one kernel (twins), bit-equal to eager with NaN and ±Infinity', async () => {
    const rng = mulberry32(3108);
    const a = f32(randomArray([5, 7], rng).data);
    const b = f32(randomArray([5, 7], rng).data);
    // Row 1 holds a NaN, row 2 +Inf and −Inf (a NaN sum), row 3 +Inf.
    a[7] = NaN;
    a[14] = Infinity;
    a[15] = -Infinity;
    a[21] = Infinity;
    const out = await gpu.run(async (wg, args) => {
      const a = wg.tensor(args.a, [5, 7]);
      const b = wg.tensor(args.b, [5, 7]);
      const fns: Record<string, (a: Tensor, b: Tensor) => Tensor[]> = {
        sums: (a, b) => [wg.mean(wg.mul(a, b), 1), wg.sum(wg.sub(a, b), 1), wg.abs(a)],
        maxima: (a, b) => [wg.max(a, 1), wg.max(wg.neg(b), 1)],
        // Not twins: other axes, or another op.
        otherAxes: (a, b) => [wg.sum(a, 1), wg.sum(b, 0)],
        otherOp: (a, b) => [wg.sum(a, 1), wg.max(b, 1)],
      };
      const results: Record<string, { eager: number[][]; compiled: number[][]; text: string }> = {};
      for (const [name, fn] of Object.entries(fns)) {
        const read = (ts: Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));
        const eager = await read(fn(a, b));
        const step = wg.jit(fn);
        step(a, b);
        step(a, b);
        results[name] = { eager, compiled: await read(step(a, b)), text: step.describe() };
      }
      return results;
    }, { a, b });
    for (const result of Object.values(out)) expect(result.compiled).toEqual(result.eager);
    expect(out.sums.text).toContain('fused(mul+reduce+div | sub+reduce | abs)');
    expect(out.sums.text).toContain('-> 1 per call');
    expect(out.maxima.text).toContain('fused(reduce | neg+reduce)');
    expect(out.maxima.text).toContain('-> 1 per call');
    expect(out.otherAxes.text).toContain('-> 2 per call');
    expect(out.otherOp.text).toContain('-> 2 per call');
    const rows = rowsOf(a, 7);
    // max is exact and propagates NaN (README); −b is exact.
    expect(out.maxima.compiled[0]).toEqual(rows.map((row) => (row.some(Number.isNaN) ? NaN : Math.max(...row))));
    expect(out.maxima.compiled[1]).toEqual(rowsOf(b, 7).map((row) => Math.max(...row.map((v) => -v))));
    // IEEE-754: a NaN term or +Inf + −Inf makes the sum NaN; otherwise 7 rounded terms in (−2, 2)
    // and ≤ 7 rounded adds: 2^-19 absolute (Infinity compares exactly).
    const differences = rows.map((row, r) => row.reduce((t, v, j) => t + (v - b[r * 7 + j]), 0));
    expectClose(out.sums.compiled[1], differences, { rtol: 0, atol: 2 ** -19 });
    expect(out.sums.compiled[1].map(Number.isNaN)).toEqual([false, true, true, false, false]);
  });

  it('fit with metrics=[\'accuracy\']: the accuracy mean is the loss mean\'s twin, no dispatch of its own, history equal to eager fit', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([[1, 2], [2, 3], [3, 4], [4, 5]]);
      const y = wg.tensor([[0], [1], [1], [0]]);
      const run = async (metrics: string[], jit: boolean) => {
        wg.setSeed(42);
        const model = new wg.Sequential([
          new wg.layers.Dense(2, { activation: 'sigmoid', inputShape: [2] }),
          new wg.layers.Dense(1, { activation: 'sigmoid' }),
        ]);
        model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics, jit });
        const first = (await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 })).history;
        // Per step, past the compiled step's eager and traced calls: the difference of two fits
        // of 1-batch epochs cancels what fit does once per call.
        const count = async (epochs: number) => {
          await wg.synchronize();
          const before = wg.commandStats().dispatches;
          const history = (await model.fit(x, y, { epochs, batchSize: 4, verbose: 0 })).history;
          await wg.synchronize();
          return { dispatches: wg.commandStats().dispatches - before, history };
        };
        const short = await count(2);
        const long = await count(4);
        const weights = await Promise.all(model.trainableWeights.map(async (w) => Array.from(await w.data())));
        let kernels: string[] = [];
        if (jit) kernels = (await wg.profile(async () => { await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 }); })).kernels.map((k) => k.kernel);
        model.dispose();
        return { perStep: (long.dispatches - short.dispatches) / 2, histories: [first, short.history, long.history], weights, kernels };
      };
      return { eager: await run(['accuracy'], false), compiled: await run(['accuracy'], true), noMetrics: await run([], true) };
    });
    expect(out.compiled.histories).toEqual(out.eager.histories);
    expect(out.compiled.weights).toEqual(out.eager.weights);
    expect(out.compiled.histories[0].accuracy).toHaveLength(3);
    // The accuracy costs no dispatch of its own: the step launches as many kernels as without it.
    expect(out.compiled.perStep).toBe(out.noMetrics.perStep);
    expect(out.compiled.perStep).toBeLessThan(out.eager.perStep);
    expect(out.compiled.kernels.some((name) => name.startsWith('fused(binaryCrossentropy+reduce+div | binaryAccuracy+reduce+div'))).toBe(true);
  });

  // The reference step's sibling (its loss's mean and gradient seed in one kernel, bit-identical
  // to eager) is asserted by test/jit/reference-step.test.ts.
});
