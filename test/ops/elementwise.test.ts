// Unary and binary elementwise ops against float64 references, every op from its test row
// (elementwise-cases.ts, which gives the tolerances and their reasons): shapes that broadcast in
// every direction, size-0 / size-1 / odd sizes and one 2^24-element op, int32 forms, inputs where
// naive formulas overflow, and every gradient through the Tape against finite differences.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { binary, expectClose, mapBroadcast, mulberry32, randomArray, randomIntArray, unary, type NdArray, type Rng } from '../reference';
import { awayFromZero, binaryCases, uniformIn, unaryCases, ULP, type ElementwiseCase, type Tolerance } from './elementwise-cases';
import {
  argArray, asNdArray, broadcastPairs, callOps, describeCall, gradientsInPage, numericGradientsOf, operand, randomFrom, tensorArg, type GradientCall, type OpCall,
} from './op-calls';

const gpu = useGpuPage();

const unaryNames = Object.keys(unaryCases);
const binaryNames = Object.keys(binaryCases);
const caseOf = (op: string): ElementwiseCase => unaryCases[op] ?? binaryCases[op];

/** Float64 reference of a unary or binary op on float64 arguments. */
function evaluate(op: string, args: NdArray[]): NdArray {
  return mapBroadcast(args, (values) => caseOf(op).reference(...values));
}

const referenceOf = (call: OpCall): NdArray => evaluate(call.op, call.args.map(argArray));

const toleranceOf = (op: string): Tolerance => caseOf(op).tolerance;

async function checkForward(calls: OpCall[]): Promise<void> {
  const results = await callOps(gpu, calls);
  calls.forEach((call, i) => {
    const expected = referenceOf(call);
    const label = describeCall(call);
    expect(results[i].shape, label).toEqual(expected.shape);
    expect(results[i].dtype, label).toBe('float32');
    expectClose(results[i].values, expected.data, { ...toleranceOf(call.op), shape: expected.shape }, label);
  });
}

describe('unary ops forward', () => {
  it('match float64 on random inputs of many shapes, including size 0 and sizes not a multiple of 64', async () => {
    const rng = mulberry32(1);
    const shapes = [[], [1], [65], [7, 13], [2, 3, 4], [0], [3, 0, 2], [1000]];
    const calls = unaryNames.flatMap((op) =>
      shapes.map((shape) => ({ op, args: [tensorArg(randomFrom(shape, rng, unaryCases[op].domains[0]))] })),
    );
    await checkForward(calls);
  });

  it('accept a plain number', async () => {
    await checkForward([{ op: 'exp', args: [0.5] }, { op: 'neg', args: [2] }, { op: 'sigmoid', args: [-1] }]);
  });

  it('stay finite and accurate where naive formulas overflow: sigmoid, softplus, tanh, gelu at up to ±1e4', async () => {
    const extremes = tensorArg({ shape: [12], data: Float64Array.from([-1e4, -1000, -100, -88.7, -30, -15, 15, 30, 88.7, 100, 1000, 1e4]) });
    const results = await callOps(gpu, ['sigmoid', 'softplus', 'tanh', 'gelu'].map((op) => ({ op, args: [extremes] })));
    ['sigmoid', 'softplus', 'tanh', 'gelu'].forEach((op, i) => {
      const values = Array.from(results[i].values);
      expect(values.every(Number.isFinite), `${op}: ${values.join(', ')}`).toBe(true);
      const expected = unary(argArray(extremes), unaryCases[op].reference);
      // Absolute 1e-6 covers values that underflow to 0 in float32 (sigmoid(−100) ≈ 3.7e-44).
      expectClose(results[i].values, expected.data, { rtol: 46 * ULP, atol: 1e-6 }, op);
    });
  });

  it('run their int32 forms exactly where declared (neg, abs, square stay int32; sign gives float32); the others reject int32', async () => {
    const values = tensorArg({ shape: [5], data: Float64Array.from([-7, -1, 0, 3, 46340]) }, 'int32');
    const withInt32 = unaryNames.filter((op) => unaryCases[op].int32);
    const results = await callOps(gpu, withInt32.map((op) => ({ op, args: [values] })));
    withInt32.forEach((op, i) => {
      expect(results[i].dtype, op).toBe(unaryCases[op].int32);
      // + 0: integers have no −0 (neg(0) is 0).
      expect(Array.from(results[i].values), op).toEqual(Array.from(argArray(values).data, (x) => unaryCases[op].reference(x) + 0));
    });
    const refused = await gpu.run((wg, ops) => ops.map((op) => {
      try {
        (wg as unknown as Record<string, (x: unknown) => unknown>)[op](wg.tensor(new Int32Array([1, 2])));
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    }), unaryNames.filter((op) => !unaryCases[op].int32));
    refused.forEach((message) => expect(message).toMatch(/^ValueError: \w+: .*int32/));
  });
});

describe('binary ops forward', () => {
  it('match float64 with broadcasting in every direction, numbers on either side, rank 8 and size 0', async () => {
    const rng = mulberry32(2);
    const pairs = broadcastPairs(rng);
    const calls = binaryNames.flatMap((op) =>
      pairs.map(([shapeA, shapeB]) => ({
        op,
        args: [operand(shapeA, rng, binaryCases[op].domains[0]), operand(shapeB, rng, binaryCases[op].domains[1])],
      })),
    );
    await checkForward(calls);
  });

  it('match float64 through a strided walk of every rank 1 to 8 (each rank its own pipeline; no axes merge)', async () => {
    // b alternates broadcast and full axes, so broadcastUniforms merges none of them: the kernel
    // walks exactly `rank` axes. Rank 1: [1, 5] against [5] drops the size-1 axis and walks one.
    const rng = mulberry32(21);
    const shapes: [number[], number[]][] = [[[1, 5], [5]]];
    for (let rank = 2; rank <= 8; rank++) {
      const out = Array.from({ length: rank }, (_, d) => 2 + (d % 2));
      shapes.push([out, out.map((dim, d) => ((rank - d) % 2 === 0 ? 1 : dim))]);
    }
    const calls = ['add', 'mul', 'sub'].flatMap((op) => shapes.map(([shapeA, shapeB]) => ({
      op, args: [operand(shapeA, rng, binaryCases[op].domains[0]), operand(shapeB, rng, binaryCases[op].domains[1])],
    })));
    await checkForward(calls);
  });

  it('pow takes negative bases with integral exponents, as NumPy does', async () => {
    const rng = mulberry32(3);
    const bases = randomFrom([4, 6], rng, awayFromZero(0.25, 3));
    const exponents = randomIntArray([6], rng, -3, 3);
    const calls: OpCall[] = [
      { op: 'pow', args: [tensorArg(bases), tensorArg(exponents)] },
      { op: 'pow', args: [tensorArg(bases), 2] },
      { op: 'pow', args: [tensorArg(bases), 3] },
      { op: 'pow', args: [-2, tensorArg(exponents)] },
    ];
    await checkForward(calls);
  });

  it('match float64 four outputs per invocation: broadcasts whose innermost merged axis holds whole fours (stride 0 and 1 there), int32 too', async () => {
    // src/ops/elementwise.ts runs 4 outputs per invocation where out's innermost merged axis is a
    // multiple of 4: [32,32,32] − [32,32,1] (b's innermost stride 0), [3,8] · [8] (stride 1 for
    // both, b broadcast along rows), [2,1,12] vs [3,12], beside a [5,3] + [3] case of one per invocation.
    const rng = mulberry32(5);
    const shapes: [number[], number[]][] = [[[32, 32, 32], [32, 32, 1]], [[3, 8], [8]], [[2, 1, 12], [3, 12]], [[5, 3], [3]]];
    const calls: OpCall[] = ['sub', 'mul', 'maximum', 'pow'].flatMap((op) => shapes.map(([shapeA, shapeB]) => ({
      op, args: [operand(shapeA, rng, binaryCases[op].domains[0]), operand(shapeB, rng, binaryCases[op].domains[1])],
    })));
    await checkForward(calls);
    const a = randomIntArray([5, 12], rng, -1000, 1000);
    const b = randomIntArray([1, 12], rng, -1000, 1000);
    const [sum] = await callOps(gpu, [{ op: 'add', args: [tensorArg(a, 'int32'), tensorArg(b, 'int32')] }]);
    expect(sum.dtype).toBe('int32');
    expect(Array.from(sum.values)).toEqual(Array.from(mapBroadcast([a, b], ([x, y]) => x + y).data));
  });

  it('keep int32 where declared (add, sub, mul, maximum, minimum) for int32 operands and integer numbers', async () => {
    const rng = mulberry32(4);
    const a = randomIntArray([3, 1, 5], rng, -1000, 1000);
    const b = randomIntArray([4, 1], rng, -1000, 1000);
    const ops = binaryNames.filter((op) => binaryCases[op].int32);
    const calls: OpCall[] = ops.flatMap((op) => [
      { op, args: [tensorArg(a, 'int32'), tensorArg(b, 'int32')] },
      { op, args: [tensorArg(b, 'int32'), 7] },
      { op, args: [-3, tensorArg(a, 'int32')] },
    ]);
    const results = await callOps(gpu, calls);
    calls.forEach((call, i) => {
      const label = describeCall(call);
      const expected = referenceOf(call);
      expect(results[i].dtype, label).toBe(binaryCases[call.op].int32);
      expect(results[i].shape, label).toEqual(expected.shape);
      expect(Array.from(results[i].values), label).toEqual(Array.from(expected.data));
    });
  });

  it('promote to float32: int32 with a fraction or a float32 tensor, and true division and pow of int32', async () => {
    const rng = mulberry32(5);
    const a = tensorArg(randomIntArray([2, 3], rng, -9, 9), 'int32');
    const b = tensorArg(randomIntArray([3], rng, 1, 9), 'int32');
    const f = tensorArg(randomFrom([3], rng, uniformIn(-2, 2)));
    const calls: OpCall[] = [
      { op: 'add', args: [a, 2.5] },
      { op: 'mul', args: [a, f] },
      { op: 'maximum', args: [f, a] },
      { op: 'div', args: [a, b] },
      { op: 'pow', args: [b, a] },
    ];
    await checkForward(calls);
  });

  it('add over 2^24 elements (16,384 workgroups of 1,024 vec4 elements) matches the CPU everywhere', async () => {
    const summary = await gpu.run(async (wg) => {
      const n = 2 ** 24;
      // Small integers and halves: every sum is exact in float32, so the GPU must match bit for bit.
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        a[i] = (i % 1000) * 0.5;
        b[i] = (i % 7) - 3;
      }
      const before = wg.memory().numTensors;
      const ta = wg.tensor(a, [n]);
      const tb = wg.tensor(b, [n]);
      const sum = wg.add(ta, tb);
      const values = (await sum.data()) as Float32Array;
      let mismatches = 0;
      let checksum = 0;
      let expectedChecksum = 0;
      for (let i = 0; i < n; i++) {
        if (values[i] !== a[i] + b[i]) mismatches++;
        checksum += values[i];
        expectedChecksum += a[i] + b[i];
      }
      const samples = [0, 1, 65535 * 64, 1024 * 16383, n - 1].map((i) => [values[i], a[i] + b[i]]);
      for (const t of [ta, tb, sum]) t.dispose();
      return { length: values.length, mismatches, checksum, expectedChecksum, samples, leaked: wg.memory().numTensors - before };
    });
    expect(summary.length).toBe(2 ** 24);
    expect(summary.mismatches).toBe(0);
    expect(summary.checksum).toBe(summary.expectedChecksum);
    for (const [actual, expected] of summary.samples) expect(actual).toBe(expected);
    expect(summary.leaked).toBe(0);
  });

  it('add over 2^26 + 20 int32 elements: the vec4 kernel past 65,535 workgroups (a 2-D dispatch grid) is exact everywhere', async () => {
    // 1,024 elements per workgroup (64 invocations × 4 vec4s): 65,537 workgroups, so launch lays
    // them out 2-D and the kernel must number them flat. Made and summed on the device (int32 is
    // exact), compared against i + 7 for every i.
    const summary = await gpu.run(async (wg) => {
      const n = 2 ** 26 + 20;
      const before = wg.memory().numTensors;
      const a = wg.arange(0, n, 1, 'int32');
      const b = wg.full([n], 7, 'int32');
      const sum = wg.add(a, b);
      const values = (await sum.data()) as Int32Array;
      let mismatches = 0;
      let first = -1;
      for (let i = 0; i < n; i++) {
        if (values[i] !== i + 7) {
          mismatches++;
          if (first < 0) first = i;
        }
      }
      for (const t of [a, b, sum]) t.dispose();
      return { length: values.length, dtype: sum.dtype, mismatches, first, leaked: wg.memory().numTensors - before };
    });
    expect(summary).toEqual({ length: 2 ** 26 + 20, dtype: 'int32', mismatches: 0, first: -1, leaked: 0 });
  });

  it('broadcast above rank 8 when the dims collapse (size-1 dims, runs that step contiguously)', async () => {
    const rng = mulberry32(91);
    const a = randomArray([2, 1, 3, 1, 1, 2, 1, 1, 1, 2], rng);
    const b = randomArray([3, 1, 1, 2, 1, 1, 1, 1], rng);
    const out = await gpu.run(async (wg, args) => {
      const result = wg.add(wg.tensor(args.a, args.aShape), wg.tensor(args.b, args.bShape));
      return { shape: result.shape, values: await result.data() };
    }, { a: Array.from(a.data), aShape: a.shape, b: Array.from(b.data), bShape: b.shape });
    const expected = binary(a, b, (x, y) => x + y);
    expect(out.shape).toEqual(expected.shape);
    expectClose(out.values, expected.data, { rtol: 1e-6, atol: 0 }, 'rank-10 broadcast add');
  });

  it('reject shapes that do not broadcast (naming the op and both shapes) and rank 9, leaking nothing', async () => {
    const outcome = await gpu.run(async (wg) => {
      const a = wg.zeros([2, 3]);
      const b = wg.zeros([4, 3]);
      const int = wg.zeros([4, 3], 'int32');
      // Broadcast against each other dim by dim, these two cannot be collapsed below rank 9.
      const rank9 = wg.zeros([2, 1, 2, 1, 2, 1, 2, 1, 2]);
      const rank9Across = wg.zeros([1, 2, 1, 2, 1, 2, 1, 2, 1]);
      const before = wg.memory().numTensors;
      const messages: string[] = [];
      for (const attempt of [() => wg.sub(a, b), () => wg.mul(a, int), () => wg.pow(a, b), () => wg.add(rank9, rank9Across)]) {
        try {
          attempt();
          messages.push('no error');
        } catch (error) {
          messages.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      const after = wg.memory().numTensors;
      for (const t of [a, b, int, rank9, rank9Across]) t.dispose();
      return { messages, leaked: after - before };
    });
    expect(outcome.messages[0]).toMatch(/^ShapeError: sub: .*\[2,3\].*\[4,3\]/);
    expect(outcome.messages[1]).toMatch(/^ShapeError: mul: .*\[2,3\].*\[4,3\]/);
    expect(outcome.messages[2]).toMatch(/^ShapeError: pow: .*\[2,3\].*\[4,3\]/);
    expect(outcome.messages[3]).toMatch(/^ShapeError: add: rank 9 exceeds the supported 8/);
    expect(outcome.leaked).toBe(0);
  });
});

// Gradients: the Tape's float32 backward against central differences of the float64 reference,
// to each row's gradient tolerance.
const gradientTolerance = (op: string): Tolerance => caseOf(op).gradientTolerance ?? { rtol: 1e-4, atol: 1e-5 };
const gradientDomains = (op: string): ((rng: Rng) => number)[] => caseOf(op).gradientDomains ?? caseOf(op).domains;

async function checkGradients(calls: GradientCall[]): Promise<void> {
  const gradients = await gradientsInPage(gpu, calls);
  calls.forEach((call, i) => {
    const expected = numericGradientsOf(call, (args) => evaluate(call.op, args.map(asNdArray)));
    expect(gradients[i].length, describeCall(call)).toBe(expected.length);
    expected.forEach((reference, k) => {
      expectClose(gradients[i][k], reference.data, { ...gradientTolerance(call.op), shape: reference.shape }, `d ${describeCall(call)} / d arg ${k}`);
    });
  });
}

function weightsFor(call: OpCall, rng: Rng): Float32Array {
  const shape = referenceOf(call).shape;
  return Float32Array.from(randomArray(shape, rng).data);
}

describe('gradients', () => {
  it('of every unary op match finite differences', async () => {
    const rng = mulberry32(6);
    const calls = unaryNames.map((op): GradientCall => {
      // Gradient domains stay inside where the float32 forward is smooth and well conditioned.
      const call: OpCall = { op, args: [tensorArg(randomFrom([4, 5], rng, gradientDomains(op)[0]))] };
      return { ...call, outputGradient: weightsFor(call, rng) };
    });
    await checkGradients(calls);
  });

  it('of every binary op match finite differences, summed back over broadcast dims', async () => {
    const rng = mulberry32(7);
    const pairs: [number[] | null, number[] | null][] = [[[3, 1, 5], [4, 1]], [[2, 3], []], [[], [4]], [[2, 3], null], [null, [3, 2]]];
    const calls = binaryNames.flatMap((op) =>
      pairs.map(([shapeA, shapeB]): GradientCall => {
        const [domainA, domainB] = gradientDomains(op);
        // Drawn flipped half the time, so each input sees the other's domain too (maximum's ties stay away).
        const flip = rng() < 0.5;
        const call: OpCall = {
          op,
          args: flip ? [operand(shapeA, rng, domainB), operand(shapeB, rng, domainA)] : [operand(shapeA, rng, domainA), operand(shapeB, rng, domainB)],
        };
        return { ...call, outputGradient: weightsFor(call, rng) };
      }),
    );
    await checkGradients(calls);
  });
});
