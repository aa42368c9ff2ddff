// wg.jit's cache and lifetime rules: one program per signature (shapes, dtypes, other argument
// values), counted; a captured tensor disposed since the trace invalidates its program; memory
// stays flat over 1,000 compiled calls; random draws (dropout) differ per call and repeat exactly
// after the same wg.setSeed, as eager ones do; the typed errors say what to do.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('jit cache and lifetimes', () => {
  it('retraces on a new shape or number argument, replays (cache hit) on a known one', async () => {
    const out = await gpu.run(async (wg) => {
      const f = wg.jit((x: Tensor, scale: number) => wg.mul(wg.add(x, 1), scale));
      const small = wg.tensor([1, 2, 3]);
      const large = wg.tensor([[1, 2], [3, 4]]);
      const values: number[][] = [];
      const call = async (x: Tensor, scale: number) => {
        const y = f(x, scale);
        values.push(Array.from(await y.data()));
        y.dispose();
      };
      await call(small, 2); // eager
      await call(small, 2); // trace
      await call(small, 2); // hit
      await call(large, 2); // eager (new shape)
      await call(large, 2); // trace
      await call(small, 3); // eager (new number)
      await call(small, 3); // trace
      await call(small, 3); // hit
      await call(small, 2); // hit
      await call(large, 2); // hit
      return { values, stats: { ...f.stats } };
    });
    expect(out.stats).toEqual({ eagerCalls: 3, traces: 3, cacheHits: 4, invalidations: 0 });
    expect(out.values).toEqual([
      [4, 6, 8], [4, 6, 8], [4, 6, 8], [4, 6, 8, 10], [4, 6, 8, 10],
      [6, 9, 12], [6, 9, 12], [6, 9, 12], [4, 6, 8], [4, 6, 8, 10],
    ]);
  });

  it('the same tensor passed twice is its own signature; a returned argument comes back as a fresh copy', async () => {
    const out = await gpu.run(async (wg) => {
      const f = wg.jit((a: Tensor, b: Tensor) => ({ sum: wg.add(wg.mul(a, 2), b), a }));
      const x = wg.tensor([1, 2]);
      const y = wg.tensor([10, 20]);
      const seen: number[][] = [];
      const fresh: boolean[] = [];
      for (const [a, b] of [[x, x], [x, y], [x, x], [x, y], [x, x], [x, y]]) {
        const result = f(a, b);
        seen.push(Array.from(await result.sum.data()));
        fresh.push(result.a !== a);
        seen.push(Array.from(await result.a.data()));
      }
      return { seen, fresh, stats: { ...f.stats } };
    });
    expect(out.stats).toEqual({ eagerCalls: 2, traces: 2, cacheHits: 2, invalidations: 0 });
    expect(out.seen).toEqual([[3, 6], [1, 2], [12, 24], [1, 2], [3, 6], [1, 2], [12, 24], [1, 2], [3, 6], [1, 2], [12, 24], [1, 2]]);
    // Eager and traced calls return fn's own result (the argument itself); replays return copies.
    expect(out.fresh).toEqual([false, false, false, false, true, true]);
  });

  it('a captured tensor disposed since the trace invalidates the program; the next calls start over and are right', async () => {
    const out = await gpu.run(async (wg) => {
      let w = wg.tensor([1, 2, 3]);
      const f = wg.jit((x: Tensor) => wg.mul(x, w));
      const x = wg.tensor([2, 2, 2]);
      const results: number[][] = [];
      for (let i = 0; i < 3; i++) results.push(Array.from(await f(x).data()));
      w.dispose();
      w = wg.tensor([10, 20, 30]);
      for (let i = 0; i < 3; i++) results.push(Array.from(await f(x).data()));
      return { results, stats: { ...f.stats } };
    });
    expect(out.results).toEqual([[2, 4, 6], [2, 4, 6], [2, 4, 6], [20, 40, 60], [20, 40, 60], [20, 40, 60]]);
    expect(out.stats).toEqual({ eagerCalls: 2, traces: 2, cacheHits: 2, invalidations: 1 });
  });

  it('an argument updated in place (assign) gets its new values; returned tensors are fresh each call', async () => {
    const out = await gpu.run(async (wg) => {
      const f = wg.jit((state: Tensor) => {
        const next = wg.add(state, 1);
        state.assign(next);
        return wg.mul(next, 2);
      });
      const state = wg.tensor([0, 10]);
      const seen: number[][] = [];
      const results: Tensor[] = [];
      for (let i = 0; i < 4; i++) results.push(f(state));
      for (const r of results) seen.push(Array.from(await r.data()));
      return { state: Array.from(await state.data()), seen };
    });
    expect(out.state).toEqual([4, 14]);
    expect(out.seen).toEqual([[2, 22], [4, 24], [6, 26], [8, 28]]);
  });

  it('memory is flat over 1,000 compiled training steps: the same live tensors, bytes and pool bytes', async () => {
    const out = await gpu.run(async (wg) => {
      const w = wg.variable(wg.tensor([[0.5, -0.25], [0.125, 1]]));
      const x = wg.tensor([[1, 2], [3, 4], [5, 6]]);
      const optimizer = new wg.optimizers.Adam({ learningRate: 1e-3 });
      const step = wg.jit((x: Tensor) => {
        const { value, grads } = wg.valueAndGrad((w: Tensor) => wg.mean(wg.square(wg.tanh(wg.matmul(x, w)))))(w);
        optimizer.applyGradients([w], grads);
        return value;
      });
      for (let i = 0; i < 3; i++) step(x).dispose();
      await wg.synchronize();
      const before = wg.memory();
      for (let i = 0; i < 1000; i++) step(x).dispose();
      await wg.synchronize();
      const after = wg.memory();
      return { before, after, stats: { ...step.stats }, iterations: optimizer.iterations };
    });
    expect(out.after).toEqual(out.before);
    expect(out.stats.cacheHits).toBe(1001);
    expect(out.iterations).toBe(1003);
  });

  it('a steady compiled training loop creates no bind groups and no buffers', async () => {
    const out = await gpu.run(async (wg) => {
      const w = wg.variable(wg.tensor([[0.5, -0.25], [0.125, 1]]));
      const optimizer = new wg.optimizers.Adam({ learningRate: 1e-3 });
      const step = wg.jit((x: Tensor) => {
        const { value, grads } = wg.valueAndGrad((w: Tensor) => wg.mean(wg.square(wg.tanh(wg.matmul(x, w)))))(w);
        optimizer.applyGradients([w], grads);
        return value;
      });
      const x = wg.tensor([[1, 2], [3, 4], [5, 6]]);
      // Counts what the device is asked to create (the page's own device; wrapping is test-only).
      const device = wg.getDevice();
      const counts = { bindGroups: 0, buffers: 0 };
      const createBindGroup = device.createBindGroup.bind(device);
      const createBuffer = device.createBuffer.bind(device);
      device.createBindGroup = (descriptor) => { counts.bindGroups++; return createBindGroup(descriptor); };
      for (let i = 0; i < 4; i++) step(x).dispose();
      await wg.synchronize();
      const warm = { ...counts };
      device.createBuffer = (descriptor) => { counts.buffers++; return createBuffer(descriptor); };
      for (let i = 0; i < 100; i++) step(x).dispose();
      device.createBindGroup = createBindGroup;
      device.createBuffer = createBuffer;
      return { warm, steady: { bindGroups: counts.bindGroups - warm.bindGroups, buffers: counts.buffers } };
    });
    // Tracing and the first replays build bind groups; 100 further replays build none and allocate
    // nothing (each result's buffer comes back from the pool when the previous result is disposed).
    expect(out.warm.bindGroups).toBeGreaterThan(0);
    expect(out.steady).toEqual({ bindGroups: 0, buffers: 0 });
  });

  it('dropout differs per compiled call and repeats the eager sequence exactly after the same setSeed', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.ones([64]);
      const draws = async (compiled: boolean) => {
        wg.setSeed(1234);
        const f = (x: Tensor) => wg.dropout(x, 0.5);
        const g = compiled ? wg.jit(f) : f;
        const masks: number[][] = [];
        for (let i = 0; i < 5; i++) masks.push(Array.from(await g(x).data()));
        return masks;
      };
      return { eager: await draws(false), compiled: await draws(true) };
    });
    expect(out.compiled).toEqual(out.eager);
    // Inverted dropout at rate 0.5 keeps ones scaled to 2 and zeroes the rest.
    for (const mask of out.compiled) expect(mask.every((v) => v === 0 || v === 2)).toBe(true);
    // Replays 3 and 4 (calls 4 and 5) draw new masks: 64 fair coin flips agree by chance with probability 2^-64.
    expect(out.compiled[4]).not.toEqual(out.compiled[3]);
    expect(out.compiled[3]).not.toEqual(out.compiled[2]);
  });
});

describe('jit errors', () => {
  it('data() inside a jitted function is a JitError on the first call, saying to return the tensor', async () => {
    const message = await gpu.run(async (wg) => {
      const f = wg.jit(async (x: Tensor) => {
        const values = await x.data();
        return values[0] > 0 ? wg.mul(x, 2) : x;
      });
      try {
        await f(wg.tensor([1, 2]));
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    expect(message).toMatch(/^JitError: wg\.jit\(.*\): data\(\)\/array\(\) cannot run inside a jitted function/);
    expect(message).toContain('Return the tensor and read it outside');
  });

  it('a tensor made inside a trace and not returned is a JitError outside it and inside another jitted function', async () => {
    const out = await gpu.run(async (wg) => {
      let leaked: Tensor | null = null;
      const f = wg.jit(function inner(x: Tensor) {
        leaked = wg.add(x, 1);
        return wg.mul(leaked, 2);
      });
      const x = wg.tensor([1, 2]);
      f(x);
      f(x);
      const errors: string[] = [];
      try {
        wg.neg(leaked as unknown as Tensor);
      } catch (error) {
        errors.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
      const g = wg.jit((y: Tensor) => wg.add(y, leaked as unknown as Tensor));
      try {
        g(x);
      } catch (error) {
        errors.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
      return { errors, x: Array.from(await x.data()) };
    });
    expect(out.errors).toHaveLength(2);
    for (const error of out.errors) {
      expect(error).toMatch(/^JitError: (neg|add): tensor #\d+ \[2\] was made inside wg\.jit\(inner\) and not returned/);
      expect(error).toContain('Return it from the function to use it');
    }
    expect(out.x).toEqual([1, 2]);
  });

  it('an async function is a JitError', async () => {
    const message = await gpu.run(async (wg) => {
      const f = wg.jit(async (x: Tensor) => wg.add(x, 1));
      try {
        await f(wg.tensor([1]));
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    expect(message).toMatch(/^JitError: .*must be synchronous/);
  });
});
