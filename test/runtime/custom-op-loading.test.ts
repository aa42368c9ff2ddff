// customOp's WGSL reflector (wgsl_reflect) lives in its own file, dist/webgrad-wgsl-reflect.js,
// which the page fetches only when asked: before `loadCustomOpSupport()` a customOp is refused
// with an error that says what to call, and leaves nothing allocated; after it, customOp works.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { ADD_ONE_WGSL } from './add-one-kernel';

const gpu = useGpuPage();

describe('loading customOp support', () => {
  it('fetches the reflector chunk only on request; customOp before that is a clear KernelError, after it runs', async () => {
    const x = [1.5, -2, 0.25, 1e6];
    const result = await gpu.run(async (wg, args) => {
      const chunkFetched = () => performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('/webgrad-wgsl-reflect.js'));
      const input = wg.tensor(args.x);
      const call = () => wg.customOp({ name: 'addOne', wgsl: args.wgsl, inputs: { x: input }, output: { name: 'out', shape: input.shape } });
      // Other ops compile webgrad's own kernels without the chunk.
      const doubled = Array.from(await wg.tidy(() => wg.mul(input, 2)).data());
      const fetchedAtStart = chunkFetched();
      const before = wg.memory().numTensors;
      let refusal: { name: string; message: string } | null = null;
      try {
        call();
      } catch (error) {
        refusal = { name: (error as Error).name, message: (error as Error).message };
      }
      const leakedByRefusal = wg.memory().numTensors - before;
      const loading = wg.loadCustomOpSupport();
      const again = wg.loadCustomOpSupport();
      await loading;
      const out = call();
      const values = Array.from(await out.data());
      out.dispose();
      return { doubled, fetchedAtStart, refusal, leakedByRefusal, samePromise: loading === again, fetchedAfter: chunkFetched(), values, input: Array.from(await input.data()) };
    }, { wgsl: ADD_ONE_WGSL, x });
    expect(result.doubled).toEqual(x.map((v) => 2 * v));
    expect(result.fetchedAtStart).toBe(false);
    expect(result.refusal?.name).toBe('KernelError');
    expect(result.refusal?.message).toBe("kernel 'addOne': user WGSL is reflected by wgsl_reflect, which webgrad loads on demand: call `await wg.loadCustomOpSupport()` once before the first customOp");
    expect(result.leakedByRefusal).toBe(0);
    expect(result.samePromise).toBe(true);
    expect(result.fetchedAfter).toBe(true);
    // x + 1 in float32: exact for these values (1e6 + 1 needs 20 bits of the 24).
    expect(result.values).toEqual(x.map((v) => v + 1));
    expect(result.input).toEqual(x);
  });
});
