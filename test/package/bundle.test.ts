// The shipped bundle leaves wgsl_reflect out of the core: dist/webgrad.js reflects webgrad's own
// kernels with src/runtime/subsetReflector.ts and imports dist/webgrad-wgsl-reflect.js (which
// holds wgsl_reflect) only from loadCustomOpSupport(). Reads the dist/ that `npm test` built; that
// customOp works through the chunk is test/runtime/custom-op-loading.test.ts, in a page.
// dist/esm/ (the package's `module` export for bundlers) holds one module per source file: every
// import in it must reach a shipped file, and package.json's `sideEffects` must name each module
// whose top level does more than declare, or a bundler would drop what it does.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
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

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name), suffix) : entry.name.endsWith(suffix) ? [join(dir, entry.name)] : []);
}

/** Top-level statements that run code rather than declare: a call, an assignment, a loop or branch. */
function topLevelActions(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  return source.statements.filter((statement) => !(
    ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement) || ts.isExportAssignment(statement) ||
    ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement) ||
    // Initializers are taken to make their own values only (a kernel, an op wrapper), so they are
    // not listed; an elementwise row also enters the op table, which is read only for rows of
    // modules already loaded (src/ops/unary.ts's unaryGradient, for its own rows).
    ts.isVariableStatement(statement)
  )).map((statement) => statement.getText(source).slice(0, 60));
}

describe('dist/esm, the module tree bundlers read', () => {
  const esmDir = join(repoRoot, 'dist', 'esm');
  const srcDir = join(repoRoot, 'src');
  const sources = filesUnder(srcDir, '.ts').filter((file) => !file.endsWith('.d.ts') && !file.endsWith('wgslReflectChunk.ts'));

  it('has one module per source file, and every import it makes is a shipped file beside it', () => {
    const modules = filesUnder(esmDir, '.js');
    const expected = sources.map((file) => join(esmDir, relative(srcDir, file)).replace(/\.ts$/, '.js'));
    expect(modules.filter((file) => !file.includes(`${join(esmDir, 'shaders')}`)).sort()).toEqual(expected.sort());
    const missing: string[] = [];
    for (const module of modules) {
      const code = readFileSync(module, 'utf8');
      for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)"([^"]+)"/g)) {
        // Bare names would need installed packages: webgrad has none at run time.
        if (!specifier?.startsWith('.') || !existsSync(resolve(dirname(module), specifier))) missing.push(`${relative(esmDir, module)} imports "${specifier}"`);
      }
    }
    expect(missing).toEqual([]);
    // customOp's reflector is the one prebuilt chunk, not a second copy of wgsl_reflect in the tree.
    expect(readFileSync(join(esmDir, 'runtime', 'wgslReflectLoader.js'), 'utf8')).toContain('import("../../webgrad-wgsl-reflect.js")');
    expect(modules.filter((file) => readFileSync(file, 'utf8').includes(MARKER))).toEqual([]);
  });

  it("package.json's sideEffects names the single-file builds and every module whose top level acts", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { sideEffects: string[]; exports: Record<string, Record<string, string>> };
    const acting = sources.filter((file) => topLevelActions(file).length > 0).map((file) => `./dist/esm/${relative(srcDir, file).replace(/\.ts$/, '.js')}`);
    // src/index.ts installs the Tensor methods; runtime and memory modules subscribe to device loss;
    // adam.ts gives adamW its instanceof.
    expect(acting).toContain('./dist/esm/index.js');
    expect([...manifest.sideEffects].sort()).toEqual(['./dist/webgrad.debug.js', './dist/webgrad.js', ...acting].sort());
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', module: './dist/esm/index.js', import: './dist/webgrad.js' });
  });
});
