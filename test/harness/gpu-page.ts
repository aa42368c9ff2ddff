// Runs test code inside a page of the shared headless Chromium (see global-setup.ts), where the
// built bundle is loaded as window.wg with WebGPU initialised.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { afterAll, beforeAll, inject } from 'vitest';
import { decodePageJson, encodePageJson, pageJsonReplacer, pageJsonReviver } from './page-json';
import { reflectionMismatches, type CompiledSource } from './reflection-check';

/** The webgrad module as the page sees it (type-only: nothing from src/ is loaded in Node). */
export type Webgrad = typeof import('../../src/index');

/** A function run inside the page. It must be self-contained: it is sent as source text. */
export type PageFunction<A, R> = (wg: Webgrad, args: A) => Promise<R> | R;

export interface GpuPage {
  /**
   * Runs fn(window.wg, args) in the page and returns its result. fn is sent as source text, so it
   * cannot use variables from the test file; pass them in args. Args and result cross as JSON,
   * extended to keep NaN, ±Infinity, -0 and typed arrays. An error thrown in the page is rethrown
   * here as a PageError whose message is "<name>: <message>", e.g. "ShapeError: matmul …".
   */
  run<A, R>(fn: PageFunction<A, R>, args?: A): Promise<R>;
  /** console.error messages and uncaught page errors seen so far. */
  consoleErrors(): string[];
  close(): Promise<void>;
  /** The puppeteer page, for anything run() does not cover. */
  readonly page: Page;
}

/** An error thrown inside the test page. */
export class PageError extends Error {
  override name = 'PageError';
  constructor(
    /** The page error's own name, e.g. "ShapeError". */
    readonly pageErrorName: string,
    readonly pageErrorMessage: string,
    readonly pageStack: string,
  ) {
    super(`${pageErrorName}: ${pageErrorMessage}`);
    if (pageStack) this.stack = `${this.stack ?? ''}\n  --- stack inside the page ---\n${pageStack}`;
  }
}

type PageOutcome =
  | { ok: true; result: string | undefined }
  | { ok: false; name: string; message: string; stack: string };

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundlePath = resolve(repoRoot, 'dist', 'webgrad.js');

/** The page-side wrapper: decode args, call fn, encode the result or describe the error. */
function pageScript(fnSource: string, encodedArgs: string | undefined): string {
  return `(async () => {
  const replacer = ${pageJsonReplacer.toString()};
  const reviver = ${pageJsonReviver.toString()};
  try {
    const args = ${encodedArgs === undefined ? 'undefined' : `JSON.parse(${JSON.stringify(encodedArgs)}, reviver)`};
    const result = await (${fnSource})(window.wg, args);
    return { ok: true, result: JSON.stringify(result, replacer) };
  } catch (error) {
    const isError = error instanceof Error;
    return {
      ok: false,
      name: isError ? error.name : 'thrown value',
      message: isError ? error.message : String(error),
      stack: isError && error.stack ? String(error.stack) : '',
    };
  }
})()`;
}

/**
 * How long webgrad may take to initialise in a fresh page. It takes well under a second; the
 * margin is for a machine whose two cores are busy with SwiftShader work from other test files.
 */
const STARTUP_TIMEOUT_MS = 60_000;

/** Awaits the page's own startup promise (see page.html): no polling, no animation frames. */
async function awaitStartup(page: Page): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`webgrad did not finish initialising in the test page within ${STARTUP_TIMEOUT_MS / 1000} s`)),
      STARTUP_TIMEOUT_MS,
    );
  });
  try {
    const startup = (await Promise.race([page.evaluate('window.wgStartup'), timeout])) as { ok: boolean; error?: string };
    if (!startup.ok) throw new Error(`webgrad failed to initialise in the test page:\n${startup.error ?? 'no reason given'}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens a fresh page on the shared browser and waits until webgrad has initialised in it. */
export async function openGpuPage(): Promise<GpuPage> {
  if (!existsSync(bundlePath)) {
    throw new Error(`${bundlePath} does not exist: run \`npm run build\` first (\`npm test\` does it for you).`);
  }
  const browserError = inject('browserError');
  if (browserError) throw new Error(`the shared headless browser did not start: ${browserError}`);
  const browser: Browser = await puppeteer.connect({ browserWSEndpoint: inject('browserWSEndpoint') });
  // A window of its own rather than a tab: Chromium shows one tab per window, and a hidden tab gets
  // no animation frames, so demo plots (drawn per frame) would stall while another file's page is
  // in front.
  const page = await browser.newPage({ type: 'window' });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const { url } = message.location();
    errors.push(url ? `${message.text()} (${url})` : message.text());
  });
  page.on('pageerror', (error) => {
    errors.push(`uncaught: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  });

  const close = async (): Promise<void> => {
    let mismatches: string[] = [];
    if (!page.isClosed()) {
      // A page that crashed or navigated away has nothing to give: its kernels go unchecked.
      const sources = (await page.evaluate('[...(window.wgShaderSources ?? [])].map(([code, label]) => ({ code, label }))').catch(() => [])) as CompiledSource[];
      mismatches = reflectionMismatches(sources);
      await page.close();
    }
    await browser.disconnect();
    if (mismatches.length > 0) {
      throw new Error(`webgrad's subset reflector and wgsl_reflect read ${mismatches.length} kernel(s) of this file differently:\n${mismatches.join('\n')}`);
    }
  };

  try {
    await page.goto(`${inject('baseUrl')}/test/harness/page.html`);
    await awaitStartup(page);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    page,
    async run<A, R>(fn: PageFunction<A, R>, args?: A): Promise<R> {
      const outcome = (await page.evaluate(pageScript(fn.toString(), encodePageJson(args)))) as PageOutcome;
      if (!outcome.ok) throw new PageError(outcome.name, outcome.message, outcome.stack);
      return decodePageJson(outcome.result) as R;
    },
    consoleErrors: () => [...errors],
    close,
  };
}

/**
 * Gives a test file one page, opened before its tests and closed after them:
 *   const gpu = useGpuPage();
 *   it('adds', async () => { expect(await gpu.run((wg, n) => n + 1, 1)).toBe(2); });
 */
export function useGpuPage(): GpuPage {
  let current: GpuPage | undefined;
  beforeAll(async () => {
    current = await openGpuPage();
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  const opened = (): GpuPage => {
    if (!current) throw new Error('useGpuPage(): the page exists only while the tests of this file run');
    return current;
  };
  return {
    get page() {
      return opened().page;
    },
    run: (fn, args) => opened().run(fn, args),
    consoleErrors: () => opened().consoleErrors(),
    close: () => opened().close(),
  };
}
