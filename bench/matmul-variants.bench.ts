// Measures the matmul kernel variants in the test browser and prints GFLOP/s per size.
// Run: npx vitest run --config bench/matmul-variants.config.ts
// The page module imports src/ directly and is bundled here, so no `npm run build` is needed.
import { build } from 'esbuild';
import { it } from 'vitest';
import { useGpuPage } from '../test/harness/gpu-page';

const gpu = useGpuPage();

it('times matmul variants', async () => {
  const bundle = await build({
    entryPoints: ['bench/matmul-variants.page.ts'],
    bundle: true,
    format: 'iife',
    globalName: 'matmulBench',
    target: 'es2022',
    write: false,
    loader: { '.wgsl': 'text' },
    logLevel: 'warning',
  });
  // A classic script: its exports land on window.matmulBench.
  await gpu.page.addScriptTag({ content: bundle.outputFiles[0].text });
  const sizes = (process.env.MATMUL_SIZES ?? '128,256,512').split(',').map(Number);
  for (const n of sizes) {
    for (const transposeB of [false, true]) {
      const { adapter, results } = await gpu.run(
        async (_wg, args) => {
          const bench = (window as unknown as { matmulBench: typeof import('./matmul-variants.page') }).matmulBench;
          return bench.benchmark(args.n, args.transposeB, args.repeats, args.rounds);
        },
        { n, transposeB, repeats: 3, rounds: 4 },
      );
      for (const r of results) {
        console.log(`${adapter} N=${n} ${transposeB ? 'A@Bᵀ' : 'A@B '} ${r.variant.padEnd(44)} ${r.milliseconds.toFixed(1).padStart(8)} ms ${r.gflops.toFixed(2).padStart(6)} GFLOP/s`);
      }
    }
  }
}, 1_800_000);
