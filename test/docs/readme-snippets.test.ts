// Every JavaScript block of README.md runs as written (issue 13: "every README code block is
// complete … and a test extracts and runs each one"): page blocks in a test page, Node blocks in a
// Node process through Dawn. A block that throws fails the test with its README line.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICD, openDawnGpu } from '../../scripts/lib/dawn-gpu.mjs';
import { useGpuPage } from '../harness/gpu-page';
import { pageScript, readmeBlocks } from './readme-blocks';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const blocks = readmeBlocks(readFileSync(join(repoRoot, 'README.md'), 'utf8'));

describe('README blocks', () => {
  it('are found: page blocks, Node blocks, and only a few shown-only ones, each with its reason', () => {
    expect(blocks.filter((b) => b.kind === 'page').length).toBeGreaterThan(8);
    for (const block of blocks.filter((b) => b.kind === 'not-run')) {
      expect(block.reason, `README line ${block.line}: a not-run block must say why`).toBeTruthy();
    }
  });

  describe('page blocks', () => {
    const gpu = useGpuPage();
    for (const block of blocks.filter((b) => b.kind === 'page')) {
      it(`README line ${block.line} runs`, async () => {
        const outcome = await gpu.page.evaluate(`${pageScript(block)}.then(() => ({ ok: true }), (error) => ({ ok: false, error: String(error && error.stack || error) }))`) as { ok: boolean; error?: string };
        expect(outcome.error ?? null, `README line ${block.line}`).toBeNull();
      }, 120_000);
    }
  });

  describe('Node blocks', async () => {
    const dawn = await openDawnGpu();
    for (const block of blocks.filter((b) => b.kind === 'node')) {
      it.skipIf(!dawn.gpu)(`README line ${block.line} runs in Node`, () => {
        // Inside the repository, so `import 'webgrad'` is the package's own (self-reference) and
        // `import 'webgpu'` its dev dependency.
        const file = join(repoRoot, `.readme-block-${block.line}.mjs`);
        writeFileSync(file, block.code);
        try {
          const env = { ...process.env };
          if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
          const run = spawnSync(process.execPath, [file], { cwd: repoRoot, env, encoding: 'utf8', timeout: 120_000 });
          expect(run.status, `README line ${block.line}:\n${run.stderr}`).toBe(0);
        } finally {
          rmSync(file, { force: true });
        }
      }, 150_000);
    }
  });
});
