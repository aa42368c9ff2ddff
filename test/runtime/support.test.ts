// isSupported(): true where init() can get an adapter, false (never a rejection) where it cannot:
// no navigator.gpu, a null adapter (how browsers report WebGPU blocked or disabled), a
// requestAdapter that rejects or throws. The page's navigator.gpu is shadowed for each case by an
// own property on `navigator`, then restored.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('isSupported', () => {
  it('is true on the test page, which has WebGPU', async () => {
    expect(await gpu.run((wg) => wg.isSupported())).toBe(true);
  });

  it('is false without navigator.gpu, with a null adapter, and when requestAdapter rejects or throws', async () => {
    const outcomes = await gpu.run(async (wg) => {
      const fakes: Record<string, unknown> = {
        missing: undefined,
        nullAdapter: { requestAdapter: async () => null },
        rejects: { requestAdapter: async () => { throw new Error('adapter request failed'); } },
        throws: { requestAdapter: () => { throw new TypeError('not callable here'); } },
      };
      const results: Record<string, string> = {};
      for (const [name, fake] of Object.entries(fakes)) {
        Object.defineProperty(navigator, 'gpu', { value: fake, configurable: true });
        try {
          results[name] = String(await wg.isSupported());
        } catch (error) {
          results[name] = `rejected: ${String(error)}`;
        } finally {
          delete (navigator as { gpu?: unknown }).gpu;
        }
      }
      results.restored = String(await wg.isSupported());
      return results;
    });
    expect(outcomes).toEqual({ missing: 'false', nullAdapter: 'false', rejects: 'false', throws: 'false', restored: 'true' });
  });
});
