// Every matmul kernel variant (src/ops/matmulKernels.ts), not only the one this adapter picks, on
// the float64 reference: odd sizes around the workgroup blocks, all four transpose combinations,
// K not a multiple of 4 (the masked last step), broadcast batch dims, the bias + activation
// epilogue, and an Inf in B's last row (a clamped read past K must not turn it into NaN elsewhere).
//
// Tolerance, as in matmul.test.ts: a float32 dot product of K terms is within about
// sqrt(K)·2^-23·Σ_k |a_ik|·|b_kj| of the exact value; each element is held to SAFETY times that (plus
// |bias| in the scale when there is one, and 8·2^-23 absolute for sigmoid/tanh, whose exp-based
// float32 evaluation adds a few ulps). An index mistake moves an element by O(Σ|a||b|) and fails.
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import type { VariantCase } from './matmul-variants.page';

type Page = typeof import('./matmul-variants.page');

const FLOAT32_EPSILON = 2 ** -23;
const SAFETY = 4;
const activations: Record<'linear' | 'relu' | 'sigmoid' | 'tanh', (z: number) => number> = {
  linear: (z) => z, relu: (z) => Math.max(z, 0), sigmoid: (z) => 1 / (1 + Math.exp(-z)), tanh: Math.tanh,
};

interface Case { aShape: number[]; bShape: number[]; transposeA?: boolean; transposeB?: boolean; bias?: boolean; activation?: keyof typeof activations; infInLastRowOfB?: boolean; core?: boolean }

// Compiling is what this file spends its time on (each case's layout is a pipeline; a 32×16 tile
// takes ~0.8 s on SwiftShader), so the cases are spread: the subgroup tile in its 4×4 shape
// (what one-off products run) takes them all; the other register-tile shapes, which differ only in
// how many blocks they accumulate, the four transposes of an odd size plus a vec4 layout; the
// per-invocation tile (which differs only in loading A) and the workgroup tile the `core` cases.
const cases: Case[] = [];
for (const [M, K, N] of [[37, 53, 29], [65, 72, 36], [8, 12, 20], [6, 2, 5], [9, 1, 4], [3, 0, 4]]) {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      const core = M === 37 || (M === 65 && !transposeA && !transposeB);
      cases.push({ aShape: transposeA ? [K, M] : [M, K], bShape: transposeB ? [N, K] : [K, N], transposeA, transposeB, core });
    }
  }
}
cases.push(
  { aShape: [129, 260], bShape: [260, 67] }, // several workgroups both ways
  { aShape: [2, 1, 5, 6], bShape: [3, 6, 7], core: true },
  { aShape: [4, 9, 5], bShape: [8, 9], transposeA: true, transposeB: true },
  { aShape: [37, 53], bShape: [53, 29], bias: true },
  { aShape: [37, 53], bShape: [53, 29], bias: true, activation: 'relu' },
  { aShape: [37, 53], bShape: [53, 29], bias: true, activation: 'sigmoid' },
  { aShape: [66, 40], bShape: [40, 33], bias: true, activation: 'tanh', core: true },
  { aShape: [3, 0], bShape: [0, 5], bias: true, activation: 'sigmoid' }, // K = 0: act(bias)
  { aShape: [10, 5], bShape: [5, 6], infInLastRowOfB: true, core: true },
  { aShape: [10, 5], bShape: [6, 5], transposeB: true, infInLastRowOfB: true },
);

interface Prepared extends Case { a: ref.NdArray; b: ref.NdArray; biasValues: ref.NdArray | null; N: number; K: number }

function prepare(seed: number): Prepared[] {
  const rng = ref.mulberry32(seed);
  const float32 = (x: ref.NdArray): ref.NdArray => ({ shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) });
  return cases.map((c) => {
    const a = float32(ref.randomArray(c.aShape, rng));
    const b = float32(ref.randomArray(c.bShape, rng));
    const N = c.transposeB ? c.bShape.at(-2)! : c.bShape.at(-1)!;
    const K = c.transposeA ? c.aShape.at(-2)! : c.aShape.at(-1)!;
    if (c.infInLastRowOfB) {
      // B(K-1, 1) = +Inf: column 1 of the output is ±Inf by A's sign, every other column finite.
      b.data[c.transposeB ? 1 * K + (K - 1) : (K - 1) * N + 1] = Infinity;
    }
    return { ...c, a, b, N, K, biasValues: c.bias ? float32(ref.randomArray([N], rng)) : null };
  });
}

function expected(c: Prepared): { values: ref.NdArray; scale: ref.NdArray } {
  const options = { transposeA: c.transposeA, transposeB: c.transposeB };
  const product = ref.matmul(c.a, c.b, options);
  const scale = ref.matmul(ref.unary(c.a, Math.abs), ref.unary(c.b, Math.abs), options);
  const activation = activations[c.activation ?? 'linear'];
  const values = product.data.map((v, index) => activation(v + (c.biasValues ? c.biasValues.data[index % c.N] : 0)));
  const scaled = scale.data.map((v, index) => v + (c.biasValues ? Math.abs(c.biasValues.data[index % c.N]) : 0));
  return { values: { shape: product.shape, data: values }, scale: { shape: scale.shape, data: scaled } };
}

function expectClose(actual: ArrayLike<number>, c: Prepared, label: string): void {
  const { values, scale } = expected(c);
  expect(actual.length, `${label}: element count`).toBe(values.data.length);
  const perUnitScale = SAFETY * Math.sqrt(Math.max(c.K, 1)) * FLOAT32_EPSILON;
  const absolute = c.activation === 'sigmoid' || c.activation === 'tanh' ? 8 * FLOAT32_EPSILON : 0;
  for (let i = 0; i < actual.length; i++) {
    const want = values.data[i];
    if (!Number.isFinite(want)) {
      expect(actual[i], `${label}: element ${i}`).toBe(want);
      continue;
    }
    const allowed = perUnitScale * scale.data[i] + absolute;
    if (!(Math.abs(actual[i] - want) <= allowed)) {
      throw new Error(`${label}: element ${i} is ${actual[i]}, expected ${want} (allowed error ${allowed})`);
    }
  }
}

describe('matmul kernel variants', () => {
  const gpu = useGpuPage();
  const call = <R, A>(fn: (page: Page, args: A) => Promise<R>, args: A): Promise<R> =>
    gpu.run(new Function('_wg', 'args', `return (${fn.toString()})(window.matmulVariantsPage, args);`) as never, args);

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: ['test/ops/matmul-variants.page.ts'],
      bundle: true,
      format: 'iife',
      globalName: 'matmulVariantsPage',
      target: 'es2022',
      write: false,
      loader: { '.wgsl': 'text' },
      logLevel: 'warning',
    });
    await gpu.page.addScriptTag({ content: bundle.outputFiles[0].text });
  });

  it('picks the subgroup tile on SwiftShader with subgroups', async () => {
    const { chosen, architecture, subgroups } = await call((page) => page.availableVariants(), {});
    if (architecture === 'swiftshader') expect(chosen).toBe(subgroups ? 'subgroupTile' : 'registerTile');
    else expect(chosen).toBe('workgroupTile');
  });

  it('on CPU adapters, weighs each workgroup\'s fixed cost: attention-sized products take 32-row tiles, larger ones keep theirs', async () => {
    // Measured on SwiftShader (batch 32, wg.profile): [32×32, k 16] 0.86 ms with 32×4 tiles against
    // 1.2 ms with 4×4; [32×16, k 32] 0.70 against 0.9 ms (src/ops/matmulKernels.ts,
    // WORKGROUP_MICROSECONDS). The others are the MLP's and the transformer's products, whose tiles
    // the padded-time rule alone chose before and still does.
    const shapes = [
      { M: 32, N: 32, K: 16, tile: '32x4' },
      { M: 32, N: 16, K: 32, tile: '32x4' },
      { M: 256, N: 64, K: 64, tile: '32x16' },
      { M: 128, N: 256, K: 784, tile: '32x16' },
      { M: 128, N: 10, K: 128, tile: '32x4' },
      { M: 5, N: 3, K: 7, tile: '4x4' },
      { M: 6, N: 50, K: 9, tile: '4x16' },
    ];
    const chosen = [];
    for (const { M, N, K } of shapes) chosen.push(await call((page, shape) => page.repeatedTileShape(shape), { M, N, K }));
    const { architecture } = await call((page) => page.availableVariants(), {});
    if (architecture === 'swiftshader') expect(chosen).toEqual(shapes.map((shape) => shape.tile));
    else expect(chosen).toEqual(shapes.map(() => null));
  });

  it('every variant matches the float64 reference on odd, transposed, batched and epilogue cases', async () => {
    const { names } = await call((page) => page.availableVariants(), {});
    expect(names).toEqual(expect.arrayContaining(['registerTile', 'workgroupTile', 'naive']));
    const prepared = prepare(11);
    // registerTile's other shapes share everything but the loads of A with subgroupTile's.
    const tested = names.filter((n) => !/^registerTile./.test(n) || n === 'registerTile 4x4' || !names.includes('subgroupTile'));
    for (const name of tested) {
      const tileShapeOnly = /^subgroupTile ./.test(name) && name !== 'subgroupTile 4x4';
      const all = name === 'subgroupTile 4x4' || (name === 'registerTile 4x4' && !names.includes('subgroupTile'));
      const usable = prepared.filter((c) => {
        if (name === 'naive' && (c.bias || c.activation)) return false; // the baseline has no epilogue
        if (tileShapeOnly || name === 'subgroupTile') return c.core && c.aShape.length === 2 && !c.bias && !c.infInLastRowOfB;
        return all || c.core;
      });
      const pageCases: VariantCase[] = usable.map((c) => ({
        aShape: c.aShape, bShape: c.bShape, transposeA: c.transposeA, transposeB: c.transposeB, activation: c.activation,
        a: Float32Array.from(c.a.data), b: Float32Array.from(c.b.data), bias: c.biasValues ? Float32Array.from(c.biasValues.data) : undefined,
      }));
      const results = await call((page, args) => page.runVariant(args.name, args.cases), { name, cases: pageCases });
      usable.forEach((c, i) => {
        const label = `${name}: [${c.aShape}]${c.transposeA ? 'ᵀ' : ''} @ [${c.bShape}]${c.transposeB ? 'ᵀ' : ''}${c.bias ? ' + bias' : ''} act ${c.activation ?? 0}`;
        expectClose(results[i], c, label);
      });
    }
    // Compiling every variant dominates: 35-80 s measured on SwiftShader under load.
  }, 300_000);

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
