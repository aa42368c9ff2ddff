// Smoke tests for the test harness itself: browser discovery, WebGPU in the page, and what
// crosses between Node and the page.
import { accessSync, constants } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chromeLaunchArgs, findBrowser } from '../../scripts/lib/find-browser.mjs';
import { openGpuPage, PageError, useGpuPage } from './gpu-page';
import { waitForPageValue } from './page-wait';

describe('findBrowser', () => {
  it('returns an existing executable', () => {
    const path = findBrowser();
    expect(() => accessSync(path, constants.X_OK)).not.toThrow();
  });

  it('launch args enable WebGPU headlessly in the given profile', () => {
    const args = chromeLaunchArgs('/tmp/profile');
    expect(args).toContain('--enable-unsafe-webgpu');
    expect(args).toContain('--headless=new');
    expect(args).toContain('--user-data-dir=/tmp/profile');
  });
});

describe('GPU page', () => {
  const gpu = useGpuPage();

  it('has a WebGPU adapter in a secure context', async () => {
    const info = await gpu.run(async () => {
      const adapter = await navigator.gpu.requestAdapter();
      return { secure: window.isSecureContext, hasAdapter: adapter !== null };
    });
    expect(info).toEqual({ secure: true, hasAdapter: true });
  });

  it('passes args in and results out, keeping NaN, Infinity, -0 and typed arrays', async () => {
    const out = await gpu.run(
      (_wg, args) => ({
        doubled: Array.from(args.values, (v) => v * 2),
        specials: [NaN, Infinity, -Infinity, -0],
        floats: new Float32Array(args.values),
        type: args.typed.constructor.name,
      }),
      { values: [1, 2.5, -3], typed: new Int32Array([7, 8]) },
    );
    expect(out.doubled).toEqual([2, 5, -6]);
    expect(out.specials).toEqual([NaN, Infinity, -Infinity, -0]);
    expect(Object.is(out.specials[3], -0)).toBe(true);
    expect(out.floats).toBeInstanceOf(Float32Array);
    expect(Array.from(out.floats)).toEqual([1, 2.5, -3]);
    expect(out.type).toBe('Int32Array');
  });

  it('does not capture the Node scope: page functions see only wg and args', async () => {
    const nodeOnly = 42;
    await expect(gpu.run(() => nodeOnly)).rejects.toThrow(/ReferenceError: nodeOnly is not defined/);
  });

  it('rethrows page errors with their name and message', async () => {
    const failing = gpu.run((_wg, shapes) => {
      class ShapeError extends Error {
        override name = 'ShapeError';
      }
      throw new ShapeError(`matmul: inner dimensions differ, ${JSON.stringify(shapes.a)} x ${JSON.stringify(shapes.b)}`);
    }, { a: [2, 3], b: [4, 5] });
    await expect(failing).rejects.toThrow(/ShapeError: matmul.*\[2,3\].*\[4,5\]/);
    await expect(failing).rejects.toBeInstanceOf(PageError);
    await expect(gpu.run(async () => Promise.reject(new TypeError('async failure')))).rejects.toThrow(
      'TypeError: async failure',
    );
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});

// The flake this guards against: pages of the shared browser used to be tabs of one window, and a
// tab behind another gets no animation frames, so waits polled per frame (and demo plots drawn
// per frame) stalled until the page in front closed.
describe('pages side by side', () => {
  it('each becomes ready and gets animation frames while the others stay open', async () => {
    const pages = await Promise.all([openGpuPage(), openGpuPage(), openGpuPage()]);
    try {
      const seen = await Promise.all(pages.map((page) => page.run(() => new Promise<{ visibility: string; frames: number }>((resolve) => {
        let frames = 0;
        const countFrame = (): void => {
          frames += 1;
          requestAnimationFrame(countFrame);
        };
        requestAnimationFrame(countFrame);
        setTimeout(() => resolve({ visibility: document.visibilityState, frames }), 500);
      }))));
      for (const { visibility, frames } of seen) {
        expect(visibility).toBe('visible');
        // At 60 frames per second 500 ms hold about 30; a background tab holds none.
        expect(frames).toBeGreaterThan(5);
      }
    } finally {
      await Promise.all(pages.map((page) => page.close()));
    }
  });
});

describe('waitForPageValue', () => {
  const gpu = useGpuPage();

  it('returns the first truthy value, and names what it waited for when time runs out', async () => {
    await gpu.run(() => {
      setTimeout(() => Object.assign(window, { harnessFlag: { ready: 7 } }), 300);
    });
    const value = await waitForPageValue<{ ready: number }>(gpu.page, 'window.harnessFlag', { timeoutMs: 10_000, what: 'the flag', intervalMs: 50 });
    expect(value).toEqual({ ready: 7 });
    await expect(waitForPageValue(gpu.page, 'window.neverSet', { timeoutMs: 300, what: 'a value nobody sets', intervalMs: 50 }))
      .rejects.toThrow(/timed out after \d+\.\d s waiting for a value nobody sets \(window\.neverSet\)/);
  });
});
