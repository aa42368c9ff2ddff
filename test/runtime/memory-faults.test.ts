// Memory faults: tensors past the device's buffer limits are refused before allocating, a GPU
// allocation failure surfaces as OutOfMemoryError and leaves the pool usable, work after a
// rejected batch is correct or an error (never zeros), and the pool is bounded and drainable.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { ADD_ONE_WGSL, BROKEN_ADD_ONE_WGSL } from './add-one-kernel';

const gpu = useGpuPage();


describe('buffer limits', () => {
  it('a tensor past maxBufferSize / maxStorageBufferBindingSize is refused before allocating, naming shape, bytes and limit', async () => {
    const out = await gpu.run(async (wg) => {
      await wg.synchronize();
      const { limits } = wg.getDevice();
      const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
      const before = wg.memory();
      const attempt = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      };
      const elements = Math.floor(limit / 4) + 1;
      const refused = {
        issue: attempt(() => wg.zeros([2 ** 28 + 16])),
        justPast: attempt(() => wg.ones([elements])),
        layer: attempt(() => new wg.Sequential([new wg.layers.Dense(1e9, { inputShape: [4] })])),
      };
      // Nothing was allocated, and later work is unaffected.
      const after = wg.memory();
      const sum = await wg.sum(wg.ones([1000])).data();
      await wg.synchronize();
      return { limit, elements, refused, before, after, sum: sum[0] };
    });
    // The issue's case: 2^28 + 16 float32 elements are 2^30 + 64 bytes, past SwiftShader's limits.
    expect(out.limit).toBeLessThan(2 ** 30 + 64);
    expect(out.refused.issue).toBe(`OutOfMemoryError: a [268435472] float32 tensor needs 1073741888 bytes, more than this device's largest storage buffer (${out.limit} bytes: the smaller of maxBufferSize and maxStorageBufferBindingSize)`);
    expect(out.refused.justPast).toContain(`a [${out.elements}] float32 tensor needs ${out.elements * 4} bytes`);
    expect(out.refused.layer).toMatch(/^OutOfMemoryError: a \[4,1000000000\] float32 tensor needs 16000000000 bytes/);
    expect(out.after.numTensors).toBe(out.before.numTensors);
    expect(out.after.numBytes).toBe(out.before.numBytes);
    expect(out.sum).toBe(1000);
  });

  it('a GPU allocation failure (injected: the device reports out-of-memory) gives OutOfMemoryError, poisons what used it, and leaves the pool usable', async () => {
    const out = await gpu.run(async (wg) => {
      // Fault injection: the next storage buffer is created invalid (MAP_READ may not be combined
      // with STORAGE) and the 'out-of-memory' error scope around it (webgrad opens one per batch)
      // reports that failure as a GPUOutOfMemoryError, which is what a real allocation failure
      // looks like to webgrad.
      const device = wg.getDevice();
      const realCreate = device.createBuffer.bind(device);
      const realPush = device.pushErrorScope.bind(device);
      const realPop = device.popErrorScope.bind(device);
      let failNext = false;
      const injected: boolean[] = [];
      device.pushErrorScope = (filter) => {
        const inject = filter === 'out-of-memory' && failNext;
        injected.push(inject);
        realPush(inject ? 'validation' : filter);
      };
      device.popErrorScope = async () => {
        const inject = injected.pop();
        const error = await realPop();
        return inject && error ? new GPUOutOfMemoryError(`injected: ${error.message}`) : error;
      };
      device.createBuffer = (descriptor) => {
        if (!failNext || !(descriptor.usage & GPUBufferUsage.STORAGE)) return realCreate(descriptor);
        failNext = false;
        return realCreate({ ...descriptor, usage: descriptor.usage | GPUBufferUsage.MAP_READ });
      };
      const outcome = async (fn: () => unknown): Promise<string> => {
        try {
          await fn();
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      };
      try {
        const earlier = wg.tensor([1, 2, 3]);
        await wg.synchronize();
        wg.releasePool();
        const before = wg.memory();
        failNext = true;
        const big = wg.ones([1234]);
        const derived = wg.add(big, 1);
        const first = await outcome(() => big.data());
        const second = await outcome(() => big.data());
        const derivedRead = await outcome(() => derived.data());
        big.dispose();
        derived.dispose();
        const afterFailure = wg.memory();
        // Same size class again: the pool must hand out a working buffer, not the failed one.
        const again = wg.ones([1234]);
        const againSum = (await wg.sum(again).data())[0];
        again.dispose();
        const earlierValues = Array.from(await earlier.data());
        earlier.dispose();
        return { first, second, derivedRead, before, afterFailure, againSum, earlierValues };
      } finally {
        device.createBuffer = realCreate;
        device.pushErrorScope = realPush;
        device.popErrorScope = realPop;
      }
    });
    expect(out.first).toMatch(/^OutOfMemoryError: data: the values were never computed because earlier GPU work failed: the GPU could not allocate memory \(injected: .*\) while creating \d+ buffer\(s\)/s);
    expect(out.second).toMatch(/^OutOfMemoryError: data: the values were never computed because earlier GPU work failed: the GPU could not allocate memory/);
    expect(out.derivedRead).toMatch(/^OutOfMemoryError: data: the values were never computed/);
    // Failed buffers hold no memory: neither counted nor pooled. An out-of-memory error is known
    // per batch, so `derived` (4,936 bytes in the 8,192-byte size class, created in the same
    // batch as `big`) counts as failed too; the pool was released when the failure was found.
    expect(out.afterFailure.numTensors).toBe(out.before.numTensors);
    expect(out.afterFailure.numBytes).toBe(out.before.numBytes);
    expect(out.afterFailure.numBytesInPool).toBe(0);
    expect(out.againSum).toBe(1234);
    expect(out.earlierValues).toEqual([1, 2, 3]);
  });
});

describe('after a rejected batch', () => {
  it('a broken customOp called twice: the second call is refused, and reads are correct or an error, never zeros', async () => {
    const out = await gpu.run(async (wg, { wgsl, broken }) => {
      await wg.loadCustomOpSupport();
      const outcome = async (fn: () => unknown): Promise<string> => {
        try {
          const value = await fn();
          return value instanceof Float32Array ? `values ${Array.from(value).join(',')}` : 'no error';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      };
      const brokenOp = (x: ReturnType<typeof wg.tensor>) => wg.customOp({ name: 'brokenAddOne', wgsl: broken, inputs: { x }, output: { name: 'out', shape: x.shape } });
      const w = wg.tensor([1, 2, 3]);
      const earlier = wg.mul(w, 2);
      // Two calls before any sync point: the first runs alone, the second shares a batch with
      // `sameBatch`, so the GPU rejects that whole batch.
      const first = brokenOp(w);
      const second = brokenOp(w);
      const sameBatch = wg.add(w, 10);
      const fromSameBatch = wg.mul(sameBatch, 3);
      const reads = {
        firstSync: await outcome(() => earlier.data()),
        earlierAgain: await outcome(() => earlier.data()),
        w: await outcome(() => w.data()),
        sameBatch: await outcome(() => sameBatch.data()),
        sameBatchAgain: await outcome(() => sameBatch.data()),
        fromSameBatch: await outcome(() => fromSameBatch.data()),
        second: await outcome(() => second.data()),
      };
      // Now the pipeline is known to be invalid: a third call is refused at once.
      const third = await outcome(() => brokenOp(w));
      const fixed = wg.customOp({ name: 'addOne', wgsl, inputs: { x: w }, output: { name: 'out', shape: w.shape } });
      const later = { fixed: await outcome(() => fixed.data()), recomputed: await outcome(() => wg.tidy(() => wg.add(w, 10)).data()) };
      for (const t of [w, earlier, first, second, sameBatch, fromSameBatch, fixed]) t.dispose();
      return { reads, third, later };
    }, { wgsl: ADD_ONE_WGSL, broken: BROKEN_ADD_ONE_WGSL });
    // Work that ran in its own batches is correct, also at the first sync point after the error.
    expect(out.reads.firstSync).toBe('values 2,4,6');
    expect(out.reads.earlierAgain).toBe('values 2,4,6');
    expect(out.reads.w).toBe('values 1,2,3');
    // Work in the rejected batch, and work computed from it, throws naming the original failure;
    // the first such read also carries the compiler's message.
    expect(out.reads.sameBatch).toMatch(/^KernelError: data: the values were never computed because earlier GPU work failed: kernel 'brokenAddOne' failed to compile/);
    for (const read of [out.reads.sameBatch, out.reads.sameBatchAgain, out.reads.fromSameBatch, out.reads.second]) {
      expect(read).toMatch(/^KernelError: data: the values were never computed because earlier GPU work failed: .*a batch of GPU commands was rejected/s);
    }
    expect(out.third).toMatch(/^KernelError: kernel 'brokenAddOne' failed to compile/);
    expect(out.later).toEqual({ fixed: 'values 2,3,4', recomputed: 'values 11,12,13' });
  });
});

describe('input checks', () => {
  it('a customOp input declared read_write is refused (it would overwrite the caller\'s tensor); an unknown dtype is refused naming the allowed ones', async () => {
    const out = await gpu.run(async (wg, { wgsl }) => {
      await wg.loadCustomOpSupport();
      const attempt = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      };
      const x = wg.tensor([1, 2, 3]);
      const before = wg.memory();
      const readWrite = attempt(() => wg.customOp({
        name: 'writesInput', wgsl: wgsl.replace('var<storage, read> x', 'var<storage, read_write> x'),
        inputs: { x }, output: { name: 'out', shape: [3] },
      }));
      const float64 = attempt(() => wg.tensor([1, 2], [2], 'float64' as 'float32'));
      const zerosBool = attempt(() => wg.zeros([2], 'bool' as 'int32'));
      const after = wg.memory();
      const values = Array.from(await x.data());
      x.dispose();
      return { readWrite, float64, zerosBool, before, after, values };
    }, { wgsl: ADD_ONE_WGSL });
    expect(out.readWrite).toMatch(/^ValueError: writesInput: input 'x' is declared var<storage, read_write>/);
    expect(out.float64).toBe("ValueError: unknown dtype 'float64' for a [2] tensor: webgrad supports 'float32', 'int32'");
    expect(out.zerosBool).toBe("ValueError: unknown dtype 'bool' for a [2] tensor: webgrad supports 'float32', 'int32'");
    expect(out.after).toEqual(out.before);
    expect(out.values).toEqual([1, 2, 3]);
  });
});

describe('pool', () => {
  it('releasePool() frees every pooled buffer; setPoolLimit bounds what released buffers keep, oldest destroyed first', async () => {
    const out = await gpu.run(async (wg) => {
      await wg.synchronize();
      wg.releasePool();
      const start = wg.memory();
      // Four 4,096-byte buffers (1,024 floats each) released: 16,384 bytes in the pool.
      const made = [1, 2, 3, 4].map((v) => wg.full([1024], v));
      await wg.synchronize();
      made.forEach((t) => t.dispose());
      const pooled = wg.memory().numBytesInPool;
      const freed = wg.releasePool();
      const drained = wg.memory().numBytesInPool;
      wg.setPoolLimit(8192);
      const more = [1, 2, 3, 4].map((v) => wg.full([1024], v));
      more.forEach((t) => t.dispose());
      const bounded = wg.memory().numBytesInPool;
      // Oldest first: release a 4,096-byte buffer, then an 8,192-byte one, under an 8,192-byte
      // limit. Keeping the newer leaves 8,192 bytes that a new 4,096-byte tensor cannot reuse.
      wg.releasePool();
      const older = wg.full([1024], 1);
      const newer = wg.full([2048], 1);
      older.dispose();
      newer.dispose();
      const afterBoth = wg.memory().numBytesInPool;
      const small = wg.full([1024], 1);
      const afterReacquire = wg.memory().numBytesInPool;
      small.dispose();
      // Work still runs with a small pool, and afterwards.
      const check = wg.tidy(() => wg.sum(wg.add(wg.full([1024], 2), wg.full([1024], 3))));
      const sum = (await check.data())[0];
      check.dispose();
      wg.setPoolLimit(256 * 2 ** 20);
      let badLimit = 'no error';
      try {
        wg.setPoolLimit(-1);
      } catch (e) {
        badLimit = `${(e as Error).name}: ${(e as Error).message}`;
      }
      return { start, pooled, freed, drained, bounded, afterBoth, afterReacquire, sum, end: wg.memory(), badLimit };
    });
    expect(out.start.numBytesInPool).toBe(0);
    expect(out.pooled).toBe(16384);
    expect(out.freed).toBe(16384);
    expect(out.drained).toBe(0);
    expect(out.bounded).toBe(8192);
    expect(out.afterBoth).toBe(8192);
    expect(out.afterReacquire).toBe(8192);
    expect(out.sum).toBe(5 * 1024);
    expect(out.end.numTensors).toBe(out.start.numTensors);
    expect(out.end.numBytes).toBe(out.start.numBytes);
    expect(out.badLimit).toMatch(/^ValueError: setPoolLimit/);
  });
});
