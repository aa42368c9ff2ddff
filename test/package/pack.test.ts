// The npm package as a user gets it: only dist/, README and LICENSE ship; the tarball installs
// offline (wgsl_reflect is bundled, in the chunk customOp loads; the one dependency, @webgpu/types,
// is types only) and imports in plain Node by its `exports` map, the chunk included; init() without WebGPU fails with the typed error the README
// promises.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAndInstall, type PackedProject } from './packed-project';

describe('npm package', () => {
  let packed: PackedProject;
  beforeAll(async () => { packed = await packAndInstall(); });
  afterAll(async () => { await packed?.cleanup(); });

  it('ships dist/, README.md and LICENSE and nothing else', () => {
    const paths = packed.pack.files.map((file) => file.path);
    const outside = paths.filter((path) => !path.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(path));
    expect(outside).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/webgrad.js', 'dist/webgrad-wgsl-reflect.js', 'dist/webgrad.debug.js', 'dist/index.d.ts', 'dist/esm/index.js']));
    // Sourcemaps would be the largest files (1.65 MB before) and point at src/, which does not ship.
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
    expect(paths.filter((path) => /(^|\/)(test|bench|demos)\//.test(path))).toEqual([]);
  });

  it('ships the minified bundle as its entry and the readable one beside it', () => {
    const size = (path: string): number => packed.pack.files.find((file) => file.path === path)?.size ?? 0;
    // The readable build keeps names, indentation and shader comments; minified code and stripped
    // shaders measured 386 kB against 581 kB when this was written.
    expect(size('dist/webgrad.js')).toBeGreaterThan(0);
    expect(size('dist/webgrad.js')).toBeLessThan(0.75 * size('dist/webgrad.debug.js'));
  });

  it('has an MIT LICENSE, as package.json says, and no runtime dependency', async () => {
    const manifest = JSON.parse(await readFile(join(packed.projectDir, 'node_modules/webgrad/package.json'), 'utf8')) as { license: string; dependencies?: Record<string, string> };
    expect(manifest.license).toBe('MIT');
    // Nothing runs from node_modules but our bundle: the only dependency declares the GPU types.
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['@webgpu/types']);
    const license = await readFile(join(packed.projectDir, 'node_modules/webgrad/LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} webgrad contributors/);
  });

  it('imports in Node through its exports map; without WebGPU isSupported() is false and init() throws WebGPUUnavailableError', async () => {
    await writeFile(join(packed.projectDir, 'check.mjs'), `
      const wg = await import('webgrad');
      const debug = await import('webgrad/debug');
      const report = { resolved: import.meta.resolve('webgrad'), debugResolved: import.meta.resolve('webgrad/debug'), debugSequential: typeof debug.Sequential, init: typeof wg.init, tensor: typeof wg.tensor, Sequential: typeof wg.Sequential };
      report.supported = await wg.isSupported();
      // customOp's reflector chunk resolves beside the entry file (no device needed to load it).
      await wg.loadCustomOpSupport();
      await debug.loadCustomOpSupport();
      report.customOpSupport = 'loaded';
      // The module tree bundlers read (the 'module' condition, which Node ignores) imports in Node too,
      // its reflector import included, and throws its own typed errors.
      const tree = await import('./node_modules/webgrad/dist/esm/index.js');
      await tree.loadCustomOpSupport();
      report.tree = { Sequential: typeof tree.Sequential, supported: await tree.isSupported() };
      try {
        await tree.init();
      } catch (error) {
        report.tree.error = { typed: error instanceof tree.WebGPUUnavailableError, name: error.name };
      }
      try {
        await wg.init();
        report.error = null;
      } catch (error) {
        report.error = { name: error.name, typed: error instanceof wg.WebGPUUnavailableError, message: error.message };
      }
      console.log(JSON.stringify(report));
    `);
    const report = JSON.parse(await packed.exec(process.execPath, ['check.mjs'])) as Record<string, unknown>;
    expect(report).toMatchObject({ init: 'function', tensor: 'function', Sequential: 'function', supported: false, customOpSupport: 'loaded' });
    expect(report.resolved).toMatch(/\/node_modules\/webgrad\/dist\/webgrad\.js$/);
    expect(report.debugResolved).toMatch(/\/node_modules\/webgrad\/dist\/webgrad\.debug\.js$/);
    expect(report.debugSequential).toBe('function');
    expect(report.tree).toEqual({ Sequential: 'function', supported: false, error: { typed: true, name: 'WebGPUUnavailableError' } });
    expect(report.error).toMatchObject({ name: 'WebGPUUnavailableError', typed: true, message: expect.stringContaining('navigator.gpu is not available') });
  });
});
