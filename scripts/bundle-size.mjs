// Sizes of the shipped files: minified bytes and gzip -9 bytes of dist/webgrad.js (the core every
// app loads), dist/webgrad-wgsl-reflect.js (loaded only by loadCustomOpSupport, for customOp) and
// dist/webgrad.debug.js. With --compare, also jax-js and TF.js (core + layers + webgpu backend)
// from the versions in devDependencies, bundled and minified by the same esbuild, so the figures
// are measured the same way. Run `npm run build` first.
//   node scripts/bundle-size.mjs [--compare] [--json]
// @ts-check
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot } from './lib/repo.mjs';

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

/** Each measured file or library by name. */
export async function bundleSizes({ compare = false } = {}) {
  const core = await distFile('webgrad.js');
  const reflector = await distFile('webgrad-wgsl-reflect.js');
  /** @type {Record<string, { minified: number, gzipped: number }>} */
  const sizes = {
    'webgrad dist/webgrad.js (core)': measure(core),
    'webgrad dist/webgrad-wgsl-reflect.js (customOp only)': measure(reflector),
    'webgrad dist/webgrad.debug.js (readable, all in one)': measure(await distFile('webgrad.debug.js')),
  };
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
