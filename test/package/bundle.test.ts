// The shipped bundle leaves wgsl_reflect out of the core: dist/webgrad.js reflects webgrad's own
// kernels with src/runtime/subsetReflector.ts and imports dist/webgrad-wgsl-reflect.js (which
// holds wgsl_reflect) only from loadCustomOpSupport(). Reads the dist/ that `npm test` built; that
// customOp works through the chunk is test/runtime/custom-op-loading.test.ts, in a page.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './packed-project';

const dist = (file: string): string => readFileSync(join(repoRoot, 'dist', file), 'utf8');
// A keyword in wgsl_reflect's scanner that webgrad's own code and shaders never spell: a string
// literal, so it survives minification wherever wgsl_reflect's code goes.
const MARKER = 'texture_storage_2d_array';

describe('core bundle without wgsl_reflect', () => {
  it('the marker is wgsl_reflect\'s and is found where wgsl_reflect is bundled', () => {
    const library = readFileSync(createRequire(import.meta.url).resolve('wgsl_reflect/wgsl_reflect.module.js'), 'utf8');
    expect(library).toContain(MARKER);
    expect(dist('webgrad-wgsl-reflect.js')).toContain(MARKER);
    // The readable build keeps everything in one file (its dynamic import is inlined).
    expect(dist('webgrad.debug.js')).toContain(MARKER);
  });

  it('dist/webgrad.js has no wgsl_reflect and imports nothing but the reflector chunk, dynamically', () => {
    const core = dist('webgrad.js');
    expect(core).not.toContain(MARKER);
    expect([...core.matchAll(/\bimport\s*\(\s*("[^"]*")\s*\)/g)].map((match) => match[1])).toEqual(['"./webgrad-wgsl-reflect.js"']);
    // No static import: `import"…"` or `import{…}from"…"` (esbuild's minified forms).
    expect(core).not.toMatch(/(^|[;}\n])import\s*["{*]/);
    expect(readdirSync(join(repoRoot, 'dist')).filter((file) => file.endsWith('.js')).sort()).toEqual(['webgrad-wgsl-reflect.js', 'webgrad.debug.js', 'webgrad.js']);
  });
});
