// wg.jit's matmul epilogue fusion through the public API: elementwise ops reading a matmul's output
// join its kernel's epilogue in the forward and the backward pass (a gradient row such as
// sigmoid.grad.x after dh = dz·Wᵀ), bit-identical to eager; Dense's activation stays in the matmul
// epilogue under a tape, its gradient taken from the output; fused training gradients match float64
// finite differences; outputs something else reads are not fused away; no fused kernel exceeds
// WebGPU's 8 storage buffers. (Every kernel variant: matmul-epilogue.test.ts.)
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, ndarray, numericGradient, randomArray, type NdArray } from '../reference';

const gpu = useGpuPage();
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

/** The listing's dispatch lines (`  3. fused(matmul+add)  reads [...] writes [...]`) as their kernel names. */
const dispatchNames = (text: string): string[] => [...text.matchAll(/^\s*\d+\. (\S+)\s+reads/gm)].map((match) => match[1]).filter((name) => name !== 'copy' && name !== 'upload');

describe('jit matmul epilogue fusion', () => {
  it('a two-layer training gradient: sigmoid in the epilogue forward, fused(matmul+sigmoid.grad.x) and fused(matmul+add+relu), bit-equal to eager and to float64 finite differences', async () => {
    const rng = mulberry32(1501);
    const data = {
      x: f32(randomArray([6, 3], rng).data), t: f32(randomArray([6, 2], rng).data),
      w1: f32(randomArray([3, 4], rng).data), b1: f32(randomArray([4], rng, -0.5, 0.5).data),
      w2: f32(randomArray([4, 2], rng).data), b2: f32(randomArray([2], rng, 0, 0.5).data),
    };
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [6, 3]);
      const t = wg.tensor(a.t, [6, 2]);
      const params = [wg.tensor(a.w1, [3, 4]), wg.tensor(a.b1, [4]), wg.tensor(a.w2, [4, 2]), wg.tensor(a.b2, [2])];
      // Layer 1 is Dense's path (linear with the activation in its epilogue), layer 2 separate ops.
      const loss = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
        wg.mean(wg.square(wg.sub(wg.relu(wg.add(wg.matmul(wg.linear(x, w1, b1, 'sigmoid'), w2), b2)), t)));
      const gradients = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => wg.grad(loss)(w1, b1, w2, b2);
      const read = (tensors: Tensor[]) => Promise.all(tensors.map(async (g) => Array.from(await g.data())));
      const eager = await read(gradients(...(params as [Tensor, Tensor, Tensor, Tensor])));
      const step = wg.jit(gradients);
      const compiled = [];
      for (let i = 0; i < 3; i++) compiled.push(await read(step(...(params as [Tensor, Tensor, Tensor, Tensor]))));
      // Under a tape, linear with an activation is one dispatch: the activation is not split off.
      await wg.synchronize();
      const before = wg.commandStats().dispatches;
      const tape = new wg.Tape();
      const y = tape.record(() => wg.linear(x, params[0], params[1], 'sigmoid'));
      await wg.synchronize();
      const tapedDispatches = wg.commandStats().dispatches - before;
      tape.dispose();
      y.dispose();
      return { eager, compiled, text: step.describe(), tapedDispatches };
    }, data);
    for (const grads of out.compiled) expect(grads).toEqual(out.eager);
    expect(out.tapedDispatches).toBe(1);
    const names = dispatchNames(out.text);
    expect(names).toContain('fused(matmul+sigmoid.grad.x)');
    expect(names).toContain('fused(matmul+add+relu)');
    // Nothing runs sigmoid or its gradient on its own any more.
    expect(names.filter((name) => /^sigmoid/.test(name))).toEqual([]);

    const f = ([w1, b1, w2, b2]: NdArray[]): number => {
      let total = 0;
      for (let i = 0; i < 6; i++) {
        const h = [0, 1, 2, 3].map((j) => 1 / (1 + Math.exp(-([0, 1, 2].reduce((s, k) => s + data.x[i * 3 + k] * w1.data[k * 4 + j], 0) + b1.data[j]))));
        for (let j = 0; j < 2; j++) {
          const y = Math.max(h.reduce((s, v, k) => s + v * w2.data[k * 2 + j], 0) + b2.data[j], 0);
          total += (y - data.t[i * 2 + j]) ** 2;
        }
      }
      return total / 12;
    };
    const expected = numericGradient(f, [ndarray([3, 4], data.w1), ndarray([4], data.b1), ndarray([4, 2], data.w2), ndarray([2], data.b2)]);
    // Products of a few float32 values ≤ 4 in size, summed over ≤ 6 rows: a few ulp each; the
    // central difference in float64 is accurate to ~1e-9 (no relu kink within 1e-6 of these points).
    out.compiled[2].forEach((g, k) => expectClose(g, expected[k].data, { rtol: 1e-5, atol: 1e-6 }));
  });

  it('tanh and relu Dense layers under jit keep one epilogue dispatch each and fuse their gradients into dh = dz·Wᵀ', async () => {
    const rng = mulberry32(1502);
    const data = { x: f32(randomArray([5, 4], rng).data), w1: f32(randomArray([4, 3], rng).data), w2: f32(randomArray([3, 3], rng).data), w3: f32(randomArray([3, 2], rng).data) };
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [5, 4]);
      const ws = [wg.tensor(a.w1, [4, 3]), wg.tensor(a.w2, [3, 3]), wg.tensor(a.w3, [3, 2])];
      const gradients = (w1: Tensor, w2: Tensor, w3: Tensor) =>
        wg.grad((w1: Tensor, w2: Tensor, w3: Tensor) => wg.sum(wg.linear(wg.linear(wg.linear(x, w1, null, 'tanh'), w2, null, 'relu'), w3)))(w1, w2, w3);
      const read = (tensors: Tensor[]) => Promise.all(tensors.map(async (g) => Array.from(await g.data())));
      const eager = await read(gradients(ws[0], ws[1], ws[2]));
      const step = wg.jit(gradients);
      step(ws[0], ws[1], ws[2]);
      step(ws[0], ws[1], ws[2]);
      return { eager, compiled: await read(step(ws[0], ws[1], ws[2])), text: step.describe() };
    }, data);
    expect(out.compiled).toEqual(out.eager);
    const names = dispatchNames(out.text);
    expect(names).toContain('fused(matmul+relu.grad.x)');
    expect(names).toContain('fused(matmul+tanh.grad.x)');
    expect(names.filter((name) => /^(tanh|relu)/.test(name))).toEqual([]);
  });

  it('a matmul output that is returned, or read twice, is not fused away', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const w = wg.tensor([1, -1, 2, 0.5, -2, 1], [3, 2]);
      const returned = wg.jit((x: Tensor, w: Tensor) => {
        const z = wg.matmul(x, w);
        return { z, y: wg.relu(z) };
      });
      const readTwice = wg.jit((x: Tensor, w: Tensor) => {
        const z = wg.matmul(x, w);
        return wg.mul(wg.relu(z), z);
      });
      for (let i = 0; i < 2; i++) {
        const { z, y } = returned(x, w);
        z.dispose();
        y.dispose();
        readTwice(x, w).dispose();
      }
      const { z, y } = returned(x, w);
      return { z: Array.from(await z.data()), y: Array.from(await y.data()), twice: Array.from(await readTwice(x, w).data()), texts: [returned.describe(), readTwice.describe()] };
    });
    // [[1,2,3],[4,5,6]]·[[1,-1],[2,0.5],[-2,1]] = [[-1, 3], [2, 4.5]], exact in float32.
    expect(out.z).toEqual([-1, 3, 2, 4.5]);
    expect(out.y).toEqual([0, 3, 2, 4.5]);
    // relu(−1)·(−1) = +0·(−1) = −0 (IEEE-754's sign rule).
    expect(out.twice).toEqual([-0, 9, 4, 20.25]);
    expect(out.texts[0]).toContain('2 dispatches traced -> 2 per call');
    // relu(z)·z: z is read by relu and by mul, so it stays; relu and mul fuse with each other.
    expect(out.texts[1]).toContain('3 dispatches traced -> 2 per call');
    expect(out.texts[1]).toContain('fused(relu+mul)');
  });

  it('a row reading two products joins the first one\'s epilogue; the second stays a plain product', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const w1 = wg.tensor([1, -1, 2, 0.5, -2, 1], [3, 2]);
      const w2 = wg.tensor([0, 1, 1, 0, 2, -1], [3, 2]);
      const both = (x: Tensor) => wg.sub(wg.matmul(x, w1), wg.matmul(x, w2));
      const step = wg.jit(both);
      step(x).dispose();
      step(x).dispose();
      return { values: Array.from(await step(x).data()), text: step.describe() };
    });
    // x·w1 = [[-1, 3], [2, 4.5]], x·w2 = [[8, -2], [17, -2]]: small integers and halves, exact in float32.
    expect(out.values).toEqual([-9, 5, -15, 6.5]);
    const names = dispatchNames(out.text);
    expect(names).toHaveLength(2);
    expect(names[1]).toBe('fused(matmul+sub)');
    expect(names[0]).toMatch(/^matmul/);
  });

  it('stops a chain where another input would pass 8 storage buffers (6 are the matmul kernel\'s)', async () => {
    const rng = mulberry32(1503);
    const data = { x: f32(randomArray([3, 5], rng).data), w: f32(randomArray([5, 4], rng).data), c: [1, 2, 3].map(() => f32(randomArray([4], rng).data)) };
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [3, 5]);
      const w = wg.tensor(a.w, [5, 4]);
      const [c1, c2, c3] = a.c.map((c) => wg.tensor(c, [4]));
      const chain = (x: Tensor, w: Tensor) => wg.add(wg.mul(wg.add(wg.matmul(x, w), c1), c2), c3);
      const eager = Array.from(await chain(x, w).data());
      const step = wg.jit(chain);
      step(x, w).dispose();
      step(x, w).dispose();
      const report = await wg.profile(() => step(x, w).dispose());
      return { eager, compiled: Array.from(await step(x, w).data()), text: step.describe(), kernels: report.kernels.map((k) => k.kernel) };
    }, data);
    expect(out.compiled).toEqual(out.eager);
    expect(dispatchNames(out.text)).toEqual(['fused(matmul+add+mul)', 'add']);
    // Timestamps name the fused kernel where the adapter has them.
    if (out.kernels.length > 0) expect([...out.kernels].sort()).toEqual(['add', 'fused(matmul+add+mul)']);
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
