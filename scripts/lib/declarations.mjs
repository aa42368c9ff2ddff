// Makes tsc's .d.ts tree in dist/ work for every consumer setup: moduleResolution NodeNext needs
// relative specifiers with their extension ('./tensor.js', './nn/index.js'), which tsc copies from
// our extension-less sources as written; the GPU types (GPUBuffer, ...) come from @webgpu/types,
// which the entry must reference since consumers do not list it in their own `types`.
// @ts-check
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*)(['"])([^'"]+)\2/g;

/** @param {string} dir @returns {Promise<string[]>} */
async function declarationFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.d.ts')).map((entry) => join(entry.parentPath, entry.name));
}

/**
 * The specifier NodeNext resolves to the same declaration: './x' → './x.js' or './x/index.js'.
 * @param {string} file @param {string} specifier
 */
function explicitSpecifier(file, specifier) {
  const target = resolve(dirname(file), specifier);
  if (existsSync(`${target}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.d.ts'))) return `${specifier}/index.js`;
  throw new Error(`${file}: '${specifier}' names no declaration file in dist/`);
}

/**
 * Rewrites every .d.ts under `distDir` in place and prepends the @webgpu/types reference to the
 * entry. Throws when a declaration imports a package: the bundle inlines its dependencies
 * (wgsl_reflect), so their types are not installed beside ours.
 * @param {string} distDir @param {string} entry
 */
export async function finishDeclarations(distDir, entry) {
  for (const file of await declarationFiles(distDir)) {
    const text = await readFile(file, 'utf8');
    let rewritten = text.replace(SPECIFIER, (match, lead, quote, specifier) => {
      if (!specifier.startsWith('.')) throw new Error(`${relative(distDir, file)} imports '${specifier}': public types must not name a bundled package (mark what uses it @internal)`);
      if (/\.js$/.test(specifier)) return match;
      return `${lead}${quote}${explicitSpecifier(file, specifier)}${quote}`;
    });
    if (file === join(distDir, entry)) rewritten = `/// <reference types="@webgpu/types" />\n${rewritten}`;
    if (rewritten !== text) await writeFile(file, rewritten);
  }
}
