// Builds dist/: webgrad.js (the package's entry for Node and pages without a bundler: one minified
// ESM file, every .wgsl inlined as text without comments and with the least whitespace),
// webgrad-wgsl-reflect.js (wgsl_reflect, minified, which webgrad.js imports dynamically when
// `loadCustomOpSupport()` is called: only user kernels need a full WGSL parser, webgrad's own are
// read by src/runtime/subsetReflector.ts), esm/ (one module per source file, the `module` export
// bundlers read so an app ships only what it imports: scripts/lib/module-tree.mjs),
// webgrad.debug.js (all the code in one readable file, shaders as written, for stack traces and
// stepping) and the .d.ts tree (scripts/lib/declarations.mjs fits it for every consumer's
// moduleResolution).
// Also the package's `prepare` script, so `npm install <git url>` (which installs devDependencies
// and runs prepare) gets a built dist/; it takes a few seconds.
// @ts-check
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finishDeclarations } from './lib/declarations.mjs';
import { buildModuleTree } from './lib/module-tree.mjs';
import { minifyWgsl } from './lib/wgsl-comments.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(repoRoot, 'dist');
const tscPath = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** @type {import('esbuild').Plugin} */
const minifiedWgsl = {
  name: 'minified-wgsl',
  setup(context) {
    context.onLoad({ filter: /\.wgsl$/ }, async ({ path }) => ({
      contents: minifyWgsl(await readFile(path, 'utf8'), relative(repoRoot, path)),
      loader: 'text',
    }));
  },
};

const reflectorChunk = join(repoRoot, 'src', 'runtime', 'wgslReflectChunk.ts');
const REFLECTOR_CHUNK_FILE = 'webgrad-wgsl-reflect.js';

/**
 * Leaves the core's dynamic import of the reflector chunk pointing at its own file beside
 * webgrad.js, built separately: two builds cannot share a chunk, which esbuild's code splitting
 * would create (for its module helpers) and every app would then load as a third file.
 * @type {import('esbuild').Plugin}
 */
const reflectorChunkAsSibling = {
  name: 'reflector-chunk-as-sibling',
  setup(context) {
    context.onResolve({ filter: /\/wgslReflectChunk$/ }, () => ({ path: `./${REFLECTOR_CHUNK_FILE}`, external: true }));
  },
};

/**
 * The chunk is built on its own, so a value it imported from webgrad would be a second copy (a
 * second KernelError class, say, that `instanceof` does not recognise): refuse any but wgsl_reflect.
 * @type {import('esbuild').Plugin}
 */
const onlyWgslReflect = {
  name: 'only-wgsl-reflect',
  setup(context) {
    context.onResolve({ filter: /.*/ }, ({ path, kind }) => (kind === 'entry-point' || path.startsWith('wgsl_reflect/') ? undefined : {
      errors: [{ text: `src/runtime/wgslReflectChunk.ts may import only wgsl_reflect and types, not '${path}' (see scripts/build.mjs)` }],
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
};

// Start empty: files left by an older build (a declaration of a deleted module, a sourcemap)
// would otherwise ship in the package, whose `files` takes dist/ whole.
await rm(distDir, { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: [join(repoRoot, 'src', 'index.ts')], outfile: join(distDir, 'webgrad.js'), minify: true, plugins: [minifiedWgsl, reflectorChunkAsSibling] }),
  build({ ...common, entryPoints: [reflectorChunk], outfile: join(distDir, REFLECTOR_CHUNK_FILE), minify: true, plugins: [onlyWgslReflect] }),
  // The readable build bundles the reflector in (esbuild inlines the dynamic import): one file, the same loading API.
  build({ ...common, entryPoints: [join(repoRoot, 'src', 'index.ts')], outfile: join(distDir, 'webgrad.debug.js') }),
  buildModuleTree({ srcDir: join(repoRoot, 'src'), outDir: join(distDir, 'esm'), reflectorChunk, reflectorChunkOut: join(distDir, REFLECTOR_CHUNK_FILE) }),
]);
execFileSync(process.execPath, [tscPath, '-p', join(repoRoot, 'tsconfig.build.json')], { cwd: repoRoot, stdio: 'inherit' });
await finishDeclarations(distDir, 'index.d.ts');
// stderr: `npm pack --json` runs this as `prepare` and its stdout must stay JSON.
console.error('built dist/webgrad.js, dist/webgrad-wgsl-reflect.js, dist/esm/, dist/webgrad.debug.js and the .d.ts files');
