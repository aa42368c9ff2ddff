// Builds dist/webgrad.js (one ESM file, every .wgsl inlined as text) and dist/*.d.ts.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';

await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  outfile: 'dist/webgrad.js',
  loader: { '.wgsl': 'text' },
  sourcemap: true,
  logLevel: 'warning',
});
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
console.log('built dist/webgrad.js');
