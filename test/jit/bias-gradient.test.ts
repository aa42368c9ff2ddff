// wg.jit's bias-gradient fusion through the public API: a matmul xᵀ·dz and sum(dz, 0) over the same
// dz (Dense's dW and db) run as one fused(matmul+sum) dispatch, [xᵀ; 1ᵀ]·dz. dW is bit-identical to
// eager (the same kernel code, the same summation order); db adds in k order where the reduce kernel
// adds in blocks, so it is held to the float32 bound of any summation order against a float64 sum:
// |db − Σ| ≤ γ(K−1)·Σ_k |dz[k, j]|, γ(n) = n·u / (1 − n·u), u = 2⁻²⁴ (Higham, Accuracy and Stability
// of Numerical Algorithms, §4.2). NaN and ±Inf reach db as IEEE-754 sums do; the pass leaves alone a
// dz written between the two, a sum over another axis, and an x not transposed.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { matmul, mulberry32, ndarray, randomArray } from '../reference';
import type { ColumnSumCase } from './bias-gradient.page';

const gpu = useGpuPage();
type Page = typeof import('./bias-gradient.page');
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

/** The listing's dispatch lines (`  3. fused(matmul+sum)  reads [...] writes [...]`) as their kernel names. */
const dispatchNames = (text: string): string[] => [...text.matchAll(/^\s*\d+\. (.+?)\s+reads/gm)].map((match) => match[1]).filter((name) => name !== 'copy' && name !== 'upload');

/** Column sums of dz [K, N] in float64, and the float32 bound on any order's error for each. */
function columnSums(dz: readonly number[], K: number, N: number): { sums: number[]; bounds: number[] } {
  const u = 2 ** -24;
  const gamma = ((K - 1) * u) / (1 - (K - 1) * u);
  const sums = Array.from({ length: N }, (_, j) => Array.from({ length: K }, (_, k) => dz[k * N + j]).reduce((s, v) => s + v, 0));
  const bounds = Array.from({ length: N }, (_, j) => gamma * Array.from({ length: K }, (_, k) => Math.abs(dz[k * N + j])).reduce((s, v) => s + v, 0));
  return { sums, bounds };
}

/**
 * dW within γ(K)·Σ_k |x[k, i]·dz[k, j]| of float64's xᵀ·dz (K rounded products and sums), and db,
 * eager's and the fused one's, within the summation bound of float64's column sums.
 */
function expectColumnSums(out: { eager: { db: number[] }; compiled: { dW: number[]; db: number[] } }, x: number[], dz: number[], K: number, M: number, N: number, label = ''): void {
  const reference = matmul(ndarray([K, M], x), ndarray([K, N], dz), { transposeA: true }).data;
  const gammaK = (K * 2 ** -24) / (1 - K * 2 ** -24);
  out.compiled.dW.forEach((value, i) => {
    const [row, column] = [Math.floor(i / N), i % N];
    const magnitude = Array.from({ length: K }, (_, k) => Math.abs(x[k * M + row] * dz[k * N + column])).reduce((s, t) => s + t, 0);
    expect(Math.abs(value - reference[i]), `${label} dW[${i}]`).toBeLessThanOrEqual(gammaK * magnitude);
  });
  const { sums, bounds } = columnSums(dz, K, N);
  out.compiled.db.forEach((value, j) => expect(Math.abs(value - sums[j]), `${label} db[${j}]`).toBeLessThanOrEqual(bounds[j]));
  out.eager.db.forEach((value, j) => expect(Math.abs(value - sums[j]), `${label} eager db[${j}]`).toBeLessThanOrEqual(bounds[j]));
}

/** Eager and jitted (third call) dW = xᵀ·dz and db = sum(dz, 0), each run's dispatch count and the program listing. */
type PairResult = { eager: { dW: number[]; db: number[] }; compiled: { dW: number[]; db: number[] }; eagerDispatches: number; compiledDispatches: number; text: string };

async function runPair(x: number[], dz: number[], K: number, M: number, N: number): Promise<PairResult> {
  return gpu.run(async (wg, a) => {
    const xs = wg.tensor(a.x, [a.K, a.M]);
    const dzs = wg.tensor(a.dz, [a.K, a.N]);
    const gradients = (x: Tensor, dz: Tensor) => ({ dW: wg.matmul(x, dz, { transposeA: true }), db: wg.sum(dz, 0) });
    const read = async (r: { dW: Tensor; db: Tensor }) => ({ dW: Array.from(await r.dW.data()), db: Array.from(await r.db.data()) });
    const count = async (run: () => { dW: Tensor; db: Tensor }) => {
      await wg.synchronize();
      const before = wg.commandStats().dispatches;
      const r = run();
      const dispatches = wg.commandStats().dispatches - before;
      return { dispatches, values: await read(r) };
    };
    const eager = await count(() => gradients(xs, dzs));
    const step = wg.jit(gradients);
    step(xs, dzs);
    step(xs, dzs);
    const compiled = await count(() => step(xs, dzs));
    return { eager: eager.values, compiled: compiled.values, eagerDispatches: eager.dispatches, compiledDispatches: compiled.dispatches, text: step.describe() };
  }, { x, dz, K, M, N });
}

describe('jit bias-gradient fusion', () => {
  // The tile each traced product takes (chooseMatmulVariant, least padded time at TILE_SPEEDS):
  // [2,2] and [5,3] 4×4 per invocation, [6,50] 4×16, [60,10] 32×4, [64,60] 32×16, where the ones
  // row is row 64 and needs a second row of workgroups: 64·60·30 = 115,200 multiply-adds there,
  // under MAX_ONES_ROW_WORK (2^17); with K = 42 (161,280) the pair stays apart. K = 7, 9, 30, 42
  // leave a partial step of k; M = 60, 64 load A as vec4, N = 60 loads B as vec4.
  const shapes = [
    { K: 4, M: 2, N: 2, fused: true },
    { K: 7, M: 5, N: 3, fused: true },
    { K: 9, M: 6, N: 50, fused: true },
    { K: 64, M: 60, N: 10, fused: true },
    { K: 30, M: 64, N: 60, fused: true },
    { K: 42, M: 64, N: 60, fused: false },
  ];
  for (const { K, M, N, fused } of shapes) {
    it(`x [${K},${M}], dz [${K},${N}]: xᵀ·dz and sum(dz, 0) ${fused ? 'in one fused(matmul+sum) dispatch' : 'apart (the ones row would cost more than a dispatch)'}, dW bit-equal to eager, db within γ(K−1)·Σ|dz| of float64`, async () => {
      const rng = mulberry32(1700 + K * 100 + M + N);
      const x = f32(randomArray([K, M], rng).data);
      const dz = f32(randomArray([K, N], rng).data);
      const out = await runPair(x, dz, K, M, N);
      expect(out.compiled.dW).toEqual(out.eager.dW);
      expectColumnSums(out, x, dz, K, M, N);
      if (fused) expect(dispatchNames(out.text)).toEqual(['fused(matmul+sum)']);
      else expect(dispatchNames(out.text)).toEqual([expect.stringMatching(/^matmul/), 'reduce']);
      expect(out.eagerDispatches).toBe(2);
      expect(out.compiledDispatches).toBe(fused ? 1 : 2);
    });
  }

  it('NaN and ±Inf in dz reach db and dW as in eager (NaN stays NaN, +Inf + −Inf = NaN); a NaN in x stays out of db', async () => {
    const K = 7;
    const M = 5;
    const N = 4;
    const rng = mulberry32(1790);
    const x = f32(randomArray([K, M], rng, 0.5, 1).data);
    const dz = f32(randomArray([K, N], rng).data);
    dz[6 * N + 0] = NaN; // the last row: the rows clamped past K repeat it and must be masked out
    dz[2 * N + 1] = Infinity;
    dz[5 * N + 1] = -Infinity;
    dz[3 * N + 2] = Infinity;
    x[6 * M + 4] = NaN; // the last stored column of A, which the clamped loads of the ones row read
    const out = await runPair(x, dz, K, M, N);
    expect(out.compiled.dW).toEqual(out.eager.dW);
    expect(out.eager.db.slice(0, 3)).toEqual([NaN, NaN, Infinity]);
    expect(out.compiled.db.slice(0, 3)).toEqual([NaN, NaN, Infinity]);
    const { sums, bounds } = columnSums(dz, K, N);
    expect(Math.abs(out.compiled.db[3] - sums[3])).toBeLessThanOrEqual(bounds[3]);
    // dW row 4 is Σ_k x[k, 4]·dz[k, j] with x[6, 4] NaN: all NaN. Row 0 follows dz: NaN, NaN, Inf, finite.
    expect(out.compiled.dW.slice(4 * N, 5 * N)).toEqual([NaN, NaN, NaN, NaN]);
    expect(out.compiled.dW.slice(0, 3)).toEqual([NaN, NaN, Infinity]);
    expect(Number.isFinite(out.compiled.dW[3])).toBe(true);
    expect(dispatchNames(out.text)).toEqual(['fused(matmul+sum)']);
  });

  it('an elementwise op reading dW still joins the epilogue: fused(matmul+sum+mul), dW·s bit-equal to eager', async () => {
    const [K, M, N] = [7, 5, 3];
    const rng = mulberry32(1793);
    const data = { x: f32(randomArray([K, M], rng).data), dz: f32(randomArray([K, N], rng).data), s: f32(randomArray([N], rng).data) };
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [7, 5]);
      const dz = wg.tensor(a.dz, [7, 3]);
      const s = wg.tensor(a.s, [3]);
      const fn = (x: Tensor, dz: Tensor) => ({ dW: wg.mul(wg.matmul(x, dz, { transposeA: true }), s), db: wg.sum(dz, 0) });
      const read = async (r: { dW: Tensor; db: Tensor }) => ({ dW: Array.from(await r.dW.data()), db: Array.from(await r.db.data()) });
      const eager = await read(fn(x, dz));
      const step = wg.jit(fn);
      step(x, dz);
      step(x, dz);
      return { eager, compiled: await read(step(x, dz)), text: step.describe() };
    }, data);
    expect(dispatchNames(out.text)).toEqual(['fused(matmul+sum+mul)']);
    expect(out.compiled.dW).toEqual(out.eager.dW);
    const { sums, bounds } = columnSums(data.dz, K, N);
    out.compiled.db.forEach((value, j) => expect(Math.abs(value - sums[j])).toBeLessThanOrEqual(bounds[j]));
  });

  it('is not applied where dz is written between the two, where the sum is over axis 1, or where x is not transposed', async () => {
    const rng = mulberry32(1791);
    const data = { x: f32(randomArray([4, 3], rng).data), v: f32(randomArray([4, 4], rng).data) };
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [4, 3]);
      const xt = wg.tensor(a.x, [3, 4]);
      const v = wg.tensor(a.v, [4, 4]);
      const flipped = wg.tensor(a.v, [4, 4]);
      // dz written in place between the product and the sum: each call flips its sign.
      const writtenBetween = () => {
        const dW = wg.matmul(x, flipped, { transposeA: true });
        flipped.assign(wg.neg(flipped));
        return { dW, db: wg.sum(flipped, 0) };
      };
      // A square dz summed over axis 1 has the shape a sum over axis 0 would have.
      const otherAxis = () => ({ dW: wg.matmul(x, v, { transposeA: true }), db: wg.sum(v, 1) });
      // xt [3, 4] · v: not transposed, the sum over axis 0 is not a row of this product.
      const notTransposed = () => ({ dW: wg.matmul(xt, v), db: wg.sum(v, 0) });
      const results = [];
      for (const fn of [writtenBetween, otherAxis, notTransposed]) {
        const step = wg.jit(fn);
        step();
        step();
        const r = step();
        results.push({ dW: Array.from(await r.dW.data()), db: Array.from(await r.db.data()), text: step.describe() });
      }
      return results;
    }, data);
    const [between, otherAxis, notTransposed] = out;
    for (const r of out) expect(dispatchNames(r.text).filter((name) => name === 'fused(matmul+sum)')).toEqual([]);
    const x = ndarray([4, 3], data.x);
    const v = ndarray([4, 4], data.v);
    const bound = (values: number[]) => 3 * 2 ** -24 * values.reduce((s, t) => s + Math.abs(t), 0) + 1e-30;
    // Third call: dW reads v as given, then v becomes −v and db sums that.
    matmul(x, v, { transposeA: true }).data.forEach((value, i) => expect(Math.abs(between.dW[i] - value)).toBeLessThanOrEqual(4 * 2 ** -23 * 4));
    for (let j = 0; j < 4; j++) {
      const column = [0, 1, 2, 3].map((k) => -data.v[k * 4 + j]);
      expect(Math.abs(between.db[j] - column.reduce((s, t) => s + t, 0))).toBeLessThanOrEqual(bound(column));
      const row = [0, 1, 2, 3].map((k) => data.v[j * 4 + k]);
      expect(Math.abs(otherAxis.db[j] - row.reduce((s, t) => s + t, 0))).toBeLessThanOrEqual(bound(row));
    }
    expect(dispatchNames(notTransposed.text)).toHaveLength(2);
    expect(dispatchNames(otherAxis.text)).toHaveLength(2);
  });

  // The reference step's use of it (one fused(matmul+sum+adam) per layer, losses equal to eager) is
  // asserted by test/jit/reference-step.test.ts.

  it('every tiled kernel variant takes the ones row (own loads of A, workgroup memory), the naive one keeps two dispatches', async () => {
    const page = <R, A>(fn: (page: Page, args: A) => Promise<R>, args: A): Promise<R> =>
      gpu.run(new Function('_wg', 'args', `return (${fn.toString()})(window.biasGradientPage, args);`) as never, args);
    const bundle = await build({
      entryPoints: ['test/jit/bias-gradient.page.ts'], bundle: true, format: 'iife', globalName: 'biasGradientPage',
      target: 'es2022', write: false, loader: { '.wgsl': 'text' }, logLevel: 'warning',
    });
    await gpu.page.addScriptTag({ content: bundle.outputFiles[0].text });
    const { names } = await page((p) => p.availableVariants(), {});
    // The subgroup tile in every shape is covered above through wg.matmul; the register tile differs
    // from it only in how it loads A (4×4 compiles fastest). The workgroup tile's ones row is row 64,
    // in a second row of workgroups.
    const cases: { name: string; K: number; M: number; N: number }[] = [
      { name: 'registerTile 4x4', K: 7, M: 5, N: 3 },
      { name: 'workgroupTile', K: 21, M: 64, N: 6 },
      { name: 'naive', K: 7, M: 5, N: 3 },
    ];
    expect(names).toEqual(expect.arrayContaining(cases.map((c) => c.name)));
    for (const { name, K, M, N } of cases) {
      const rng = mulberry32(1792 + K);
      const x = f32(randomArray([K, M], rng).data);
      const dz = f32(randomArray([K, N], rng).data);
      const args: { name: string; c: ColumnSumCase } = { name, c: { K, M, N, x: Float32Array.from(x), dz: Float32Array.from(dz) } };
      const out = await page((p, a: typeof args) => p.runColumnSums(a.name, a.c), args);
      expect(out.compiled.dW, name).toEqual(out.eager.dW);
      expectColumnSums(out, x, dz, K, M, N, name);
      expect(dispatchNames(out.text), name).toHaveLength(name === 'naive' ? 2 : 1);
      if (name !== 'naive') expect(dispatchNames(out.text), name).toEqual(['fused(matmul+sum)']);
    }
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
