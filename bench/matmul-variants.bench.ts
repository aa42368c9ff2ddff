// Measures matmul kernel variants in the test browser and prints GFLOP/s per problem: wall time
// (best interleaved round) and GFLOP per CPU-second of the browser's GPU process, where SwiftShader
// runs (summed over rounds; steadier than wall time when other processes load the machine).
// Run: npx vitest run --config bench/matmul-variants.config.ts
//   MATMUL_SIZES=128,256,512,1024   square N×N @ N×N products (A@B and, unless MATMUL_TRANSPOSED=0, A@Bᵀ)
//   MATMUL_LAYERS=1                 also the MLP layer shapes (forward and both backward products)
//   MATMUL_VARIANTS=regex           only the variants whose name matches (lib:chosen = what matmul() runs)
//   MATMUL_ROUNDS=6                 interleaved rounds
//   MATMUL_COMPILE=1                instead of timing, each variant's first (compiling) run
//   MATMUL_PROBE=1                  print the adapter's info and features first
// The page module imports src/ directly and is bundled here, so no `npm run build` is needed.
import { build } from 'esbuild';
import type { CDPSession } from 'puppeteer';
import { it } from 'vitest';
import { useGpuPage } from '../test/harness/gpu-page';
import type { Problem } from './matmul-variants.page';

const gpu = useGpuPage();

type Bench = typeof import('./matmul-variants.page');

function problems(): Problem[] {
  const list: Problem[] = [];
  const sizes = (process.env.MATMUL_SIZES ?? '128,256,512').split(',').filter(Boolean).map(Number);
  for (const n of sizes) {
    list.push({ label: `${n}² A@B`, M: n, N: n, K: n, transposeA: false, transposeB: false });
    if (process.env.MATMUL_TRANSPOSED !== '0') list.push({ label: `${n}² A@Bᵀ`, M: n, N: n, K: n, transposeA: false, transposeB: true });
  }
  if (process.env.MATMUL_LAYERS) {
    // Dense 784→256→128→10 at batch 128: forward x·W, and backward dY·Wᵀ and xᵀ·dY.
    for (const [inputs, units] of [[784, 256], [256, 128], [128, 10]]) {
      list.push({ label: `fwd 128x${inputs}@${inputs}x${units}`, M: 128, N: units, K: inputs, transposeA: false, transposeB: false });
      list.push({ label: `dX 128x${units}@(${inputs}x${units})ᵀ`, M: 128, N: inputs, K: units, transposeA: false, transposeB: true });
      list.push({ label: `dW (128x${inputs})ᵀ@128x${units}`, M: inputs, N: units, K: 128, transposeA: true, transposeB: false });
    }
  }
  return list;
}

/** CPU seconds the browser's GPU process (where SwiftShader runs) has used so far. */
async function gpuProcessCpuSeconds(session: CDPSession): Promise<number> {
  const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; cpuTime: number }[] };
  return processInfo.filter((p) => p.type === 'GPU').reduce((sum, p) => sum + p.cpuTime, 0);
}

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
  const bench = <R, A = undefined>(fn: (b: Bench, args: A) => Promise<R> | R, args?: A): Promise<R> =>
    gpu.run(new Function('_wg', 'args', `return (${fn.toString()})(window.matmulBench, args);`) as never, args as A);
  if (process.env.MATMUL_PROBE) console.log(JSON.stringify(await bench((b) => b.probe()), null, 1));
  const allNames = await bench((b) => b.variantNames());
  const filter = new RegExp(process.env.MATMUL_VARIANTS ?? '.');
  const names = allNames.filter((name) => filter.test(name));
  const rounds = Number(process.env.MATMUL_ROUNDS ?? 6);
  const session = await gpu.page.browser().target().createCDPSession();
  const adapter = await bench((b) => b.adapterName());
  for (const problem of problems()) {
    const flops = 2 * problem.M * problem.N * problem.K;
    if (process.env.MATMUL_COMPILE) {
      // Compile cost: each variant prepared alone (its first run compiles), wall and GPU-process CPU time.
      for (const name of names) {
        const before = await gpuProcessCpuSeconds(session);
        await bench((b, args) => b.prepare(args.problem, args.names), { problem, names: [name] });
        const cpuMs = ((await gpuProcessCpuSeconds(session)) - before) * 1e3;
        const times = await bench((b) => b.firstRunTimes());
        console.log(`${problem.label} ${name.padEnd(24)} first run (compiles) wall ${times[name].toFixed(0)} ms, cpu ${cpuMs.toFixed(0)} ms`);
      }
      continue;
    }
    const errors = await bench((b, args) => b.prepare(args.problem, args.names), { problem, names });
    // About 50 ms of work per timed call batch at ~2 GFLOP/s, at least one product.
    const repeats = Math.max(1, Math.round(1e8 / flops));
    const wall = new Map<string, number>();
    const cpu = new Map<string, number>();
    // Rounds interleave the variants (alternating order) so that a busy spell on this shared
    // machine hits all of them; wall time keeps the best round, CPU time of SwiftShader's process
    // (10 ms ticks, less disturbed by other load) is summed over all rounds.
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 ? [...names].reverse() : names) {
        const before = await gpuProcessCpuSeconds(session);
        const ms = await bench((b, args) => b.time(args.name, args.repeats), { name, repeats });
        const after = await gpuProcessCpuSeconds(session);
        wall.set(name, Math.min(wall.get(name) ?? Infinity, ms));
        cpu.set(name, (cpu.get(name) ?? 0) + (after - before));
      }
    }
    for (const name of names) {
      const ms = wall.get(name) ?? NaN;
      const cpuMs = ((cpu.get(name) ?? NaN) / (rounds * repeats)) * 1e3;
      const error = errors[name];
      const flag = error < 1e-5 ? '' : `  WRONG (relative error ${error.toExponential(1)})`;
      console.log(
        `${adapter} ${problem.label.padEnd(26)} ${name.padEnd(20)} wall ${ms.toFixed(2).padStart(8)} ms ${(flops / (ms * 1e6)).toFixed(2).padStart(6)} GFLOP/s` +
          ` | cpu ${cpuMs.toFixed(2).padStart(8)} ms ${(flops / (cpuMs * 1e6)).toFixed(2).padStart(6)} GFLOP/cpu-s${flag}`,
      );
    }
  }
  await bench((b) => b.release());
}, 3_600_000);
