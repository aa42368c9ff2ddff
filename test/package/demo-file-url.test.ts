// A demo opened from disk (file://) cannot load its modules; instead of empty panels it must say
// to run `npm start`, and end the demoStatus handshake with that error so `npm run demo` and the
// tests do not wait for it. Every page under demos/ is opened from its file:// URL.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { waitForPageValue } from '../harness/page-wait';
import { repoRoot } from './packed-project';

const gpu = useGpuPage();

const demosDir = join(repoRoot, 'demos');
const pages = [
  join(demosDir, 'index.html'),
  ...readdirSync(demosDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(demosDir, entry.name, 'index.html')))
    .map((entry) => join(demosDir, entry.name, 'index.html')),
];

describe('demo pages opened from file://', () => {
  it('finds the catalog and the demos', () => {
    expect(pages.length).toBeGreaterThanOrEqual(5);
  });

  it.each(pages.map((path) => [path.slice(repoRoot.length + 1), path]))('%s says to run npm start', async (_name, path) => {
    const page = await gpu.page.browser().newPage({ type: 'window' });
    try {
      await page.goto(pathToFileURL(path).href);
      const text = await waitForPageValue<string>(page, "document.getElementById('file-protocol-message')?.textContent", {
        timeoutMs: 10_000,
        what: 'the file:// message',
      });
      expect(text).toContain('npm start');
      expect(text).toContain(`http://localhost:8080/demos/${path.slice(demosDir.length + 1).replace(/index\.html$/, '')}`);
      const status = (await page.evaluate('window.demoStatus')) as { done: boolean; error?: string };
      expect(status.done).toBe(true);
      expect(status.error).toMatch(/^FileProtocolError: .*npm start/);
    } finally {
      await page.close();
    }
  });

  it('stay quiet over http: the catalog lists its demos and shows no such message', async () => {
    const page = await gpu.page.browser().newPage({ type: 'window' });
    try {
      await page.goto(`${inject('baseUrl')}/demos/index.html`);
      await waitForPageValue(page, "document.querySelectorAll('#demos dt').length > 0", { timeoutMs: 10_000, what: 'the demo catalog' });
      expect(await page.evaluate("document.getElementById('file-protocol-message') === null")).toBe(true);
    } finally {
      await page.close();
    }
  });
});
