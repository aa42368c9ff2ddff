// The module graph of src/: no two modules import each other, directly or through others
// (scripts/check-import-cycles.mjs, also runnable on its own). Checked against a hand-made
// graph first, so a checker that finds nothing cannot pass unnoticed. Pure Node: no browser.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
