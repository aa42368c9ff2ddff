// vitest globalSetup: one static server on the repo root and one headless Chromium, shared by
// every test file (a browser is gotten first where the machine has none: scripts/lib/ensure-browser.mjs).
// Each file connects to the browser over its WebSocket (see gpu-page.ts), which is much cheaper
// than launching Chromium per file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer';
import type { TestProject } from 'vitest/node';
import { ensureBrowser } from '../../scripts/lib/ensure-browser.mjs';
import { chromeLaunchArgs } from '../../scripts/lib/find-browser.mjs';
import { startStaticServer } from '../../scripts/lib/static-server.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** WebSocket endpoint of the shared headless Chromium, for puppeteer.connect; '' if none started. */
    browserWSEndpoint: string;
    /** Why no browser started ('' if one did): GPU tests fail with it, Node-only tests still run. */
    browserError: string;
    /** http://127.0.0.1:<port> serving the repository root. */
    baseUrl: string;
  }
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'webgrad-chrome-'));
  const server = await startStaticServer(repoRoot);
  let browser: Browser | undefined;
  let browserError = '';
  try {
    browser = await puppeteer.launch({
      // On a fresh machine this downloads or installs a browser first, saying so.
      executablePath: await ensureBrowser(),
      args: chromeLaunchArgs(userDataDir),
      headless: true,
    });
  } catch (error) {
    browserError = error instanceof Error ? error.message : String(error);
  }
  project.provide('browserWSEndpoint', browser?.wsEndpoint() ?? '');
  project.provide('browserError', browserError);
  project.provide('baseUrl', server.url);

  return async () => {
    await browser?.close();
    await server.close();
    // Chrome may still be flushing its profile for a moment after exit.
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
}
