// Long sums against float64: a reduction of 10^7 float32 values must stay near float32's own
// rounding of the exact sum, not drift by the length of a sequential loop. The reference is the
// float64 sum of exactly the float32 values the GPU summed.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('sum accuracy', () => {
  it('sums and means of 10^7 elements are within a few float32 ulp of the float64 sum', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(20261206);
      const results: { name: string; gpu: number; exact: number; scale: number }[] = [];
      const cases: [string, () => ReturnType<typeof wg.rand>][] = [
        ['uniform [0, 1)', () => wg.rand([10_000_000], 0, 1)],
        // Equal terms round the same way at every step of a sequential loop, so its error grows
        // with the loop's length instead of averaging out.
        ['all 0.1', () => wg.full([10_000_000], 0.1)],
        ['uniform [0.1, 0.1001)', () => wg.rand([10_000_000], 0.1, 0.1001)],
        ['uniform [-1, 3)', () => wg.rand([10_000_000], -1, 3)],
        ['rows of 2.5e6, uniform [0, 1)', () => wg.rand([4, 2_500_000], 0, 1)],
      ];
      for (const [name, make] of cases) {
        const x = make();
        const values = await x.data();
        const rows = x.shape.length === 2 ? x.shape[0] : 1;
        const rowLength = values.length / rows;
        const sums = wg.sum(x, x.shape.length - 1);
        const gpuSums = await sums.data();
        const mean = wg.mean(x);
        const gpuMean = (await mean.data())[0];
        let total = 0;
        let totalAbs = 0;
        for (let r = 0; r < rows; r++) {
          let exact = 0;
          let scale = 0;
          for (let i = r * rowLength; i < (r + 1) * rowLength; i++) {
            exact += values[i];
            scale += Math.abs(values[i]);
          }
          results.push({ name: `${name}, row ${r}`, gpu: gpuSums[r], exact, scale });
          total += exact;
          totalAbs += scale;
        }
        results.push({ name: `${name}, mean`, gpu: gpuMean, exact: total / values.length, scale: totalAbs / values.length });
        [x, sums, mean].forEach((t) => t.dispose());
      }
      return results;
    });
    for (const { name, gpu: value, exact, scale } of out) {
      // Summed as a shallow tree (blocks of 8 and 64 per pass, shaders/reduce.wgsl), the error
      // stays at a few ulp of Σ|x| (measured here: at most 1.9·2^-24·Σ|x| over 10^7 terms; pairwise
      // summation, the usual reference, gives about as much); allow 4 ulp (2.4e-7 of Σ|x|). A
      // plain float32 loop drifts far past that on equal terms: 1.4e-5 for 10^7 copies of 0.1.
      expect(Math.abs(value - exact), name).toBeLessThanOrEqual(4 * 2 ** -24 * scale);
    }
  });
});
