// Runs in the page (bundled by matmul-variants.bench.ts): times each matmul kernel variant on this
// adapter. Each measurement encodes `repeats` dispatches of one N×N @ N×N product and waits for the
// GPU (synchronize) before stopping the clock; the first dispatch, which compiles, is not timed.
import matmulSource from '../shaders/matmul.wgsl';
import { init, getAdapterInfo } from '../src/runtime/device';
import { synchronize } from '../src/runtime/commands';
import { defineKernel } from '../src/runtime/kernel';
import { Tensor } from '../src/tensor';
import { tensor } from '../src/ops/creation';
import { launchMatmul, matmulVariants, type MatmulVariant } from '../src/ops/matmulKernels';

/** The variants measured: the library's own, and a few alternatives made by small edits. */
function variants(): Record<string, MatmulVariant> {
  const { registerTile, naive } = matmulVariants;
  const widerGroups = matmulSource.replace('@workgroup_size(8, 8)', '@workgroup_size(16, 16)').replace('THREADS = 8u', 'THREADS = 16u');
  const explicitProducts = matmulSource.replace(
    'acc += blockB(baseB, k0, j0) * blockA(baseA, i0, k0);',
    'let bb = blockB(baseB, k0, j0); let aa = blockA(baseA, i0, k0); for (var r = 0u; r < 4u; r++) { acc[r] += aa[r].x * bb[0] + aa[r].y * bb[1] + aa[r].z * bb[2] + aa[r].w * bb[3]; }',
  );
  return {
    'register 4x4, vec4 loads, explicit products': { ...registerTile, kernel: defineKernel('matmulExplicit', explicitProducts) },
    'register 4x4, vec4 loads, 8x8 groups': registerTile,
    'register 4x4, scalar loads, 8x8 groups': { ...registerTile, constants: { VEC4_A: 0, VEC4_B: 0 } },
    'register 4x4, vec4 loads, 16x16 groups': { ...registerTile, kernel: defineKernel('matmul16', widerGroups), block: 64 },
    'naive, one output per invocation': naive,
  };
}

export interface Measurement { variant: string; n: number; transposeB: boolean; milliseconds: number; gflops: number }

/** Times every variant on one N×N @ N×N (or @ Bᵀ) product. One call per layout keeps each page call short. */
export async function benchmark(n: number, transposeB: boolean, repeats: number, rounds: number): Promise<{ adapter: string; results: Measurement[] }> {
  await init();
  const values = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
  const a = tensor(values, [n, n]);
  const b = tensor(values, [n, n]);
  const out = Tensor.empty([n, n]);
  const problem = { a, b, out, M: n, N: n, K: n, transposeA: false, transposeB, batchShape: [], batchStridesA: [], batchStridesB: [] };
  const candidates = Object.entries(variants());
  for (const [, variant] of candidates) launchMatmul(variant, problem); // compiles
  await synchronize();
  // The machine is shared: rounds interleave the variants so a busy spell hits all of them,
  // and each keeps its best round, the least disturbed one.
  const best = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, variant] of candidates) {
      const start = performance.now();
      for (let r = 0; r < repeats; r++) launchMatmul(variant, problem);
      await synchronize();
      best.set(name, Math.min(best.get(name) ?? Infinity, (performance.now() - start) / repeats));
    }
  }
  for (const t of [a, b, out]) t.dispose();
  const results = [...best].map(([variant, milliseconds]) => ({ variant, n, transposeB, milliseconds, gflops: (2 * n * n * n) / (milliseconds * 1e6) }));
  const info = getAdapterInfo();
  return { adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim(), results };
}
