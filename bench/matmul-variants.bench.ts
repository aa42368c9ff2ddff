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
  const { adapter, results } = await gpu.run(
    async (_wg, args) => {
      const bench = (window as unknown as { matmulBench: typeof import('./matmul-variants.page') }).matmulBench;
      return bench.benchmark(args.sizes, args.repeats, args.rounds);
    },
    { sizes, repeats: 3, rounds: 3 },
  );
  console.log(`adapter: ${adapter}`);
  for (const r of results) {
    console.log(`N=${r.n} ${r.transposeB ? 'A@Bᵀ' : 'A@B '} ${r.variant.padEnd(40)} ${r.milliseconds.toFixed(1).padStart(8)} ms ${r.gflops.toFixed(2).padStart(7)} GFLOP/s`);
  }
}, 600_000);
