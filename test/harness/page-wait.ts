// Waiting for a condition inside a test page without depending on the page's animation frames or
// timers. Pages of the shared browser run side by side, and Chromium gives a page in a background
// tab no animation frames at all, so puppeteer's default waitForFunction (requestAnimationFrame
// polling) can stall until some other test file closes its page. Polling from Node with short,
// separate evaluate calls needs nothing from the page but its JavaScript thread, and no single
// protocol call runs into puppeteer's 180 s protocol timeout on a slow, loaded machine.
import type { Page } from 'puppeteer';

export interface PageWaitOptions {
  /** How long to wait in all, in milliseconds. */
  timeoutMs: number;
  /** What is awaited, for the timeout message ("the XOR demo to finish"). */
  what: string;
  /** Time between checks, in milliseconds (default 250). */
  intervalMs?: number;
}

/**
 * Evaluates `expression` (source text, run in the page) until its value is truthy and returns
 * that value; throws an Error naming `what` and the time waited once `timeoutMs` has passed.
 */
export async function waitForPageValue<T>(page: Page, expression: string, options: PageWaitOptions): Promise<T> {
  const started = Date.now();
  const intervalMs = options.intervalMs ?? 250;
  for (;;) {
    const value = (await page.evaluate(expression)) as T;
    if (value) return value;
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs) {
      throw new Error(`timed out after ${(waited / 1000).toFixed(1)} s waiting for ${options.what} (${expression})`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, options.timeoutMs - waited)));
  }
}

/** Waits for a demo page to publish `window.demoStatus` with `done: true`, and returns it. */
export function waitForDemoDone<T>(page: Page, demo: string, timeoutMs: number): Promise<T> {
  return waitForPageValue<T>(page, 'window.demoStatus && window.demoStatus.done === true && window.demoStatus', {
    timeoutMs,
    what: `the ${demo} demo to finish`,
    intervalMs: 1000,
  });
}
