import { readFile } from 'node:fs/promises';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// Node-side tests import shaders the way the esbuild bundle does: as their source text.
function wgslAsText(): Plugin {
  return {
    name: 'webgrad-wgsl-as-text',
    enforce: 'pre',
    async load(id) {
      const path = id.split('?')[0];
      if (!path.endsWith('.wgsl')) return null;
      return `export default ${JSON.stringify(await readFile(path, 'utf8'))};`;
    },
  };
}

export default defineConfig({
  plugins: [wgslAsText()],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores, and SwiftShader runs WebGPU on the CPU: more parallel files only contend.
    maxWorkers: 2,
    // CI logs list every test; either way the run ends with each file's outcome, a file whose
    // set-up failed counted as failed (see the reporter).
    reporters: [process.env.CI ? 'verbose' : 'default', './test/harness/outcome-reporter.ts'],
  },
});
