// The shape of src/: no two modules import each other, directly or through others
// (scripts/check-import-cycles.mjs, also runnable on its own), and only a few files launch kernels.
// Each checker runs on hand-made input first, so one that finds nothing cannot pass unnoticed.
// Pure Node: no browser.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findImportCycles } from '../scripts/check-import-cycles.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('import cycles', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'webgrad-cycles-'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(join(fixture, path, '..'), { recursive: true });
    writeFileSync(join(fixture, path), text);
  };

  it('are found through value imports, re-exports and index files, not through type-only imports', () => {
    write('src/a.ts', "import { b } from './b';\nexport const a = b;\n");
    write('src/b.ts', "export { c as b } from './dir';\n");
    write('src/dir/index.ts', "import { a } from '../a';\nexport const c = 1;\nexport const d = a;\n");
    write('src/typed.ts', "import type { T } from './typed2';\nimport { type U } from './typed2';\nexport type V = T | U;\n");
    write('src/typed2.ts', "import { V } from './typed';\nexport type T = V;\nexport type U = number;\n");
    write('src/self.ts', "import * as me from './self';\nimport shader from '../shaders/x.wgsl';\nexport const s = [me, shader];\n");
    expect(findImportCycles(fixture)).toEqual([['src/a.ts', 'src/b.ts', 'src/dir/index.ts'], ['src/self.ts']]);
  });

  it('are absent from src/', () => {
    expect(findImportCycles(repoRoot)).toEqual([]);
  });
});

/**
 * Files under src/ that call `launch` or `defineKernel` outside comments. The pattern needs the
 * bare name before its parenthesis, so `launchMatmul(` or `opKernel(` do not count.
 */
function kernelLaunchers(files: Record<string, string>): string[] {
  const withoutComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return Object.entries(files)
    .filter(([, text]) => /(?<![\w.$])(launch|defineKernel)\s*\(/.test(withoutComments(text)))
    .map(([path]) => path)
    .sort();
}

function sourceTexts(dir: string): Record<string, string> {
  const texts: Record<string, string> = {};
  const visit = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) texts[relative(repoRoot, path).split(sep).join('/')] = readFileSync(path, 'utf8');
    }
  };
  visit(dir);
  return texts;
}

describe('kernel launches', () => {
  /**
   * Outside src/runtime/, only these run WGSL: the elementwise op table, the kernel-op helper every
   * other op goes through, customOp (its public face), the optimizer template with the base class
   * that launches it, and wg.jit's fused-group helpers, through which its fusers define the kernels
   * they generate from the table's rows (alone, around a reduce pass, in a matmul's epilogue).
   */
  const allowed = ['src/ops/elementwise.ts', 'src/ops/kernelOp.ts', 'src/ops/custom.ts', 'src/optim/updateKernel.ts', 'src/optim/optimizer.ts', 'src/jit/fusedGroup.ts'];

  it('are found in calls, not in comments, longer names or methods', () => {
    expect(kernelLaunchers({
      'a.ts': 'launch(kernel, { threads: 1 });',
      'b.ts': "const k = defineKernel ('x', source);",
      'c.ts': '// launch(kernel) in a comment\n/* defineKernel(name) */ launchMatmul(variant, problem); opKernel(name, source); queue.launch(x);',
    })).toEqual(['a.ts', 'b.ts']);
  });

  it('happen only in the runtime, the elementwise table, the kernel-op helper, customOp and the optimizer template', () => {
    const launchers = kernelLaunchers(sourceTexts(join(repoRoot, 'src'))).filter((path) => !path.startsWith('src/runtime/'));
    expect(launchers.filter((path) => !allowed.includes(path))).toEqual([]);
  });
});
