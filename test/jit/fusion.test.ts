// wg.jit's elementwise fusion: chains fused into one kernel give bit-identical results to eager
// (each fused op computes the same float32 expression; only the round trips through memory go),
// match float64 references within the ops' own float32 bounds, broadcast, take numbers and int32,
// and propagate NaN and ±Infinity exactly as IEEE-754 arithmetic (and eager) does.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mapBroadcast, mulberry32, ndarray, randomArray, randomIntArray } from '../reference';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

describe('jit fusion', () => {
  it('fuses mul+add+relu+sub+mul over broadcast inputs into one kernel, bit-equal to eager, and to float64 within 3 roundings', async () => {
    const rng = mulberry32(1201);
    const x = f32(randomArray([3, 8], rng).data);
    const w = f32(randomArray([8], rng).data);
    const b = f32(randomArray([3, 1], rng).data);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [3, 8]);
      const w = wg.tensor(a.w, [8]);
      const b = wg.tensor(a.b, [3, 1]);
      const chain = (x: Tensor, w: Tensor) => wg.mul(wg.sub(wg.relu(wg.add(wg.mul(x, w), b)), 0.25), 3);
      const eager = await chain(x, w).data();
      const step = wg.jit(chain);
      const calls = [];
      for (let i = 0; i < 4; i++) calls.push(Array.from(await step(x, w).data()));
      const report = await wg.profile(() => step(x, w).dispose());
      return { eager: Array.from(eager), calls, stats: { ...step.stats }, text: step.describe(), mermaid: step.toMermaid(), kernels: report.kernels.map((k) => k.kernel), dispatches: report.dispatches };
    }, { x, w, b });
    for (const call of out.calls) expect(call).toEqual(out.eager);
    expect(out.stats).toEqual({ eagerCalls: 1, traces: 1, cacheHits: 3, invalidations: 0 });
    // One fused dispatch plus the copies in and out (copies are not dispatches).
    expect(out.dispatches).toBe(1);
    expect(out.text).toContain('fused(mul+add+relu+sub+mul)');
    expect(out.text).toContain('5 dispatches traced -> 1 per call');
    // The Mermaid chart: the fused kernel as one box fed by its five input values (x, w, b and the constants 0.25 and 3).
    expect(out.mermaid.split('\n')[0]).toBe('flowchart TD');
    expect(out.mermaid).toContain('["fused(mul+add+relu+sub+mul)"]');
    expect(out.mermaid.match(/\(\("v\d+"\)\) --> p0s0/g)).toHaveLength(5);
    // Timestamps name the fused kernel where the adapter has them.
    if (out.kernels.length > 0) expect(out.kernels).toEqual(['fused(mul+add+relu+sub+mul)']);
    const reference = mapBroadcast([ndarray([3, 8], x), ndarray([8], w), ndarray([3, 1], b)], ([xv, wv, bv]) => (Math.max(xv * wv + bv, 0) - 0.25) * 3);
    // Four correctly rounded operations (½ ulp each, relative to intermediates of similar size)
    // plus cancellation in the subtraction: absolute 2^-20 covers |values| ≤ 4.
    expectClose(out.eager, reference.data, { rtol: 4 * 2 ** -24, atol: 2 ** -20 });
  });

  it('a vec4 chain on contiguous inputs with a scalar operand is bit-equal to eager', async () => {
    const rng = mulberry32(1202);
    const x = f32(randomArray([1027], rng, -3, 3).data);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x);
      const chain = (x: Tensor) => wg.tanh(wg.exp(wg.mul(wg.sigmoid(x), -1.5)));
      const eager = Array.from(await chain(x).data());
      const step = wg.jit(chain);
      step(x).dispose();
      step(x).dispose();
      const compiled = Array.from(await step(x).data());
      return { eager, compiled, text: step.describe() };
    }, { x });
    expect(out.compiled).toEqual(out.eager);
    expect(out.text).toContain('fused(sigmoid+mul+exp+tanh)');
    const reference = x.map((v) => Math.tanh(Math.exp(-1.5 / (1 + Math.exp(-v)))));
    // sigmoid, exp and tanh each a few ulp (WGSL bounds), compounded: 2^-18 absolute on values in (0, 1].
    expectClose(out.compiled, reference, { rtol: 0, atol: 2 ** -18 });
  });

  it('int32 chains fuse and stay exact', async () => {
    const rng = mulberry32(1203);
    const a = Array.from(randomIntArray([4, 5], rng, -1000, 1000).data);
    const b = Array.from(randomIntArray([5], rng, -50, 50).data);
    const out = await gpu.run(async (wg, args) => {
      const x = wg.tensor(new Int32Array(args.a), [4, 5]);
      const y = wg.tensor(new Int32Array(args.b), [5]);
      const chain = (x: Tensor, y: Tensor) => wg.maximum(wg.sub(wg.mul(x, y), x), y);
      const step = wg.jit(chain);
      step(x, y).dispose();
      step(x, y).dispose();
      const result = step(x, y);
      return { dtype: result.dtype, values: Array.from(await result.data()), text: step.describe() };
    }, { a, b });
    expect(out.dtype).toBe('int32');
    expect(out.text).toContain('fused(mul.int32+sub.int32+maximum.int32)');
    const reference = a.map((v, i) => Math.max(v * b[i % 5] - v, b[i % 5]));
    expect(out.values).toEqual(reference);
  });

  it('NaN and ±Infinity propagate through a fused kernel as IEEE-754 (and eager) has them', async () => {
    const x = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 3e38];
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x);
      // x·2 overflows 3e38 to Infinity; Infinity − Infinity is NaN; maximum keeps NaN (IEEE
      // maximum's NaN rule as webgrad defines it, checked against eager).
      const chain = (x: Tensor) => wg.maximum(wg.sub(wg.mul(x, 2), x), -1e30);
      const eager = Array.from(await chain(x).data());
      const step = wg.jit(chain);
      step(x).dispose();
      step(x).dispose();
      return { eager, compiled: Array.from(await step(x).data()), text: step.describe() };
    }, { x });
    expect(out.text).toContain('fused(');
    expect(out.compiled).toEqual(out.eager);
    // IEEE-754 in float32: 2·NaN = NaN; ∞·2 − ∞ = NaN; −∞·2 − (−∞) = NaN; 3e38·2 = ∞ (overflow), ∞ − 3e38 = ∞.
    expect(Number.isNaN(out.compiled[0])).toBe(true);
    expect(Number.isNaN(out.compiled[1])).toBe(true);
    expect(Number.isNaN(out.compiled[2])).toBe(true);
    expect(out.compiled.slice(3)).toEqual([0, 0, 1, -1, Infinity]);
  });

  it('an intermediate that is returned, or read by a later op, is not fused away', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([1, 2, 3, 4]);
      const step = wg.jit((x: Tensor) => {
        const h = wg.add(x, 1);
        const y = wg.mul(h, h);
        return { h, y: wg.sub(y, h) };
      });
      step(x);
      step(x);
      const { h, y } = step(x);
      return { h: Array.from(await h.data()), y: Array.from(await y.data()), text: step.describe() };
    });
    expect(out.h).toEqual([2, 3, 4, 5]);
    expect(out.y).toEqual([2, 6, 12, 20]);
    // h is returned and read twice: it stays; y = h·h is read once by sub, so mul+sub fuse.
    expect(out.text).toContain('fused(mul+sub)');
    expect(out.text).toContain('3 dispatches traced -> 2 per call');
  });
});
