// Tensors made on the GPU without input tensors: arange, eye, full/zeros/ones and the *Like forms,
// against float64 references and NumPy's results for the same calls.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';
import { callOps, thrownInPage, type OpCall } from './op-calls';

const gpu = useGpuPage();

/** Runs the calls (arguments are plain numbers, shapes and dtype names) and returns shape, dtype, values. */
async function run(calls: OpCall[]) {
  const results = await callOps(gpu, calls);
  return results.map((r) => ({ shape: r.shape, dtype: r.dtype, values: Array.from(r.values) }));
}

describe('arange', () => {
  it('gives the values and lengths NumPy gives, as float32 or int32', async () => {
    // [call arguments, NumPy's np.arange(...) result]
    const cases: [(number | string)[], number[]][] = [
      [[5], [0, 1, 2, 3, 4]],
      [[1, 2, 0.25], [1, 1.25, 1.5, 1.75]],
      [[10, 0, -3], [10, 7, 4, 1]],
      [[-3, 3, 2, 'int32'], [-3, -1, 1]],
      [[5, 1], []],
      [[0], []],
      [[2, 3, 5], [2]],
      // NumPy's length is ceil((stop − start) / step) in float64: (1.3 − 1) / 0.1 = 3.0000000000000004 → 4.
      [[1, 1.3, 0.1], [1, 1.1, 1.2, 1.3]],
      [[0, 1, 0.1], [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]],
    ];
    const results = await run(cases.map(([args]) => ({ op: 'arange', args: args.length === 1 ? [args[0]] : args })));
    cases.forEach(([args, expected], i) => {
      const label = `arange(${args.join(', ')})`;
      expect(results[i].shape, label).toEqual([expected.length]);
      expect(results[i].dtype, label).toBe(args[3] === 'int32' ? 'int32' : 'float32');
      // start + i·step in float32: the rounded step (½ ulp) times i ≤ 10, the product and the sum
      // (½ ulp each) stay within 8 ulp of the largest magnitude, 2 here.
      expectClose(results[i].values, expected, { rtol: 0, atol: 8 * 2 * 2 ** -24 }, label);
    });
  });

  it('is exact for integers across a 2-D dispatch grid (2^22 + 5 elements, int32 and float32)', async () => {
    const out = await gpu.run(async (wg) => {
      const n = 2 ** 22 + 5;
      const mismatches: number[] = [];
      for (const dtype of ['int32', 'float32'] as const) {
        const t = wg.arange(-7, n - 7, 1, dtype);
        const values = await t.data();
        let wrong = values.length === n ? 0 : -1;
        for (let i = 0; i < values.length; i++) if (values[i] !== i - 7) wrong++;
        mismatches.push(wrong);
        t.dispose();
      }
      return mismatches;
    });
    expect(out).toEqual([0, 0]);
  });

  it('rejects a zero step, non-finite arguments and fractional int32 arguments', async () => {
    expect(await thrownInPage(gpu, (wg) => wg.arange(0, 5, 0))).toMatch(/^ValueError: arange\(0, 5, 0\): step/);
    expect(await thrownInPage(gpu, (wg) => wg.arange(0, Infinity))).toMatch(/^ValueError: arange.*finite/);
    expect(await thrownInPage(gpu, (wg) => wg.arange(NaN))).toMatch(/^ValueError: arange/);
    expect(await thrownInPage(gpu, (wg) => wg.arange(0, 2.5, 1, 'int32'))).toMatch(/^ValueError: arange\(0, 2.5, 1\): int32/);
  });
});

describe('eye', () => {
  it('puts ones on the main diagonal of square, wide, tall and empty matrices', async () => {
    const cases: [number, number | undefined, string][] = [
      [3, undefined, 'float32'], [2, 5, 'float32'], [5, 2, 'float32'], [1, undefined, 'float32'],
      [0, undefined, 'float32'], [3, 0, 'float32'], [4, 4, 'int32'], [67, 70, 'float32'],
    ];
    const results = await run(cases.map(([n, m, dtype]) => ({ op: 'eye', args: [n, m ?? n, dtype] })));
    cases.forEach(([n, m = n, dtype], i) => {
      const expected = Array.from({ length: n * m }, (_, k) => (Math.floor(k / m) === k % m ? 1 : 0));
      expect(results[i].shape).toEqual([n, m]);
      expect(results[i].dtype).toBe(dtype);
      expect(results[i].values).toEqual(expected);
    });
    const [square] = await run([{ op: 'eye', args: [2] }]);
    expect(square.shape).toEqual([2, 2]);
    expect(square.values).toEqual([1, 0, 0, 1]);
  });

  it('rejects negative and fractional sizes with a ShapeError', async () => {
    expect(await thrownInPage(gpu, (wg) => wg.eye(-1))).toMatch(/^ShapeError: eye: invalid shape \[-1,-1\]/);
    expect(await thrownInPage(gpu, (wg) => wg.eye(2, 1.5))).toMatch(/^ShapeError: eye: invalid shape \[2,1.5\]/);
  });
});

describe('full, zeros, ones and the *Like forms', () => {
  it('fill every element, in float32 or int32, for scalars, odd sizes and size 0', async () => {
    const results = await run([
      { op: 'full', args: [[2, 3], 7.25] },
      { op: 'full', args: [[65], -3, 'int32'] },
      { op: 'full', args: [[], 0.1] },
      { op: 'zeros', args: [[3, 0]] },
      { op: 'ones', args: [[1, 1, 1]] },
      { op: 'zeros', args: [[5], 'int32'] },
    ]);
    expect(results.map((r) => [r.shape, r.dtype])).toEqual([
      [[2, 3], 'float32'], [[65], 'int32'], [[], 'float32'], [[3, 0], 'float32'], [[1, 1, 1], 'float32'], [[5], 'int32'],
    ]);
    expect(results[0].values).toEqual(new Array(6).fill(7.25));
    expect(results[1].values).toEqual(new Array(65).fill(-3));
    expect(results[2].values).toEqual([Math.fround(0.1)]);
    expect(results[3].values).toEqual([]);
    expect(results[4].values).toEqual([1]);
    expect(results[5].values).toEqual([0, 0, 0, 0, 0]);
  });

  it('zerosLike and onesLike copy the shape and dtype', async () => {
    const out = await gpu.run(async (wg) => {
      const source = wg.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3], 'int32');
      const z = wg.zerosLike(source);
      const o = wg.onesLike(wg.tensor([[1.5], [2.5]]));
      return [[z.shape, z.dtype, Array.from(await z.data())], [o.shape, o.dtype, Array.from(await o.data())]];
    });
    expect(out).toEqual([[[2, 3], 'int32', [0, 0, 0, 0, 0, 0]], [[2, 1], 'float32', [1, 1]]]);
  });

  it('reject invalid shapes with a ShapeError naming the op', async () => {
    expect(await thrownInPage(gpu, (wg) => wg.zeros([2, -3]))).toMatch(/^ShapeError: (zeros|full): invalid shape \[2,-3\]/);
    expect(await thrownInPage(gpu, (wg) => wg.full([1.5], 2))).toMatch(/^ShapeError: full: invalid shape \[1.5\]/);
  });
});
