// Builds dist/: webgrad.js (one ESM file, every .wgsl inlined as text) and the .d.ts tree.
// Also the package's `prepare` script, so `npm install <git url>` (which installs devDependencies
// and runs prepare) gets a built dist/; it takes a few seconds.
// @ts-check
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = join(repoRoot, 'dist');
const tscPath = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// Start empty: files left by an older build (a declaration of a deleted module, a sourcemap)
// would otherwise ship in the package, whose `files` takes dist/ whole.
rmSync(distDir, { recursive: true, force: true });

await build({
  entryPoints: [join(repoRoot, 'src', 'index.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  outfile: join(distDir, 'webgrad.js'),
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
});
execFileSync(process.execPath, [tscPath, '-p', join(repoRoot, 'tsconfig.build.json')], { cwd: repoRoot, stdio: 'inherit' });
console.log('built dist/webgrad.js');
