// Comparisons, where, clip and cast against float64 references: broadcasting in every direction,
// int32 paths, ties and signed zeros, gradients through the Tape against finite differences, and
// bad arguments. Comparisons, where and clip only select or copy input values, so every forward
// check is exact.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { binary, comparisons, expectClose, mulberry32, randomArray, randomIntArray, ternary, unary, type NdArray, type Rng } from '../reference';
import {
  asNdArray, broadcastPairs, callOps, describeCall, gradientsInPage, numericGradientsOf, operand, randomFrom, referenceArgs, tensorArg, thrownInPage,
  type GradientCall, type OpCall, type ReferenceArg,
} from './op-calls';

const gpu = useGpuPage();

/** Values from a small set, so equal elements (ties) are common; includes −0 (which equals 0). */
const fewValues = (rng: Rng): number => [-1, -0.5, -0, 0, 0.5, 1][Math.floor(rng() * 6)];

/** Float64 reference of every op in this file on CPU-side arguments. */
function evaluate(op: string, args: ReferenceArg[]): NdArray {
  if (op in comparisons) return binary(asNdArray(args[0]), asNdArray(args[1]), (a, b) => (comparisons[op](a, b) ? 1 : 0));
  if (op === 'where') return ternary(asNdArray(args[0]), asNdArray(args[1]), asNdArray(args[2]), (c, a, b) => (c !== 0 ? a : b));
  if (op === 'clip') {
    const [lo, hi] = [args[1] as number, args[2] as number];
    return unary(asNdArray(args[0]), (x) => Math.min(Math.max(x, lo), hi));
  }
  throw new Error(`no reference for ${op}`);
}

/** Runs the calls and checks shape, dtype and exact values against the reference. */
async function checkExact(calls: OpCall[], expectedDtype: (call: OpCall) => string): Promise<void> {
  const results = await callOps(gpu, calls);
  calls.forEach((call, i) => {
    const label = describeCall(call);
    const expected = evaluate(call.op, referenceArgs(call));
    expect(results[i].shape, label).toEqual(expected.shape);
    expect(results[i].dtype, label).toBe(expectedDtype(call));
    expectClose(results[i].values, expected.data, { rtol: 0, atol: 0, shape: expected.shape }, label);
  });
}

describe('comparisons', () => {
  it('give float32 0/1 with broadcasting in every direction, numbers on either side, ties and −0', async () => {
    const rng = mulberry32(21);
    const pairs = broadcastPairs(rng);
    const calls = Object.keys(comparisons).flatMap((op) =>
      pairs.map(([shapeA, shapeB]) => ({ op, args: [operand(shapeA, rng, fewValues), operand(shapeB, rng, fewValues)] })),
    );
    await checkExact(calls, () => 'float32');
  });

  it('compare int32 operands as int32 (exact above 2^24) and mixed ones as float32', async () => {
    const big = tensorArg({ shape: [4], data: Float64Array.from([16777217, 16777216, -2147483648, 2147483647]) }, 'int32');
    const other = tensorArg({ shape: [4], data: Float64Array.from([16777216, 16777216, -2147483647, 2147483647]) }, 'int32');
    const rng = mulberry32(22);
    const ints = tensorArg(randomIntArray([3, 4], rng, -3, 3), 'int32');
    const calls: OpCall[] = Object.keys(comparisons).flatMap((op) => [
      { op, args: [big, other] },
      { op, args: [ints, 1] },
      { op, args: [ints, 0.5] },
      { op, args: [ints, operand([4], rng, fewValues)] },
    ]);
    await checkExact(calls, () => 'float32');
  });

  it('are not differentiable: a gradient only through them is a NonDifferentiableError', async () => {
    const message = await gpu.run(async (wg) => {
      const x = wg.tensor([1, -2, 3]);
      const tape = new wg.Tape();
      const y = tape.record(() => wg.greater(x, 0));
      try {
        tape.gradient(y, [x], { outputGradient: wg.ones([3]) });
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    expect(message).toMatch(/^NonDifferentiableError: .*greater/);
  });

  it('reject shapes that do not broadcast (naming the op and both shapes) and rank 9, leaking nothing', async () => {
    const outcome = await gpu.run(async (wg) => {
      const a = wg.zeros([2, 3]);
      const b = wg.zeros([3, 2], 'int32');
      // Broadcast against each other dim by dim, these two cannot be collapsed below rank 9.
      const rank9 = wg.zeros([2, 1, 2, 1, 2, 1, 2, 1, 2]);
      const rank9Across = wg.zeros([1, 2, 1, 2, 1, 2, 1, 2, 1]);
      const before = wg.memory().numTensors;
      const messages: string[] = [];
      const attempts = [() => wg.less(a, b), () => wg.notEqual(b, a), () => wg.equal(rank9, rank9Across), () => wg.where(rank9, rank9Across, 0)];
      for (const attempt of attempts) {
        try {
          attempt();
          messages.push('no error');
        } catch (error) {
          messages.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      const leaked = wg.memory().numTensors - before;
      for (const t of [a, b, rank9, rank9Across]) t.dispose();
      return { messages, leaked };
    });
    expect(outcome.messages.slice(0, 2)).toEqual([
      'ShapeError: less: shapes [2,3] and [3,2] cannot be broadcast together',
      'ShapeError: notEqual: shapes [3,2] and [2,3] cannot be broadcast together',
    ]);
    expect(outcome.messages[2]).toMatch(/^ShapeError: equal: rank 9 exceeds the supported 8/);
    expect(outcome.messages[3]).toMatch(/^ShapeError: where: rank 9 exceeds the supported 8/);
    expect(outcome.leaked).toBe(0);
  });
});

describe('where', () => {
  const conditionValues = (rng: Rng): number => [0, -0, 1, -2, 0.5, NaN][Math.floor(rng() * 6)];

  it('selects with broadcasting among all three, treating −0 as zero and NaN as nonzero', async () => {
    const rng = mulberry32(23);
    const triples: [number[] | null, number[] | null, number[] | null][] = [
      [[3, 1, 1], [1, 4, 1], [5]],
      [[5], [3, 1, 1], [1, 4, 1]],
      [[2, 3], [2, 3], [2, 3]],
      [[70], null, [70]],
      [[4, 1], [1, 3], null],
      [[], [2, 2], [2, 1]],
      [[0, 2], [2], []],
      [[1, 2, 1, 2, 1, 2, 1, 2], [2, 1], [1]],
    ];
    const calls = triples.map(([c, a, b]) => ({
      op: 'where',
      args: [operand(c, rng, conditionValues), operand(a, rng, (r) => r() * 4 - 2), operand(b, rng, (r) => r() * 4 - 2)],
    }));
    await checkExact(calls, () => 'float32');
  });

  it('keeps int32 when a and b are int32, takes an int32 condition, and promotes mixed a and b', async () => {
    const rng = mulberry32(24);
    const ints = (shape: number[]) => tensorArg(randomIntArray(shape, rng, -1000, 1000), 'int32');
    const conditionInts = tensorArg(randomIntArray([3, 4], rng, -1, 1), 'int32');
    const calls: OpCall[] = [
      { op: 'where', args: [conditionInts, ints([3, 4]), ints([4])] },
      { op: 'where', args: [operand([3, 1], rng, conditionValues), ints([3, 4]), 7] },
      { op: 'where', args: [conditionInts, ints([4]), operand([3, 4], rng, (r) => r())] },
      { op: 'where', args: [conditionInts, ints([4]), 2.5] },
    ];
    await checkExact(calls, (call) => (call === calls[0] || call === calls[1] ? 'int32' : 'float32'));
  });

  it('passes gradients to a and b where each was chosen, summed over broadcast dims', async () => {
    const rng = mulberry32(25);
    const shapes: [number[], number[], number[] | null][] = [
      [[3, 1, 5], [4, 1], [3, 4, 5]],
      [[2, 3], [], [3]],
      [[4], [2, 4], null],
    ];
    const calls = shapes.map(([c, a, b]): GradientCall => {
      const call: OpCall = {
        op: 'where',
        args: [operand(c, rng, (r) => (r() < 0.5 ? 0 : 1)), operand(a, rng, (r) => r() * 2 - 1), operand(b, rng, (r) => r() * 2 - 1)],
      };
      return { ...call, outputGradient: weightsFor(call, rng) };
    });
    // where's backward is where(c, dy, 0) and where(c, 0, dy) summed: exact selections and float32 sums.
    await checkGradients(calls, { rtol: 1e-5, atol: 1e-6 }, 1);
  });

  it('names all three shapes when they cannot broadcast', async () => {
    const message = await thrownInPage(gpu, (wg) => wg.where(wg.ones([2, 1]), wg.ones([3]), wg.ones([4])));
    expect(message).toMatch(/^ShapeError: where: .*\[2,1\].*\[3\].*\[4\]/);
  });
});

describe('clip', () => {
  it('clamps float32, keeps int32 for whole or infinite bounds, and promotes int32 for fractional bounds', async () => {
    const rng = mulberry32(26);
    const x = tensorArg(randomFrom([7, 13], rng, (r) => r() * 6 - 3));
    const ints = tensorArg(randomIntArray([65], rng, -50, 50), 'int32');
    const calls: OpCall[] = [
      { op: 'clip', args: [x, -1, 1.5] },
      { op: 'clip', args: [x, 0.25, 0.25] },
      { op: 'clip', args: [x, -Infinity, 0] },
      { op: 'clip', args: [tensorArg({ shape: [0, 4], data: new Float64Array(0) }), 0, 1] },
      { op: 'clip', args: [ints, -10, 20] },
      { op: 'clip', args: [ints, 0, Infinity] },
      { op: 'clip', args: [ints, -9.5, 9.5] },
      { op: 'clip', args: [-3.5, -1, 1] },
    ];
    const dtypes = ['float32', 'float32', 'float32', 'float32', 'int32', 'int32', 'float32', 'float32'];
    await checkExact(calls, (call) => dtypes[calls.indexOf(call)]);
  });

  it('passes the gradient where lo <= x <= hi, boundaries included (as TF.js clipByValue)', async () => {
    const rng = mulberry32(27);
    // Interior points checked against finite differences: none within 0.01 of a bound.
    const away = (r: Rng): number => {
      for (;;) {
        const v = r() * 6 - 3;
        if (Math.abs(v + 1) > 0.01 && Math.abs(v - 1.5) > 0.01) return v;
      }
    };
    const call: OpCall = { op: 'clip', args: [tensorArg(randomFrom([5, 6], rng, away)), -1, 1.5] };
    await checkGradients([{ ...call, outputGradient: weightsFor(call, rng) }], { rtol: 1e-6, atol: 0 }, 0);
    // At the bounds themselves the gradient is 1 (a one-sided rule, which finite differences cannot show).
    const onBounds: OpCall = { op: 'clip', args: [tensorArg({ shape: [4], data: Float64Array.from([-1, 1.5, -1.0001, 1.5001]) }), -1, 1.5] };
    const [[gradient]] = await gradientsInPage(gpu, [{ ...onBounds, outputGradient: Float32Array.from([1, 1, 1, 1]) }]);
    expect(Array.from(gradient)).toEqual([1, 1, 0, 0]);
  });

  it('rejects lo > hi and NaN bounds with a ValueError naming both', async () => {
    expect(await thrownInPage(gpu, (wg) => wg.clip(wg.ones([3]), 2, 1))).toMatch(/^ValueError: clip: .*2.*1/);
    expect(await thrownInPage(gpu, (wg) => wg.clip(wg.ones([3]), NaN, 1))).toMatch(/^ValueError: clip: .*NaN/);
  });
});

describe('cast', () => {
  it('truncates float32 toward zero, saturates out-of-range values, and converts int32 exactly or to nearest', async () => {
    const floats = Float32Array.from([-2.7, -0.5, -0, 0.5, 2.7, 1e9, -1e9, 16777216, 3e9, -3e9, 2147483520]);
    const ints = Int32Array.from([-7, 0, 16777216, 16777217, -16777219, 2147483647, -2147483648]);
    const outcome = await gpu.run(async (wg, args) => {
      const f = wg.tensor(args.floats, [args.floats.length]);
      const i = wg.tensor(args.ints, [args.ints.length], 'int32');
      const toInt = wg.cast(f, 'int32');
      const toFloat = wg.cast(i, 'float32');
      const result = {
        toInt: Array.from(await toInt.data()), toIntDtype: toInt.dtype,
        toFloat: Array.from(await toFloat.data()), toFloatDtype: toFloat.dtype,
      };
      for (const t of [f, i, toInt, toFloat]) t.dispose();
      return result;
    }, { floats, ints });
    // WGSL converts f32 → i32 rounding toward zero and clamps to [−2^31, 2^31 − 128] (the largest
    // float32 below 2^31), so ±3e9 saturate.
    const saturate = (v: number): number => Math.min(Math.max(Math.trunc(v), -(2 ** 31)), 2 ** 31 - 128);
    expect(outcome.toIntDtype).toBe('int32');
    expect(outcome.toInt).toEqual(Array.from(floats, saturate).map((v) => v + 0));
    expect(outcome.toFloatDtype).toBe('float32');
    expect(outcome.toFloat).toEqual(Array.from(ints, Math.fround));
  });

  it('to the same dtype gives an independent copy', async () => {
    const outcome = await gpu.run(async (wg) => {
      const x = wg.tensor([1.5, -2, 3]);
      const n = wg.tensor(new Int32Array([4, -5]));
      const copy = wg.cast(x, 'float32');
      const intCopy = wg.cast(n, 'int32');
      const distinct = copy !== x && intCopy !== n;
      copy.dispose();
      intCopy.dispose();
      const stillThere = [Array.from(await x.data()), Array.from(await n.data())];
      const copies = [Array.from(await wg.cast(x, 'float32').data()), Array.from(await wg.cast(n, 'int32').data())];
      return { distinct, stillThere, copies };
    });
    expect(outcome.distinct).toBe(true);
    expect(outcome.stillThere).toEqual([[1.5, -2, 3], [4, -5]]);
    expect(outcome.copies).toEqual([[1.5, -2, 3], [4, -5]]);
  });

  it('passes float32 gradients unchanged and blocks them through int32', async () => {
    const outcome = await gpu.run(async (wg) => {
      const x = wg.tensor([0.5, -1.25, 2]);
      const w = wg.tensor([1, 2, 3]);
      const tape = new wg.Tape();
      const y = tape.record(() => wg.mul(wg.cast(x, 'float32'), w));
      const [gradient] = tape.gradient(y, [x], { outputGradient: wg.ones([3]) });
      const identity = Array.from(await gradient.data());
      const blockingTape = new wg.Tape();
      const z = blockingTape.record(() => wg.cast(wg.cast(x, 'int32'), 'float32'));
      let blocked = 'no error';
      try {
        blockingTape.gradient(z, [x], { outputGradient: wg.ones([3]) });
      } catch (error) {
        blocked = `${(error as Error).name}: ${(error as Error).message}`;
      }
      return { identity, blocked };
    });
    expect(outcome.identity).toEqual([1, 2, 3]);
    expect(outcome.blocked).toMatch(/^NonDifferentiableError: .*cast/);
  });

  it('rejects an unknown dtype and a disposed tensor', async () => {
    expect(await thrownInPage(gpu, (wg) => wg.cast(wg.ones([2]), 'float64' as 'float32'))).toMatch(/^ValueError: cast: .*float64/);
    const disposedCast = await thrownInPage(gpu, (wg) => {
      const disposed = wg.ones([2]);
      disposed.dispose();
      return wg.cast(disposed, 'int32');
    });
    expect(disposedCast).toMatch(/^DisposedTensorError: cast/);
  });
});

function weightsFor(call: OpCall, rng: Rng): Float32Array {
  const shape = evaluate(call.op, referenceArgs(call)).shape;
  return Float32Array.from(randomArray(shape, rng).data);
}

/** Tape gradients against finite differences for the tensor arguments after the first `skip` ones. */
async function checkGradients(calls: GradientCall[], tolerance: { rtol: number; atol: number }, skip: number): Promise<void> {
  const gradients = await gradientsInPage(gpu, calls);
  calls.forEach((call, i) => {
    const expected = numericGradientsOf(call, (args) => evaluate(call.op, args));
    expected.forEach((reference, k) => {
      if (k < skip) return;
      expectClose(gradients[i][k], reference.data, { ...tolerance, shape: reference.shape }, `d ${describeCall(call)} / d tensor ${k}`);
    });
  });
}
