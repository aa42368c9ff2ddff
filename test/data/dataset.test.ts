// wg.data's steps against plain JS references: batch is consecutive groups (the last kept unless
// dropRemainder), map/take/skip/repeat/zip are Array's map/slice/concat and index-wise pairing,
// shuffle is a permutation that setSeed reproduces and that changes each pass unless
// reshuffleEachIteration is false (tf.data's Dataset.shuffle contract). Batches are checked as
// float32/int32 tensors whose values equal the inputs exactly (small integers are exact in float32).
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

/** Consecutive groups of `size`, as tf.data's batch; the short last one dropped when `drop`. */
function groups<T>(items: T[], size: number, drop: boolean): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return drop && out.length > 0 && out[out.length - 1].length < size ? out.slice(0, -1) : out;
}

describe('wg.data steps', () => {
  it('batch, map, take, skip, repeat and zip match JS references; tensors in, tensors out, nothing leaks', async () => {
    const items = Array.from({ length: 7 }, (_, i) => ({ xs: [i, 10 * i], ys: i % 3 }));
    const out = await gpu.run(async (wg, { items }) => {
      type Tensor = ReturnType<typeof wg.tensor>;
      // The scalar constants map's function uses are cached for good: make them before counting.
      wg.add(wg.mul(wg.tensor([0]), 2), 1).dispose();
      const read = async (batch: { xs: Tensor; ys: Tensor }) => {
        const result = { xs: Array.from(await batch.xs.data()), xsShape: batch.xs.shape, ys: Array.from(await batch.ys.data()), ysShape: batch.ys.shape, dtypes: [batch.xs.dtype, batch.ys.dtype] };
        batch.xs.dispose();
        batch.ys.dispose();
        return result;
      };
      type Pair = { xs: Tensor; ys: Tensor };
      const before = wg.memory().numTensors;
      const base = wg.data.array(items);
      const batched = await Promise.all((await base.batch(3).toArray() as Pair[]).map(read));
      const droppedBatches = await base.batch(3, { dropRemainder: true }).toArray() as Pair[];
      const dropped = (await Promise.all(droppedBatches.map(read))).map((b) => b.xsShape[0]);
      const plain = await wg.data.array([1, 2, 3, 4, 5]).map((v) => (v as number) * 2).skip(1).take(3).repeat(2).toArray();
      // Typed int32 labels batch to int32; a tensor element is stacked on the GPU (and copied from the original).
      const labels = wg.tensor([4, 5], [2], 'int32');
      const originals = [wg.tensor([1, 2]), wg.tensor([3, 4]), wg.tensor([1, 2]), wg.tensor([1]), wg.tensor([2]), wg.tensor([3])];
      const fromTensors = await Promise.all((await wg.data.zip({ xs: wg.data.array([originals[0], originals[1]]), ys: wg.data.array([Int32Array.of(4), Int32Array.of(5)]) }).batch(2).toArray() as Pair[]).map(read));
      const zippedList = await wg.data.zip([wg.data.array([1, 2, 3]), wg.data.array([7, 8])]).toArray();
      // map runs in a tidy: its temporaries are freed, its result kept; the input element is disposed.
      const mapped = await Promise.all((await wg.data.array([originals[2]]).map((t) => ({ xs: wg.mul(wg.add(t as Tensor, 1), 2), ys: wg.tensor([0]) })).toArray() as Pair[]).map(read));
      labels.dispose();
      // take on an endless repeat stops pulling: the shuffle buffer's leftovers are freed.
      const endless = await wg.data.array(originals.slice(3)).repeat().shuffle(4).take(5).toArray();
      endless.forEach((t) => (t as Tensor).dispose());
      // wg.data.array copied the originals as it yielded them: they are still alive, and the caller's.
      const originalsAlive = originals.every((t) => !t.isDisposed);
      originals.forEach((t) => t.dispose());
      return { batched, dropped, plain, fromTensors, zippedList, mapped, originalsAlive, leaked: wg.memory().numTensors - before };
    }, { items });
    const expected = groups(items, 3, false);
    expect(out.batched.map((b) => b.xs)).toEqual(expected.map((g) => g.flatMap((item) => item.xs)));
    expect(out.batched.map((b) => b.ys)).toEqual(expected.map((g) => g.map((item) => item.ys)));
    expect(out.batched.map((b) => [b.xsShape, b.ysShape])).toEqual(expected.map((g) => [[g.length, 2], [g.length]]));
    expect(out.batched[0].dtypes).toEqual(['float32', 'float32']);
    expect(out.dropped).toEqual(groups(items, 3, true).map((g) => g.length));
    const once = [1, 2, 3, 4, 5].map((v) => v * 2).slice(1).slice(0, 3);
    expect(out.plain).toEqual([...once, ...once]);
    expect(out.fromTensors).toEqual([{ xs: [1, 2, 3, 4], xsShape: [2, 2], ys: [4, 5], ysShape: [2, 1], dtypes: ['float32', 'int32'] }]);
    expect(out.zippedList).toEqual([[1, 7], [2, 8]]);
    expect(out.mapped).toEqual([{ xs: [4, 6], xsShape: [2], ys: [0], ysShape: [1], dtypes: ['float32', 'float32'] }]);
    expect(out.originalsAlive).toBe(true);
    expect(out.leaked).toBe(0);
  });

  it('shuffle: a permutation, reproduced by setSeed, new each pass (or fixed with reshuffleEachIteration: false); buffer 1 keeps the order', async () => {
    const n = 20;
    const out = await gpu.run(async (wg, { n }) => {
      const values = Array.from({ length: n }, (_, i) => i);
      const passes = async (dataset: ReturnType<typeof wg.data.array>, count: number) => {
        const result: number[][] = [];
        for (let i = 0; i < count; i++) result.push(await dataset.toArray() as number[]);
        return result;
      };
      wg.setSeed(7);
      const first = await passes(wg.data.array(values).shuffle(8), 3);
      wg.setSeed(7);
      const again = await passes(wg.data.array(values).shuffle(8), 3);
      wg.setSeed(8);
      const otherSeed = await passes(wg.data.array(values).shuffle(8), 1);
      const fixed = await passes(wg.data.array(values).shuffle(n, { reshuffleEachIteration: false }), 2);
      const seeded = await passes(wg.data.array(values).shuffle(n, { seed: 3 }), 1);
      const seededAgain = await passes(wg.data.array(values).shuffle(n, { seed: 3 }), 1);
      const bufferOne = await passes(wg.data.array(values).shuffle(1), 1);
      return { first, again, otherSeed, fixed, seeded, seededAgain, bufferOne };
    }, { n });
    const identity = Array.from({ length: n }, (_, i) => i);
    for (const pass of [...out.first, ...out.otherSeed, ...out.fixed, ...out.seeded]) expect([...pass].sort((a, b) => a - b)).toEqual(identity);
    expect(out.again).toEqual(out.first);
    expect(out.first[1]).not.toEqual(out.first[0]);
    expect(out.first[2]).not.toEqual(out.first[1]);
    expect(out.otherSeed[0]).not.toEqual(out.first[0]);
    expect(out.fixed[1]).toEqual(out.fixed[0]);
    expect(out.fixed[0]).not.toEqual(identity);
    expect(out.seededAgain).toEqual(out.seeded);
    expect(out.bufferOne[0]).toEqual(identity);
    // A buffer of 8 can move an element at most 7 places earlier (tf.data's bound): it is drawn only once it is in the buffer.
    out.first[0].forEach((value, position) => expect(position).toBeGreaterThanOrEqual(value - 7));
  });

  it('a generator dataset restarts each pass; async generators work; elements of different shapes are a ShapeError naming the batch', async () => {
    const out = await gpu.run(async (wg) => {
      const sync = wg.data.generator(function* numbers() { for (let i = 0; i < 3; i++) yield i; });
      const async = wg.data.generator(async function* numbers() { for (let i = 0; i < 2; i++) { await new Promise((resolve) => setTimeout(resolve, 1)); yield [i, i]; } });
      type Tensor = ReturnType<typeof wg.tensor>;
      const passes = [await sync.toArray(), await sync.toArray(), await async.toArray()];
      const before = wg.memory().numTensors;
      let error = '';
      try {
        await wg.data.array([[1, 2], [3, 4], [5, 6], [7]]).batch(2).toArray().then((batches) => batches.forEach((b) => (b as Tensor).dispose()));
      } catch (e) {
        error = `${(e as Error).name}: ${(e as Error).message}`;
      }
      return { passes, error, leaked: wg.memory().numTensors - before };
    });
    expect(out.passes).toEqual([[0, 1, 2], [0, 1, 2], [[0, 0], [1, 1]]]);
    expect(out.error).toBe('ShapeError: batch: batch 2: element 1 has shape [1] but element 0 has [2]');
    expect(out.leaked).toBe(0);
  });
});
