// Reads back reuse one kept staging buffer (src/runtime/stagingBuffers.ts) instead of creating one
// per read. Reuse must never show another read's values: every read is checked against what was
// uploaded (float32 rounding of the inputs, Math.fround here), across sizes that fit the kept
// buffer with room to spare, and reads in flight together. Reads after a rejected batch (failed
// reads discard their buffer, good ones reuse it) are test/runtime/memory-faults.test.ts's.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('staging buffers for reads back', () => {
  it('a loop of reads creates one mappable buffer; smaller, larger and empty reads in between come back exact', async () => {
    const sizes = [1000, 1000, 3, 1000, 70000, 5, 0, 1000];
    const out = await gpu.run(async (wg, sizes) => {
      await wg.init();
      wg.releasePool();
      const device = wg.getDevice();
      const create = device.createBuffer.bind(device);
      let mappable = 0;
      device.createBuffer = (descriptor: GPUBufferDescriptor) => {
        if (descriptor.usage & 1) mappable++; // GPUBufferUsage.MAP_READ
        return create(descriptor);
      };
      try {
        const reads: number[][] = [];
        const created: number[] = [];
        for (const [k, size] of sizes.entries()) {
          const t = wg.tensor(Array.from({ length: size }, (_, i) => (i * 0.37 + k) % 11 - 5));
          reads.push(Array.from(await t.data()));
          created.push(mappable);
          t.dispose();
        }
        // A hundred reads of one size after that: no new buffer at all.
        const before = mappable;
        const t = wg.tensor([1.5, 2.5]);
        for (let i = 0; i < 100; i++) await t.data();
        t.dispose();
        return { reads, created, loop: mappable - before };
      } finally {
        device.createBuffer = create;
      }
    }, sizes);
    out.reads.forEach((values, k) => expect(values).toEqual(Array.from({ length: sizes[k] }, (_, i) => Math.fround((i * 0.37 + k) % 11 - 5))));
    // First read: one buffer. 70,000 floats is larger than the kept one: one more (then kept).
    // wg.synchronize's fence buffer is mappable too, but no read here synchronizes.
    expect(out.created).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(out.loop).toBe(0);
  });

  it('reads in flight together each get their own buffer and their own values', async () => {
    const out = await gpu.run(async (wg) => {
      const tensors = [0, 1, 2, 3, 4, 5].map((k) => wg.tensor(Array.from({ length: 100 + k }, (_, i) => i * (k + 1))));
      const first = await Promise.all(tensors.map((t) => t.data()));
      const second = await Promise.all(tensors.map((t) => t.data()));
      tensors.forEach((t) => t.dispose());
      return { first: first.map((v) => Array.from(v)), second: second.map((v) => Array.from(v)) };
    });
    const expected = [0, 1, 2, 3, 4, 5].map((k) => Array.from({ length: 100 + k }, (_, i) => i * (k + 1)));
    expect(out.first).toEqual(expected);
    expect(out.second).toEqual(expected);
  });

  it('a staging buffer kept before the device is lost is not reused on the new device: reads there are exact', async () => {
    const out = await gpu.run(async (wg) => {
      const before = wg.tensor([1, 2, 3, 4]);
      const first = Array.from(await before.data()); // keeps a staging buffer of the old device
      const lost = wg.getDevice();
      lost.destroy();
      let lostRead = 'no error';
      try {
        await before.data();
      } catch (error) {
        lostRead = (error as Error).name;
      }
      await wg.init();
      const after = wg.tensor([5, 6, 7, 8]);
      const reads = [Array.from(await after.data()), Array.from(await after.data())];
      after.dispose();
      return { first, lostRead, reads };
    });
    expect(out.first).toEqual([1, 2, 3, 4]);
    expect(out.lostRead).toBe('DeviceLostError');
    expect(out.reads).toEqual([[5, 6, 7, 8], [5, 6, 7, 8]]);
  });
});
