// Sizes, minified bytes and gzip -9 bytes:
//   - dist/webgrad.js, all of webgrad in one file: what `import * as wg from 'webgrad'` loads in
//     Node or a page without a bundler (every synchronous API is in it, so none can load later);
//   - dist/webgrad-wgsl-reflect.js, the chunk only `loadCustomOpSupport()` (customOp) loads;
//   - dist/webgrad.debug.js, the readable build;
//   - two apps bundled (minified, as an app would ship) by esbuild and by Vite 8 (Rolldown) from the
//     packed package, which bundlers read through its `module` export (dist/esm/, one module per
//     source file) and its `sideEffects` list: the core, `{ init, tensor, add }` (the device
//     runtime, tensors and every op that is a Tensor method, with their shaders), and a Sequential
//     model trained by fit. Only the file the page loads first counts: a chunk loaded on demand
//     (customOp's reflector) does not.
// With --compare, also jax-js and TF.js (core + layers + webgpu backend) from the versions in
// devDependencies, bundled and minified by the same esbuild, so the figures are measured the same
// way. Run `npm run build` first.
//   node scripts/bundle-size.mjs [--compare] [--json]
// @ts-check
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot } from './lib/repo.mjs';

/** The apps measured: each the code a user writes, importing the package by name. */
export const APPS = {
  core: "import { init, tensor, add } from 'webgrad';\nawait init();\nconsole.log(await add(tensor([1, 2]), tensor([3, 4])).array());",
  sequential: [
    "import * as wg from 'webgrad';",
    'await wg.init();',
    "const model = new wg.Sequential([new wg.layers.Dense(8, { activation: 'relu', inputShape: [2] }), new wg.layers.Dense(1)]);",
    "model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });",
    'await model.fit(wg.tensor([[0, 1], [1, 0]]), wg.tensor([[1], [1]]), { epochs: 2 });',
  ].join('\n'),
};

/** @param {Uint8Array} bytes */
const measure = (bytes) => ({ minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length });

/** @param {string} file */
async function distFile(file) {
  try {
    return await readFile(join(repoRoot, 'dist', file));
  } catch {
    throw new Error(`dist/${file} is missing: run \`npm run build\` first`);
  }
}

/**
 * A library bundled whole (every export kept), minified, in one file.
 * @param {string} source the entry module's text
 */
async function bundled(source) {
  const result = await build({
    stdin: { contents: source, resolveDir: repoRoot, loader: 'js' },
    bundle: true, format: 'esm', target: 'es2022', platform: 'browser', minify: true, write: false, logLevel: 'error',
  });
  return result.outputFiles[0].contents;
}

/**
 * An app's own bundle as esbuild ships it (minified, code splitting on so a dynamic import stays a
 * chunk of its own): the first file, which the page loads; chunks loaded later are not counted.
 * @param {string} source the app's code
 * @param {string} projectDir where `webgrad` resolves (node_modules/webgrad)
 */
export async function appSize(source, projectDir) {
  const result = await build({
    stdin: { contents: source, resolveDir: projectDir, loader: 'js', sourcefile: 'app.js' },
    bundle: true, format: 'esm', target: 'es2022', platform: 'browser', minify: true, splitting: true,
    outdir: join(projectDir, 'out'), write: false, logLevel: 'error',
  });
  const app = result.outputFiles.find((file) => file.path.endsWith('app.js')) ?? result.outputFiles[0];
  return measure(app.contents);
}

/**
 * The app built by Vite (Rolldown, its production minifier) as a page's entry script: the entry
 * chunk's code. `oneFile` inlines dynamic imports, for a test that loads the app from a blob URL.
 * @param {string} source
 * @param {string} projectDir
 * @param {{ oneFile?: boolean }} [options]
 */
export async function viteApp(source, projectDir, { oneFile = false } = {}) {
  const { build: viteBuild } = await import('vite');
  const appDir = await mkdtemp(join(projectDir, 'vite-app-'));
  await writeFile(join(appDir, 'app.js'), source);
  await writeFile(join(appDir, 'index.html'), '<script type="module" src="./app.js"></script>\n');
  const output = await viteBuild({
    root: appDir, configFile: false, logLevel: 'silent',
    // modulePreload off: its polyfill is Vite's code, not webgrad's.
    build: { write: false, minify: true, target: 'es2022', modulePreload: false, rolldownOptions: { output: { codeSplitting: !oneFile } } },
  });
  const results = Array.isArray(output) ? output : [output];
  const chunks = results.flatMap((result) => ('output' in result ? result.output : [])).filter((file) => file.type === 'chunk' && file.isEntry);
  if (chunks.length !== 1 || chunks[0].type !== 'chunk') throw new Error(`Vite built ${chunks.length} entry chunks, expected 1`);
  return chunks[0].code;
}

/** @param {string} source @param {string} projectDir */
export const viteAppSize = async (source, projectDir) => measure(new TextEncoder().encode(await viteApp(source, projectDir)));

/** `npm pack` of the built repository unpacked as node_modules/webgrad of a temp project (no install: webgrad has no runtime dependency). */
export async function packedProject() {
  const root = await mkdtemp(join(tmpdir(), 'webgrad-size-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', root], { cwd: repoRoot, encoding: 'utf8' }));
  await mkdir(join(root, 'node_modules', 'webgrad'), { recursive: true });
  execFileSync('tar', ['-xzf', join(root, packed[0].filename), '-C', join(root, 'node_modules', 'webgrad'), '--strip-components=1']);
  return { projectDir: root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Each measured file or library by name. */
export async function bundleSizes({ compare = false } = {}) {
  /** @type {Record<string, { minified: number, gzipped: number }>} */
  const sizes = {
    'webgrad dist/webgrad.js (all of webgrad, one file)': measure(await distFile('webgrad.js')),
    'webgrad dist/webgrad-wgsl-reflect.js (customOp only)': measure(await distFile('webgrad-wgsl-reflect.js')),
    'webgrad dist/webgrad.debug.js (readable, all in one)': measure(await distFile('webgrad.debug.js')),
  };
  const project = await packedProject();
  try {
    sizes['webgrad core: app of { init, tensor, add }, esbuild'] = await appSize(APPS.core, project.projectDir);
    sizes['webgrad core: app of { init, tensor, add }, Vite 8'] = await viteAppSize(APPS.core, project.projectDir);
    sizes['webgrad app: Sequential + fit, esbuild'] = await appSize(APPS.sequential, project.projectDir);
    sizes['webgrad app: Sequential + fit, Vite 8'] = await viteAppSize(APPS.sequential, project.projectDir);
  } finally {
    await project.cleanup();
  }
  if (compare) {
    sizes['jax-js (@jax-js/jax, all of it)'] = measure(await bundled("export * from '@jax-js/jax';"));
    sizes['TF.js core + layers + webgpu backend'] = measure(await bundled(
      "export * from '@tensorflow/tfjs-core'; export * from '@tensorflow/tfjs-layers'; export * from '@tensorflow/tfjs-backend-webgpu';",
    ));
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await bundleSizes({ compare: process.argv.includes('--compare') });
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(sizes, null, 2));
  } else {
    const kB = (/** @type {number} */ bytes) => `${(bytes / 1000).toFixed(1)} kB`;
    console.log('| | minified | gzip -9 |\n| --- | --- | --- |');
    for (const [name, size] of Object.entries(sizes)) console.log(`| ${name} | ${kB(size.minified)} | ${kB(size.gzipped)} |`);
  }
}
