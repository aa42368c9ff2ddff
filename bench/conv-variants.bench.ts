// Measures convolution plans (the library's direct kernels against im2col + matmul) for the digits model's layer
// shapes in the test browser, and prints milliseconds and GFLOP/s per piece of a training step.
// Run: npx vitest run --config bench/conv-variants.config.ts
// The page module imports src/ directly and is bundled here, so no `npm run build` is needed.
import { build } from 'esbuild';
import { it } from 'vitest';
import { useGpuPage } from '../test/harness/gpu-page';

const gpu = useGpuPage();

it('times convolution plans', async () => {
  const bundle = await build({
    entryPoints: ['bench/conv-variants.page.ts'],
    bundle: true,
    format: 'iife',
    globalName: 'convBench',
    target: 'es2022',
    write: false,
    loader: { '.wgsl': 'text' },
    logLevel: 'warning',
  });
  await gpu.page.addScriptTag({ content: bundle.outputFiles[0].text });
  const layers = [
    { xShape: [64, 28, 28, 1], wShape: [3, 3, 1, 8] },
    { xShape: [64, 14, 14, 8], wShape: [3, 3, 8, 16] },
  ];
  for (const layer of layers) {
    const { adapter, results } = await gpu.run(
      async (_wg, args) => {
        const bench = (window as unknown as { convBench: typeof import('./conv-variants.page') }).convBench;
        return bench.benchmark(args.xShape, args.wShape, args.repeats, args.rounds);
      },
      { ...layer, repeats: Number(process.env.CONV_REPEATS ?? 3), rounds: Number(process.env.CONV_ROUNDS ?? 4) },
    );
    console.log(`${adapter}: x [${layer.xShape}] ⋆ w [${layer.wShape}], padding 'same'`);
    for (const r of results) {
      console.log(`  ${r.piece.padEnd(8)} ${r.plan.padEnd(44)} ${r.milliseconds.toFixed(2).padStart(8)} ms ${r.gflops.toFixed(2).padStart(6)} GFLOP/s  max |Δ| vs the first plan ${r.maxDifference.toExponential(1)}`);
    }
  }
}, 1_800_000);
