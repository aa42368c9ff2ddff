// Tensor.dataOfAll: several tensors' values in one wait for the GPU (fit reads its epochs' logs this
// way). Each tensor's values must come back exactly as its own data() gives them: the float32
// rounding of what was uploaded (Math.fround here), int32 exactly, NaN, ±Infinity and −0 kept.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('Tensor.dataOfAll', () => {
  it('reads tensors of both dtypes, odd lengths, scalars and repeats in one submit, each as its data() gives it', async () => {
    const floats = [0.1, -2.5, 1e-8];
    const ints = [1, -7, 2147483647, -2147483648, 0];
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0];
    const out = await gpu.run(async (wg, { floats, ints, specials }) => {
      const a = wg.tensor(floats);
      const b = wg.tensor(ints, [5], 'int32');
      const c = wg.tensor(3.25);
      const d = wg.tensor(specials);
      await wg.synchronize();
      const before = wg.commandStats().submits;
      const all = await wg.Tensor.dataOfAll([a, b, c, a, d]);
      const submits = wg.commandStats().submits - before;
      const own = await Promise.all([a, b, c, a, d].map((t) => t.data()));
      const kinds = all.map((values) => values.constructor.name);
      const outcome = { all: all.map((values) => Array.from(values)), own: own.map((values) => Array.from(values)), kinds, submits };
      [a, b, c, d].forEach((t) => t.dispose());
      return outcome;
    }, { floats, ints, specials });
    expect(out.all).toEqual([floats.map(Math.fround), ints, [3.25], floats.map(Math.fround), specials]);
    expect(Object.is(out.all[4][3], -0)).toBe(true);
    expect(out.all).toEqual(out.own);
    expect(out.kinds).toEqual(['Float32Array', 'Int32Array', 'Float32Array', 'Float32Array', 'Float32Array']);
    expect(out.submits).toBe(1);
  });

  it('refuses a disposed tensor before reading anything, and a read inside wg.jit', async () => {
    const out = await gpu.run(async (wg) => {
      const kept = wg.tensor([1, 2]);
      const gone = wg.tensor([3]);
      gone.dispose();
      const message = async (fn: () => Promise<unknown>): Promise<string> => {
        try {
          await fn();
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      };
      const disposed = await message(() => wg.Tensor.dataOfAll([kept, gone]));
      const inJit = await message(async () => {
        const f = wg.jit((x: typeof kept) => {
          void wg.Tensor.dataOfAll([x]);
          return x.add(1);
        });
        f(kept).dispose();
      });
      const still = Array.from(await kept.data());
      kept.dispose();
      return { disposed, inJit, still };
    });
    expect(out.disposed).toMatch(/^DisposedTensorError: data: tensor #\d+ \[1\] was disposed and cannot be used/);
    expect(out.inJit).toMatch(/^JitError: .*data\(\)\/array\(\) cannot run inside a jitted function/);
    expect(out.still).toEqual([1, 2]);
  });
});
