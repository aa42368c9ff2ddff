// Builds dist/: webgrad.js (the package's entry: one minified ESM file, every .wgsl inlined as
// text without its comments), webgrad.debug.js (the same code readable, shaders as written, for
// stack traces and stepping) and the .d.ts tree (scripts/lib/declarations.mjs fits it for every
// consumer's moduleResolution).
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
import { stripWgslComments } from './lib/wgsl-comments.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(repoRoot, 'dist');
const tscPath = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** @type {import('esbuild').Plugin} */
const wgslWithoutComments = {
  name: 'wgsl-without-comments',
  setup(context) {
    context.onLoad({ filter: /\.wgsl$/ }, async ({ path }) => ({
      contents: stripWgslComments(await readFile(path, 'utf8'), relative(repoRoot, path)),
      loader: 'text',
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const common = {
  entryPoints: [join(repoRoot, 'src', 'index.ts')],
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
  build({ ...common, outfile: join(distDir, 'webgrad.js'), minify: true, plugins: [wgslWithoutComments] }),
  build({ ...common, outfile: join(distDir, 'webgrad.debug.js') }),
]);
execFileSync(process.execPath, [tscPath, '-p', join(repoRoot, 'tsconfig.build.json')], { cwd: repoRoot, stdio: 'inherit' });
await finishDeclarations(distDir, 'index.d.ts');
// stderr: `npm pack --json` runs this as `prepare` and its stdout must stay JSON.
console.error('built dist/webgrad.js, dist/webgrad.debug.js and the .d.ts files');
