// tape.gradient hands out gradients the caller owns alone: one that shares the seed's buffer (a
// reshape view of dy) is copied, and the view itself is freed, so nothing is left alive.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('gradients that are views of the seed', () => {
  it('reshape under a seeded gradient: d<seed, reshape(x)>/dx is the seed reshaped, and no tensor is left behind', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([1, 2, 3, 4]);
      const before = wg.memory().numTensors;
      const tape = new wg.Tape();
      const y = tape.record(() => wg.reshape(x, [2, 2]));
      const seed = wg.tensor([[5, 6], [7, 8]]);
      const [gradient] = tape.gradient(y, [x], { outputGradient: seed });
      const values = Array.from(await gradient.data());
      const seedAfter = Array.from(await seed.data());
      const shape = [...gradient.shape];
      seed.dispose();
      y.dispose();
      gradient.dispose();
      return { values, seedAfter, shape, left: wg.memory().numTensors - before };
    });
    // reshape is linear with Jacobian the identity on the flat values: the gradient is the seed.
    expect(out.values).toEqual([5, 6, 7, 8]);
    expect(out.shape).toEqual([4]);
    expect(out.seedAfter).toEqual([5, 6, 7, 8]);
    expect(out.left).toBe(0);
  });
});
