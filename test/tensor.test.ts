// The Tensor and its lifetime: tensor() from nested or typed arrays, data() and array(), dispose,
// tidy and keep, and the memory() counters that must return to where they started.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../src/tensor';
import { useGpuPage } from './harness/gpu-page';

const gpu = useGpuPage();

describe('tensor(), data() and array()', () => {
  it('infers shape and dtype from nested arrays, typed arrays and scalars, and round-trips the values', async () => {
    const out = await gpu.run(async (wg) => {
      const made = [
        wg.tensor([[1.5, -2, 3], [4, 5, 6.25]]),
        wg.tensor(new Float32Array([0.1, 0.2])),
        wg.tensor(new Int32Array([7, -8, 2147483647])),
        wg.tensor(3.5),
        wg.tensor([]),
        wg.tensor([[], []]),
        wg.tensor([1, 2, 3, 4, 5, 6], [3, 1, 2]),
        wg.tensor([1.9, -1.9, 2.5], [3], 'int32'),
        wg.tensor([[[1]], [[2]]]),
      ];
      const described = [];
      for (const t of made) {
        described.push({ shape: [...t.shape], dtype: t.dtype, rank: t.rank, size: t.size, data: await t.data(), array: await t.array() });
        t.dispose();
      }
      return described;
    });
    expect(out.map((t) => [t.shape, t.dtype])).toEqual([
      [[2, 3], 'float32'], [[2], 'float32'], [[3], 'int32'], [[], 'float32'], [[0], 'float32'],
      [[2, 0], 'float32'], [[3, 1, 2], 'float32'], [[3], 'int32'], [[2, 1, 1], 'float32'],
    ]);
    expect(out[0].data).toBeInstanceOf(Float32Array);
    expect(Array.from(out[0].data)).toEqual([1.5, -2, 3, 4, 5, 6.25]);
    expect(out[0].array).toEqual([[1.5, -2, 3], [4, 5, 6.25]]);
    expect(out[0].rank).toBe(2);
    expect(out[0].size).toBe(6);
    expect(Array.from(out[1].data)).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    expect(out[2].data).toBeInstanceOf(Int32Array);
    expect(Array.from(out[2].data)).toEqual([7, -8, 2147483647]);
    expect(out[3].array).toBe(3.5);
    expect(out[3].size).toBe(1);
    expect(out[4].array).toEqual([]);
    expect(out[5].array).toEqual([[], []]);
    expect(out[6].array).toEqual([[[1, 2]], [[3, 4]], [[5, 6]]]);
    // Numbers given for int32 are truncated toward zero.
    expect(Array.from(out[7].data)).toEqual([1, -1, 2]);
    expect(out[8].array).toEqual([[[1]], [[2]]]);
  });

  it('rejects ragged nesting, a wrong value count, invalid shapes and non-numbers', async () => {
    const messages = await gpu.run(async (wg) => {
      const before = wg.memory().numTensors;
      const attempts = [
        () => wg.tensor([[1, 2], [3]]),
        () => wg.tensor([1, 2, 3], [2, 2]),
        () => wg.tensor([1, 2], [2, -1]),
        () => wg.tensor([1, 2], [0.5, 4]),
        () => wg.tensor([[1, 2], 3] as unknown as number[][]),
        () => wg.tensor(['a', 'b'] as unknown as number[]),
      ];
      const out: string[] = [];
      for (const attempt of attempts) {
        try {
          attempt();
          out.push('no error');
        } catch (error) {
          out.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      out.push(`leaked ${wg.memory().numTensors - before}`);
      return out;
    });
    expect(messages[0]).toMatch(/^ShapeError: tensor: .*ragged/);
    expect(messages[1]).toMatch(/^ShapeError: tensor: 3 values cannot fill shape \[2,2\]/);
    expect(messages[2]).toMatch(/^ShapeError: tensor: invalid shape \[2,-1\]/);
    expect(messages[3]).toMatch(/^ShapeError: tensor: invalid shape \[0.5,4\]/);
    expect(messages[4]).toMatch(/^ShapeError: tensor: .*ragged/);
    expect(messages[5]).toMatch(/^ValueError: tensor: expected numbers/);
    expect(messages[6]).toBe('leaked 0');
  });
});

describe('dispose and memory()', () => {
  it('counts tensors and bytes (4 per element) and returns to the start after dispose', async () => {
    const out = await gpu.run(async (wg) => {
      const start = wg.memory();
      const a = wg.zeros([3, 5]);
      const b = wg.ones([7], 'int32');
      const afterCreate = wg.memory();
      a.dispose();
      a.dispose(); // a second dispose is a no-op
      const afterOne = wg.memory();
      b.dispose();
      const end = wg.memory();
      return {
        created: [afterCreate.numTensors - start.numTensors, afterCreate.numBytes - start.numBytes],
        afterOne: [afterOne.numTensors - start.numTensors, afterOne.numBytes - start.numBytes],
        end: [end.numTensors - start.numTensors, end.numBytes - start.numBytes],
        disposedFlags: [a.isDisposed, b.isDisposed],
        pooled: end.numBytesInPool >= 0,
      };
    });
    expect(out.created).toEqual([2, 4 * (15 + 7)]);
    expect(out.afterOne).toEqual([1, 4 * 7]);
    expect(out.end).toEqual([0, 0]);
    expect(out.disposedFlags).toEqual([true, true]);
    expect(out.pooled).toBe(true);
  });

  it('throws DisposedTensorError, naming the op, when a disposed tensor is used', async () => {
    const messages = await gpu.run(async (wg) => {
      const t = wg.tensor([1, 2, 3]);
      t.dispose();
      const out: string[] = [];
      const attempts: (() => unknown)[] = [() => wg.add(t, 1), () => wg.exp(t), () => wg.greater(t, 0), () => t.buffer];
      for (const attempt of attempts) {
        try {
          attempt();
          out.push('no error');
        } catch (error) {
          out.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      try {
        await t.data();
        out.push('no error');
      } catch (error) {
        out.push(`${(error as Error).name}: ${(error as Error).message}`);
      }
      return out;
    });
    expect(messages[0]).toMatch(/^DisposedTensorError: add: tensor #\d+ \[3\] was disposed/);
    expect(messages[1]).toMatch(/^DisposedTensorError: exp:/);
    expect(messages[2]).toMatch(/^DisposedTensorError: greater:/);
    expect(messages[3]).toMatch(/^DisposedTensorError: buffer:/);
    expect(messages[4]).toMatch(/^DisposedTensorError: data:/);
  });

  it('a failed op (mismatched broadcast) names op and shapes and leaves the counters unchanged', async () => {
    const out = await gpu.run(async (wg) => {
      const a = wg.ones([2, 3]);
      const b = wg.ones([2]);
      const before = wg.memory();
      let message = 'no error';
      try {
        wg.tidy(() => wg.div(wg.mul(a, 2), b));
      } catch (error) {
        message = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const after = wg.memory();
      a.dispose();
      b.dispose();
      return { message, tensors: after.numTensors - before.numTensors, bytes: after.numBytes - before.numBytes };
    });
    expect(out.message).toBe('ShapeError: div: shapes [2,3] and [2] cannot be broadcast together');
    expect(out.tensors).toBe(0);
    expect(out.bytes).toBe(0);
  });
});

describe('tidy and keep', () => {
  it('disposes intermediates and keeps returned tensors, also inside arrays and plain objects', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([1, 2, 3]);
      const start = wg.memory().numTensors;
      const seen: { intermediate?: Tensor } = {};
      const single = wg.tidy(() => {
        seen.intermediate = wg.mul(x, 2);
        return wg.add(seen.intermediate, 1);
      });
      const afterSingle = wg.memory().numTensors - start;
      const many = wg.tidy(() => {
        const doubled = wg.mul(x, 2);
        const squared = wg.mul(x, x);
        wg.exp(x); // dropped
        return { pair: [doubled, squared], nested: { negated: wg.neg(x) }, label: 'kept', count: 3 };
      });
      const afterMany = wg.memory().numTensors - start;
      const values = {
        single: Array.from(await single.data()),
        doubled: Array.from(await many.pair[0].data()),
        squared: Array.from(await many.pair[1].data()),
        negated: Array.from(await many.nested.negated.data()),
      };
      const xAlive = !x.isDisposed;
      const intermediateDisposed = seen.intermediate!.isDisposed;
      for (const t of [single, ...many.pair, many.nested.negated]) t.dispose();
      const end = wg.memory().numTensors - start;
      x.dispose();
      return { afterSingle, afterMany, values, xAlive, intermediateDisposed, label: many.label, end };
    });
    expect(out.afterSingle).toBe(1);
    expect(out.afterMany).toBe(4);
    expect(out.values).toEqual({ single: [3, 5, 7], doubled: [2, 4, 6], squared: [1, 4, 9], negated: [-1, -2, -3] });
    expect(out.xAlive).toBe(true);
    expect(out.intermediateDisposed).toBe(true);
    expect(out.label).toBe('kept');
    expect(out.end).toBe(0);
  });

  it('nests: an inner result survives the inner tidy and is disposed by the outer one unless returned', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([1, -1]);
      const start = wg.memory().numTensors;
      const seen: { inner?: Tensor; innerAliveInside?: boolean } = {};
      const outer = wg.tidy(() => {
        const inner = wg.tidy(() => wg.abs(wg.mul(x, 3)));
        seen.inner = inner;
        seen.innerAliveInside = !inner.isDisposed;
        return wg.add(inner, 1);
      });
      const result = {
        innerAliveInside: seen.innerAliveInside,
        innerDisposedAfter: seen.inner!.isDisposed,
        values: Array.from(await outer.data()),
        count: wg.memory().numTensors - start,
      };
      outer.dispose();
      x.dispose();
      return result;
    });
    expect(out).toEqual({ innerAliveInside: true, innerDisposedAfter: true, values: [4, 4], count: 1 });
  });

  it('keep() lets a tensor outlive its tidy, and a throwing tidy still frees what it made', async () => {
    const out = await gpu.run(async (wg) => {
      const start = wg.memory().numTensors;
      const seen: { kept?: Tensor } = {};
      wg.tidy(() => {
        seen.kept = wg.keep(wg.ones([2]));
        wg.zeros([3]);
      });
      const afterKeep = wg.memory().numTensors - start;
      const keptValues = Array.from(await seen.kept!.data());
      seen.kept!.dispose();
      let message = 'no error';
      try {
        wg.tidy(() => {
          wg.ones([4]);
          throw new Error('boom');
        });
      } catch (error) {
        message = (error as Error).message;
      }
      return { afterKeep, keptValues, message, afterThrow: wg.memory().numTensors - start };
    });
    expect(out).toEqual({ afterKeep: 1, keptValues: [1, 1], message: 'boom', afterThrow: 0 });
  });
});
