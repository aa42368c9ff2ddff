// wg.jit's matmul epilogue fusion on every tiled matmul kernel variant (src/ops/matmulKernels.ts),
// not only the one this adapter picks: a product with its own bias + activation, then ·scale and
// +shift broadcast from smaller shapes, becomes one dispatch of the variant with those ops in its
// epilogue, bit-identical to the three eager dispatches (every op computes the same float32
// expression; only the round trips through memory go) and within float32 bounds of a float64
// reference. Transposes, K and N off multiples of 4, broadcast batch dims, and NaN and ±Inf
// propagating through the fused epilogue. The naive kernel has no epilogue and stays unfused.
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import type { EpilogueCase } from './matmul-epilogue.page';

type Page = typeof import('./matmul-epilogue.page');
type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh';

const EPSILON = 2 ** -24; // float32's unit roundoff
const activations: Record<Activation, (z: number) => number> = {
  linear: (z) => z, relu: (z) => Math.max(z, 0), sigmoid: (z) => 1 / (1 + Math.exp(-z)), tanh: Math.tanh,
};

interface Case {
  aShape: number[]; bShape: number[]; transposeA?: boolean; transposeB?: boolean; bias?: boolean; activation: Activation;
  scaleShape: number[]; shiftShape: number[]; nonFinite?: boolean;
}

const cases: Case[] = [
  // K = 7 and N = 6: the masked last step of k and scalar loads of B; scale per column, shift per row.
  { aShape: [5, 7], bShape: [7, 6], bias: true, activation: 'sigmoid', scaleShape: [6], shiftShape: [5, 1] },
  // Both transposed, batch dims [2, 1] and [3] broadcast to [2, 3]; scale per batch and column, one shift.
  { aShape: [2, 1, 5, 3], bShape: [3, 6, 5], transposeA: true, transposeB: true, activation: 'tanh', scaleShape: [2, 3, 1, 6], shiftShape: [1] },
  // vec4 loads (K = 8, N = 12), relu; NaN and ±Inf in A; scale full-shaped. Then no bias and no activation.
  { aShape: [9, 8], bShape: [8, 12], bias: true, activation: 'relu', scaleShape: [9, 12], shiftShape: [12], nonFinite: true },
  { aShape: [6, 4], bShape: [4, 3], activation: 'linear', scaleShape: [3], shiftShape: [6, 3], nonFinite: true },
];

interface Prepared extends Case { a: ref.NdArray; b: ref.NdArray; biasValues: ref.NdArray | null; scale: ref.NdArray; shift: ref.NdArray; N: number; K: number }

function prepare(seed: number): Prepared[] {
  const rng = ref.mulberry32(seed);
  const float32 = (x: ref.NdArray): ref.NdArray => ({ shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) });
  return cases.map((c) => {
    const a = float32(ref.randomArray(c.aShape, rng));
    if (c.nonFinite) {
      // Row 0 of op(A) gets a NaN, row 1 a +Inf, row 2 a −Inf (stored at [i, 0], or [0, i] when transposed).
      const stride = c.transposeA ? 1 : c.aShape.at(-1)!;
      [NaN, Infinity, -Infinity].forEach((value, i) => { a.data[i * stride] = value; });
    }
    const N = c.transposeB ? c.bShape.at(-2)! : c.bShape.at(-1)!;
    const K = c.transposeA ? c.aShape.at(-2)! : c.aShape.at(-1)!;
    return {
      ...c, a, N, K,
      b: float32(ref.randomArray(c.bShape, rng)),
      biasValues: c.bias ? float32(ref.randomArray([N], rng)) : null,
      scale: float32(ref.randomArray(c.scaleShape, rng, 0.5, 2)),
      shift: float32(ref.randomArray(c.shiftShape, rng)),
    };
  });
}

/**
 * act(op(A)·op(B) + bias)·scale + shift in float64, and each element's error bound: the float32
 * product of K terms is within K·u·Σ|a||b| (u = 2^-24, the deterministic bound; adding the bias
 * one more rounding of Σ|a||b| + |bias|); sigmoid and tanh have slopes ≤ 1 and add 8u of their own
 * (exp-based float32 evaluation); ·scale and +shift round once each. An index mistake moves an
 * element by O(1) and fails.
 */
function expected(c: Prepared): { values: number[]; bounds: number[] } {
  const options = { transposeA: c.transposeA, transposeB: c.transposeB };
  const product = ref.matmul(c.a, c.b, options);
  const magnitude = ref.matmul(ref.unary(c.a, Math.abs), ref.unary(c.b, Math.abs), options);
  const activation = activations[c.activation];
  const scale = ref.mapBroadcast([product, c.scale], ([, s]) => s).data;
  const shift = ref.mapBroadcast([product, c.shift], ([, s]) => s).data;
  const values: number[] = [];
  const bounds: number[] = [];
  product.data.forEach((v, index) => {
    const bias = c.biasValues ? c.biasValues.data[index % c.N] : 0;
    const y = activation(v + bias);
    const z = (c.K + 1) * EPSILON * (magnitude.data[index] + Math.abs(bias));
    const own = c.activation === 'sigmoid' || c.activation === 'tanh' ? 8 * EPSILON : 0;
    values.push(y * scale[index] + shift[index]);
    bounds.push(Math.abs(scale[index]) * (z + own) + 2 * EPSILON * (Math.abs(y * scale[index]) + Math.abs(y * scale[index] + shift[index])));
  });
  return { values, bounds };
}

describe('matmul epilogue fusion on every variant', () => {
  const gpu = useGpuPage();
  const call = <R, A>(fn: (page: Page, args: A) => Promise<R>, args: A): Promise<R> =>
    gpu.run(new Function('_wg', 'args', `return (${fn.toString()})(window.matmulEpiloguePage, args);`) as never, args);

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: ['test/jit/matmul-epilogue.page.ts'],
      bundle: true,
      format: 'iife',
      globalName: 'matmulEpiloguePage',
      target: 'es2022',
      write: false,
      loader: { '.wgsl': 'text' },
      logLevel: 'warning',
    });
    await gpu.page.addScriptTag({ content: bundle.outputFiles[0].text });
  });

  it('fuses ·scale and +shift into each tiled variant: one dispatch, bit-equal to eager, within float32 bounds of float64', async () => {
    const { names } = await call((page) => page.availableVariants(), {});
    const prepared = prepare(1401);
    // Compiling dominates (two pipelines per case and variant, a 32×16 tile ~0.8 s each on
    // SwiftShader): the adapter's one-off shape takes every case, the other variants one each in turn.
    const everything = names.includes('subgroupTile 4x4') ? 'subgroupTile 4x4' : 'registerTile 4x4';
    // registerTile's other shapes share everything but the loads of A with subgroupTile's.
    const tested = names.filter((n) => !/^registerTile./.test(n) || n === 'registerTile 4x4' || !names.includes('subgroupTile'));
    for (const [v, name] of tested.entries()) {
      const usable = name === everything || name === 'naive' ? prepared : [prepared[v % prepared.length]];
      const pageCases: EpilogueCase[] = usable.map((c) => ({
        aShape: c.aShape, bShape: c.bShape, transposeA: c.transposeA, transposeB: c.transposeB, activation: name === 'naive' ? 'linear' : c.activation,
        a: Float32Array.from(c.a.data), b: Float32Array.from(c.b.data), bias: c.biasValues && name !== 'naive' ? Float32Array.from(c.biasValues.data) : undefined,
        scale: Float32Array.from(c.scale.data), scaleShape: c.scaleShape, shift: Float32Array.from(c.shift.data), shiftShape: c.shiftShape,
      }));
      const runs = await call((page, args) => page.runEpilogue(args.name, args.cases), { name, cases: pageCases });
      usable.forEach((c, i) => {
        const label = `${name}: [${c.aShape}]${c.transposeA ? 'ᵀ' : ''} @ [${c.bShape}]${c.transposeB ? 'ᵀ' : ''}`;
        const { eager, compiled, text } = runs[i];
        expect(compiled, label).toEqual(eager);
        if (name === 'naive') {
          // No epilogue to extend: the product stays, mul and add fuse with each other.
          expect(text, label).toContain('3 dispatches traced -> 2 per call');
          expect(text, label).toContain('fused(mul+add)');
          return;
        }
        expect(text, label).toContain('3 dispatches traced -> 1 per call');
        const epilogue = ['matmul', ...(c.bias ? ['bias'] : []), ...(c.activation === 'linear' ? [] : [c.activation])].join('+');
        expect(text, label).toContain(`fused(${epilogue}+mul+add)`);
        const { values, bounds } = expected(c);
        values.forEach((want, k) => {
          if (!Number.isFinite(want)) {
            // IEEE-754: NaN in, NaN out; ±Inf through relu, ·scale (> 0) and +shift stays ±Inf (relu(−Inf) = 0).
            expect(compiled[k], `${label}: element ${k}`).toBe(want);
            return;
          }
          if (!(Math.abs(compiled[k] - want) <= bounds[k])) throw new Error(`${label}: element ${k} is ${compiled[k]}, expected ${want} ± ${bounds[k]}`);
        });
        if (c.nonFinite) {
          // The rows with NaN or ±Inf in A really are non-finite (or clamped by relu), the others finite.
          expect(values.some((value) => Number.isNaN(value)), label).toBe(true);
        }
      });
    }
  }, 300_000);

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
