// What an app ships when a bundler builds it from the packed package (through its `module` export,
// dist/esm/, and its `sideEffects` list): size budgets, in gzip -9 bytes of the minified files
// (deterministic: the same dist/ gives the same bytes), and a tree-shaken app run in the page, so
// the modules a bundler keeps are enough: ops, Tensor methods (installed by src/index.ts, a listed
// side effect) and customOp's reflector, which the app's bundle reaches through its import of
// dist/webgrad-wgsl-reflect.js.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPS, appSize, packedProject, viteApp, viteAppSize } from '../../scripts/bundle-size.mjs';
import { useGpuPage } from '../harness/gpu-page';
import { ADD_ONE_WGSL } from '../runtime/add-one-kernel';
import { repoRoot } from './packed-project';

// Budgets a little above what was measured when they were set (26.2, 73.0, 54.9 and 94.7 kB), so
// growth shows here; issue 13 asked for a core under 60 kB gzipped. Raised once, for wg.jit's
// bias-gradient, sibling and update-fusion passes and fit's logits form (every fit app compiles its
// step): measured then 27.1, 82.8, 63.9 and 104.4 kB.
const BUDGET = { core: 30_000, sequentialEsbuild: 90_000, sequentialVite: 70_000, wholeFile: 110_000 };

const gpu = useGpuPage();
let project: { projectDir: string; cleanup: () => Promise<void> };
beforeAll(async () => { project = await packedProject(); });
afterAll(async () => { await project?.cleanup(); });

/** An app bundled into one file (its dynamic imports inlined), minified, from the packed package. */
async function bundledApp(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: project.projectDir, loader: 'js' },
    bundle: true, format: 'esm', target: 'es2022', platform: 'browser', minify: true, write: false, logLevel: 'error',
  });
  return result.outputFiles[0]?.text ?? '';
}

describe('apps bundled from the package', () => {
  it('the core app, { init, tensor, add }, stays under its budget and carries no layer, optimizer or wgsl_reflect', async () => {
    const size = await appSize(APPS.core, project.projectDir);
    expect(size.gzipped).toBeLessThan(BUDGET.core);
    const code = await bundledApp(APPS.core);
    // Names only those modules spell (a layer's class name in its errors, an optimizer's Keras name,
    // wgsl_reflect's scanner keyword); the Tensor methods are in (logSoftmax is one).
    expect(code).not.toContain('TransformerBlock');
    expect(code).not.toContain('adamw');
    expect(code).not.toContain('texture_storage_2d_array');
    expect(code).toContain('logSoftmax');
  });

  it('a Sequential + fit app stays under its budgets with esbuild and with Vite', async () => {
    expect((await appSize(APPS.sequential, project.projectDir)).gzipped).toBeLessThan(BUDGET.sequentialEsbuild);
    expect((await viteAppSize(APPS.sequential, project.projectDir)).gzipped).toBeLessThan(BUDGET.sequentialVite);
  });

  it('dist/webgrad.js, all of webgrad in one file, stays under its budget', () => {
    expect(gzipSync(readFileSync(join(repoRoot, 'dist', 'webgrad.js')), { level: 9 }).length).toBeLessThan(BUDGET.wholeFile);
  });

  // Built by Vite: Rolldown drops a module whose exports go unused unless `sideEffects` lists it
  // (with `"sideEffects": false` this app lost the Tensor methods), where esbuild keeps src/index.ts's
  // own statements whenever an import passes through it.
  it('a tree-shaken app runs in the page: ops, Tensor methods, typed errors and customOp', async () => {
    const code = await viteApp(`
      import { init, tensor, add, customOp, loadCustomOpSupport, ShapeError } from 'webgrad';
      // An app's entry keeps no exports, so the test reaches it through a global.
      window.treeShakenApp = async (wgsl) => {
        await init();
        const x = tensor([1.5, -2, 3]);
        const y = add(x, tensor([0.5, 2, -1]));
        const methods = y.mul(2).sum();
        let refusal = null;
        try { add(x, tensor([1, 2])); } catch (error) { refusal = { typed: error instanceof ShapeError, name: error.name }; }
        await loadCustomOpSupport();
        const custom = customOp({ name: 'addOne', wgsl, inputs: { x }, output: { name: 'out', shape: x.shape } });
        return { y: Array.from(await y.data()), methods: Array.from(await methods.data()), refusal, custom: Array.from(await custom.data()) };
      };`, project.projectDir, { oneFile: true });
    // Source text, not a function: vitest would rewrite a function's import() for Node.
    const result = await gpu.page.evaluate(`(async () => {
      const url = URL.createObjectURL(new Blob([${JSON.stringify(code)}], { type: 'text/javascript' }));
      await import(url);
      return window.treeShakenApp(${JSON.stringify(ADD_ONE_WGSL)});
    })()`);
    // Every value below is exact in float32, so the doubles computed here are the reference.
    const x = [1.5, -2, 3];
    const y = x.map((v, i) => v + [0.5, 2, -1][i]!);
    expect(result).toEqual({
      y,
      methods: [y.reduce((sum, v) => sum + 2 * v, 0)],
      refusal: { typed: true, name: 'ShapeError' },
      custom: x.map((v) => v + 1),
    });
  });
});
