// Builds dist/esm/: one minified ES module per source file, as the package's `module` export for
// bundlers (esbuild, Vite, Rollup, webpack). A bundler drops whole modules an app never reaches,
// which it cannot do inside the single-file dist/webgrad.js, so an app importing `{ init, tensor,
// add }` ships that and what it needs, not every layer and optimizer. package.json's
// `sideEffects` lists the modules that must run even when none of their exports is used.
// @ts-check
import { build } from 'esbuild';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { minifyWgsl } from './wgsl-comments.mjs';

/** @param {string} dir @returns {Promise<string[]>} */
async function sourceFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  }));
  return nested.flat();
}

/** `./x` or `../x` from one file's folder to another file. @param {string} from @param {string} to */
const specifier = (from, to) => {
  const path = relative(dirname(from), to).split('\\').join('/');
  return path.startsWith('.') ? path : `./${path}`;
};

/**
 * @param {object} paths
 * @param {string} paths.srcDir the TypeScript sources
 * @param {string} paths.outDir where the modules go (dist/esm)
 * @param {string} paths.reflectorChunk the source of the customOp chunk, which stays a prebuilt file
 * @param {string} paths.reflectorChunkOut that prebuilt file (dist/webgrad-wgsl-reflect.js)
 */
export async function buildModuleTree({ srcDir, outDir, reflectorChunk, reflectorChunkOut }) {
  const entryPoints = (await sourceFiles(srcDir)).filter((file) => file !== reflectorChunk);
  const shadersDir = join(srcDir, '..', 'shaders');
  /** Where a shader's module goes: dist/esm/shaders/<path>.wgsl.js. @param {string} shader */
  const shaderModule = (shader) => join(outDir, 'shaders', `${relative(shadersDir, shader)}.js`);
  const shaders = new Set();
  /** Every import stays an import: of the sibling module's .js, a shader's .wgsl.js, or the prebuilt chunk. @type {import('esbuild').Plugin} */
  const importsStayImports = {
    name: 'imports-stay-imports',
    setup(context) {
      context.onResolve({ filter: /^\./ }, async ({ path, importer, kind, resolveDir, pluginData }) => {
        // The lookup below (which finds `./nn` as nn/index.ts) comes back through here: let it pass.
        if (kind === 'entry-point' || pluginData === 'resolved') return undefined;
        const target = resolve(resolveDir, path);
        const out = join(outDir, relative(srcDir, importer));
        if (target === reflectorChunk.replace(/\.ts$/, '')) return { path: specifier(out, reflectorChunkOut), external: true };
        if (target.endsWith('.wgsl')) {
          shaders.add(target);
          return { path: specifier(out, shaderModule(target)), external: true };
        }
        const resolved = await context.resolve(path, { kind, resolveDir, pluginData: 'resolved' });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return { path: specifier(out, join(outDir, relative(srcDir, resolved.path)).replace(/\.ts$/, '.js')), external: true };
      });
    },
  };
  await build({
    entryPoints, outdir: outDir, outbase: srcDir, bundle: true, format: 'esm', target: 'es2022', platform: 'browser',
    // Not minifyWhitespace: esbuild drops /* @__PURE__ */ annotations with it, and they let the
    // app's bundler drop an unused op wrapper (src/ops/public.ts); that bundler minifies anyway.
    minifySyntax: true, minifyIdentifiers: true, logLevel: 'warning', plugins: [importsStayImports],
  });
  await Promise.all([...shaders].map(async (shader) => {
    const out = shaderModule(shader);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `export default ${JSON.stringify(minifyWgsl(await readFile(shader, 'utf8'), relative(join(srcDir, '..'), shader)))};\n`);
  }));
}
