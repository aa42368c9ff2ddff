// dropout: reproducible through wg.setSeed and through its own seed (which leaves the global
// generator alone), zeroes about `rate` of the elements and scales the rest so the mean is kept,
// and its gradient is the same mask and scale; errors.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { useGpuPage } from '../harness/gpu-page';
import { thrownInPage } from './op-calls';

const gpu = useGpuPage();

describe('dropout', () => {
  it('repeats bit for bit after setSeed, and a fixed seed gives the same mask every call without touching the global stream', async () => {
    const r = await gpu.run(async (wg) => {
      const x = wg.rand([1000], 0.5, 1.5);
      const read = async (t: Tensor): Promise<number[]> => {
        const values = Array.from(await t.data());
        t.dispose();
        return values;
      };
      wg.setSeed(7);
      const first = await read(wg.dropout(x, 0.4));
      const second = await read(wg.dropout(x, 0.4));
      wg.setSeed(7);
      const firstAgain = await read(wg.dropout(x, 0.4));
      const seeded = await read(wg.dropout(x, 0.4, { seed: 123 }));
      const seededAgain = await read(wg.dropout(x, 0.4, { seed: 123 }));
      const otherSeed = await read(wg.dropout(x, 0.4, { seed: 124 }));
      // A seeded call draws exactly what the first call after setSeed(seed) would.
      wg.setSeed(123);
      const afterSetSeed = await read(wg.dropout(x, 0.4));
      // And leaves the global stream where it was.
      wg.setSeed(9);
      const plain = await read(wg.rand([50]));
      wg.setSeed(9);
      await read(wg.dropout(x, 0.4, { seed: 5 }));
      const plainAfterSeeded = await read(wg.rand([50]));
      x.dispose();
      return { first, second, firstAgain, seeded, seededAgain, otherSeed, afterSetSeed, plain, plainAfterSeeded };
    });
    expect(r.firstAgain).toEqual(r.first);
    expect(r.second).not.toEqual(r.first);
    expect(r.seededAgain).toEqual(r.seeded);
    expect(r.otherSeed).not.toEqual(r.seeded);
    expect(r.afterSetSeed).toEqual(r.seeded);
    expect(r.plainAfterSeeded).toEqual(r.plain);
  });

  it('zeroes a fraction rate of the elements, scales the rest by 1/(1 − rate), keeps the mean, and its gradient is the same mask and scale', async () => {
    const n = 65536;
    const rates = [0.1, 0.5, 0.9];
    const results = await gpu.run(async (wg, { n, rates }) => {
      wg.setSeed(11);
      const x = wg.ones([n]);
      const out = [];
      for (const rate of rates) {
        const tape = new wg.Tape();
        const y = tape.record(() => wg.dropout(x, rate));
        const [dx] = tape.gradient(y, [x]);
        out.push({ y: Array.from(await y.data()), dx: Array.from(await dx.data()) });
        y.dispose();
        dx.dispose();
      }
      x.dispose();
      return out;
    }, { n, rates });
    results.forEach(({ y, dx }, i) => {
      const rate = rates[i];
      const scale = Math.fround(1 / Math.fround(1 - Math.fround(rate)));
      // Every output is 0 or the float32 scale (WGSL division is within 2.5 ULP; allowed: 2⁻²¹ relative),
      // and the gradient of Σy is the same mask and scale.
      expect(y.every((v) => v === 0 || Math.abs(v - scale) <= scale * 2 ** -21), `rate ${rate}: values`).toBe(true);
      expect(dx.every((g, k) => (y[k] === 0 ? g === 0 : Math.abs(g - scale) <= scale * 2 ** -21)), `rate ${rate}: gradient`).toBe(true);
      // The dropped fraction is a binomial mean: within 5 standard deviations of rate.
      const dropped = y.filter((v) => v === 0).length / n;
      expect(Math.abs(dropped - rate), `rate ${rate}: dropped ${dropped}`).toBeLessThan(5 * Math.sqrt((rate * (1 - rate)) / n));
      // mean(y) = (kept fraction)·scale, expected 1; 5σ of the kept-count noise, scaled.
      const mean = y.reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(mean - 1), `rate ${rate}: mean ${mean}`).toBeLessThan((5 * Math.sqrt((rate * (1 - rate)) / n)) / (1 - rate));
    });
  });

  it('with rate 0 passes values through; rejects a rate outside [0, 1) and int32 input', async () => {
    const passed = await gpu.run(async (wg) => {
      const x = wg.tensor([1.5, -2, 3]);
      const y = wg.dropout(x, 0);
      const values = Array.from(await y.data());
      [x, y].forEach((t) => t.dispose());
      return values;
    });
    expect(passed).toEqual([1.5, -2, 3]);
    const errors = await Promise.all([
      thrownInPage(gpu, (wg) => wg.dropout(wg.zeros([3]), 1)),
      thrownInPage(gpu, (wg) => wg.dropout(wg.zeros([3]), -0.1)),
      thrownInPage(gpu, (wg) => wg.dropout(wg.zeros([3], 'int32'), 0.5)),
    ]);
    expect(errors[0]).toMatch(/^ValueError: dropout: rate must be in \[0, 1\), got 1/);
    expect(errors[1]).toMatch(/^ValueError: dropout: rate must be in \[0, 1\), got -0.1/);
    expect(errors[2]).toMatch(/^ValueError: dropout: .*float32.*int32/);
  });
});
