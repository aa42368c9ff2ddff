// Unary and binary elementwise ops against float64 references: shapes that broadcast in every
// direction, size-0 / size-1 / odd sizes and one 2^24-element op, int32 paths, inputs where naive
// formulas overflow, and every gradient through the Tape against finite differences.
//
// Tolerances follow the WGSL spec's f32 accuracy (https://www.w3.org/TR/WGSL/#floating-point-accuracy):
// + − × are correctly rounded (½ ulp), x / y is 2.5 ulp, exp 3 + 2|x| ulp, log 3 ulp (absolute
// 2^-21 on [0.5, 2]), inverseSqrt 2 ulp, sqrt inherits 1 / inverseSqrt, pow inherits
// exp2(y·log2 x), sin/cos absolute 2^-11 on [-π, π]. 1 ulp of a float32 near v is at most 2^-23·|v|
// ≈ 1.19e-7·|v|. The reference runs in float64 on exactly the float32 inputs the GPU saw.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { geluExact } from '../reference/erf';
import { binary, expectClose, mulberry32, randomArray, randomIntArray, unary, type NdArray, type Rng } from '../reference';
import {
  argArray, asNdArray, broadcastPairs, callOps, describeCall, gradientsInPage, numericGradientsOf, operand, randomFrom, tensorArg, type GradientCall, type OpCall,
} from './op-calls';

const gpu = useGpuPage();

interface Tolerance { rtol: number; atol: number }
const ULP = 2 ** -23;
const EXACT: Tolerance = { rtol: 0, atol: 0 };

const uniformIn = (lo: number, hi: number) => (rng: Rng): number => lo + (hi - lo) * rng();
/** Magnitude in [lo, hi] with a random sign: keeps inputs away from a kink or pole at 0. */
const awayFromZero = (lo: number, hi: number) => (rng: Rng): number => (rng() < 0.5 ? -1 : 1) * (lo + (hi - lo) * rng());

const stableSoftplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

interface UnaryCase { reference: (x: number) => number; tolerance: Tolerance; domain: (rng: Rng) => number }

/** Each unary op: its float64 reference, its tolerance on its domain (why: see each comment), its inputs. */
const unaryOps: Record<string, UnaryCase> = {
  neg: { reference: (x) => -x, tolerance: EXACT, domain: awayFromZero(0.05, 4) },
  abs: { reference: Math.abs, tolerance: EXACT, domain: awayFromZero(0.05, 4) },
  // exp on |x| ≤ 10: 3 + 2·10 = 23 ulp.
  exp: { reference: Math.exp, tolerance: { rtol: 23 * ULP, atol: 0 }, domain: uniformIn(-10, 10) },
  // log: 2^-21 absolute on [0.5, 2], 3 ulp elsewhere.
  log: { reference: Math.log, tolerance: { rtol: 3 * ULP, atol: 2 ** -21 }, domain: uniformIn(0.05, 10) },
  // 1 / inverseSqrt: 2 ulp, then 2.5 ulp for the division.
  sqrt: { reference: Math.sqrt, tolerance: { rtol: 4.5 * ULP, atol: 0 }, domain: uniformIn(0.05, 10) },
  rsqrt: { reference: (x) => 1 / Math.sqrt(x), tolerance: { rtol: 2 * ULP, atol: 0 }, domain: uniformIn(0.05, 10) },
  // One correctly rounded product.
  square: { reference: (x) => x * x, tolerance: { rtol: 0.5 * ULP, atol: 0 }, domain: uniformIn(-4, 4) },
  // The spec bounds sin/cos only on [-π, π] (2^-11 absolute); the test uses that bound on |x| ≤ 10 too.
  // (SwiftShader's error is about 1.9e-4 ≈ 2^-12.4 throughout [-10, 10].)
  sin: { reference: Math.sin, tolerance: { rtol: 0, atol: 2 ** -11 }, domain: uniformIn(-10, 10) },
  cos: { reference: Math.cos, tolerance: { rtol: 0, atol: 2 ** -11 }, domain: uniformIn(-10, 10) },
  relu: { reference: (x) => Math.max(x, 0), tolerance: EXACT, domain: awayFromZero(0.05, 4) },
  // 1 / (1 + exp(−|x|)) (or e / (1 + e)): exp of |x| ≤ 10 (23 ulp), an add and a 2.5 ulp division.
  sigmoid: { reference: sigmoid, tolerance: { rtol: 27 * ULP, atol: 0 }, domain: uniformIn(-10, 10) },
  // (1 − e) / (1 + e) with e = exp(−2|x|): near 0, 1 − e loses relative precision, so a few ulp of
  // 1 absolute; elsewhere exp of |2x| ≤ 20 (43 ulp) plus the division.
  tanh: { reference: Math.tanh, tolerance: { rtol: 46 * ULP, atol: 4 * ULP }, domain: uniformIn(-10, 10) },
  // Exact gelu x·Φ(x) (its tanh form and the bounds' derivation: gelu.test.ts): 4 ulp, plus exp's
  // 3 + x² ulp in the lower tail, x ≥ −5.
  gelu: { reference: geluExact, tolerance: { rtol: 32 * ULP, atol: 0 }, domain: uniformIn(-5, 5) },
  // max(x, 0) + log(1 + exp(−|x|)): log's 2^-21 absolute on [1, 2] dominates.
  softplus: { reference: stableSoftplus, tolerance: { rtol: 4 * ULP, atol: 2 ** -21 + 2 * ULP }, domain: uniformIn(-10, 10) },
  reciprocal: { reference: (x) => 1 / x, tolerance: { rtol: 2.5 * ULP, atol: 0 }, domain: awayFromZero(0.1, 10) },
  sign: { reference: Math.sign, tolerance: EXACT, domain: awayFromZero(0.05, 4) },
};

/** Everything but sign (zero gradient, checked too) is differentiable; all are checked. */
const unaryNames = Object.keys(unaryOps);

interface BinaryCase {
  reference: (a: number, b: number) => number;
  tolerance: Tolerance;
  domainA: (rng: Rng) => number;
  domainB: (rng: Rng) => number;
}

const binaryOps: Record<string, BinaryCase> = {
  add: { reference: (a, b) => a + b, tolerance: { rtol: 0.5 * ULP, atol: 0 }, domainA: uniformIn(-3, 3), domainB: uniformIn(-3, 3) },
  sub: { reference: (a, b) => a - b, tolerance: { rtol: 0.5 * ULP, atol: 0 }, domainA: uniformIn(-3, 3), domainB: uniformIn(-3, 3) },
  mul: { reference: (a, b) => a * b, tolerance: { rtol: 0.5 * ULP, atol: 0 }, domainA: uniformIn(-3, 3), domainB: uniformIn(-3, 3) },
  div: { reference: (a, b) => a / b, tolerance: { rtol: 2.5 * ULP, atol: 0 }, domainA: uniformIn(-3, 3), domainB: awayFromZero(0.25, 4) },
  // exp2(y·log2 x) with |y| ≤ 3, x in [0.25, 4]: log2's 3 ulp of |log2 x| ≤ 2, times |y| ≤ 3, times
  // ln 2 relative in the result, plus exp2's 3 + 2·6 ulp: about 33 ulp; allow 40.
  pow: { reference: Math.pow, tolerance: { rtol: 40 * ULP, atol: 0 }, domainA: uniformIn(0.25, 4), domainB: uniformIn(-3, 3) },
  maximum: { reference: Math.max, tolerance: EXACT, domainA: uniformIn(-3, 3), domainB: uniformIn(-3, 3) },
  minimum: { reference: Math.min, tolerance: EXACT, domainA: uniformIn(-3, 3), domainB: uniformIn(-3, 3) },
};
const binaryNames = Object.keys(binaryOps);

/** Float64 reference of a unary or binary op on float64 arguments. */
function evaluate(op: string, args: NdArray[]): NdArray {
  if (op in unaryOps) return unary(args[0], unaryOps[op].reference);
  return binary(args[0], args[1], binaryOps[op].reference);
}

const referenceOf = (call: OpCall): NdArray => evaluate(call.op, call.args.map(argArray));

function toleranceOf(op: string): Tolerance {
  return op in unaryOps ? unaryOps[op].tolerance : binaryOps[op].tolerance;
}

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
      shapes.map((shape) => ({ op, args: [tensorArg(randomFrom(shape, rng, unaryOps[op].domain))] })),
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
      const expected = unary(argArray(extremes), unaryOps[op].reference);
      // Absolute 1e-6 covers values that underflow to 0 in float32 (sigmoid(−100) ≈ 3.7e-44).
      expectClose(results[i].values, expected.data, { rtol: 46 * ULP, atol: 1e-6 }, op);
    });
  });

  it('keep int32 for neg, abs and square and give float32 signs; other ops reject int32', async () => {
    const values = tensorArg({ shape: [5], data: Float64Array.from([-7, -1, 0, 3, 46340]) }, 'int32');
    const results = await callOps(gpu, ['neg', 'abs', 'square', 'sign'].map((op) => ({ op, args: [values] })));
    expect(results.map((r) => r.dtype)).toEqual(['int32', 'int32', 'int32', 'float32']);
    expect(Array.from(results[0].values)).toEqual([7, 1, 0, -3, -46340]);
    expect(Array.from(results[1].values)).toEqual([7, 1, 0, 3, 46340]);
    expect(Array.from(results[2].values)).toEqual([49, 1, 0, 9, 46340 * 46340]);
    expect(Array.from(results[3].values)).toEqual([-1, -1, 0, 1, 1]);
    await expect(gpu.run((wg) => wg.exp(wg.tensor(new Int32Array([1, 2]))))).rejects.toThrow(/ValueError: exp: .*int32/);
  });
});

describe('binary ops forward', () => {
  it('match float64 with broadcasting in every direction, numbers on either side, rank 8 and size 0', async () => {
    const rng = mulberry32(2);
    const pairs = broadcastPairs(rng);
    const calls = binaryNames.flatMap((op) =>
      pairs.map(([shapeA, shapeB]) => ({
        op,
        args: [operand(shapeA, rng, binaryOps[op].domainA), operand(shapeB, rng, binaryOps[op].domainB)],
      })),
    );
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

  it('keep int32 for add, sub, mul, maximum and minimum of int32 operands and integer numbers', async () => {
    const rng = mulberry32(4);
    const a = randomIntArray([3, 1, 5], rng, -1000, 1000);
    const b = randomIntArray([4, 1], rng, -1000, 1000);
    const ops = ['add', 'sub', 'mul', 'maximum', 'minimum'];
    const calls: OpCall[] = ops.flatMap((op) => [
      { op, args: [tensorArg(a, 'int32'), tensorArg(b, 'int32')] },
      { op, args: [tensorArg(b, 'int32'), 7] },
      { op, args: [-3, tensorArg(a, 'int32')] },
    ]);
    const results = await callOps(gpu, calls);
    calls.forEach((call, i) => {
      const label = describeCall(call);
      const expected = referenceOf(call);
      expect(results[i].dtype, label).toBe('int32');
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

  it('add over 2^24 elements (a 2-D dispatch grid) matches the CPU everywhere', async () => {
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
      const samples = [0, 1, 65535 * 64, n - 1].map((i) => [values[i], a[i] + b[i]]);
      for (const t of [ta, tb, sum]) t.dispose();
      return { length: values.length, mismatches, checksum, expectedChecksum, samples, leaked: wg.memory().numTensors - before };
    });
    expect(summary.length).toBe(2 ** 24);
    expect(summary.mismatches).toBe(0);
    expect(summary.checksum).toBe(summary.expectedChecksum);
    for (const [actual, expected] of summary.samples) expect(actual).toBe(expected);
    expect(summary.leaked).toBe(0);
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

// Gradients: the Tape's float32 backward against central differences of the float64 reference.
// The backward rules chain 2–8 float32 ops of ≤ ~45 ulp each (≈ 1e-5 relative); central
// differences with eps = 1e-6 in float64 are good to ~1e-9. rtol 1e-4 and atol 1e-5 leave margin.
// sin' = cos and cos' = −sin carry the 2^-11 absolute error of sin/cos (weights are in [−1, 1]).
const gradientTolerance = (op: string): Tolerance =>
  op === 'sin' || op === 'cos' ? { rtol: 1e-4, atol: 2 ** -11 } : { rtol: 1e-4, atol: 1e-5 };

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
      const call: OpCall = { op, args: [tensorArg(randomFrom([4, 5], rng, gradientDomain(op)))] };
      return { ...call, outputGradient: weightsFor(call, rng) };
    });
    await checkGradients(calls);
  });

  it('of every binary op match finite differences, summed back over broadcast dims', async () => {
    const rng = mulberry32(7);
    const pairs: [number[] | null, number[] | null][] = [[[3, 1, 5], [4, 1]], [[2, 3], []], [[], [4]], [[2, 3], null], [null, [3, 2]]];
    const calls = binaryNames.flatMap((op) =>
      pairs.map(([shapeA, shapeB]): GradientCall => {
        const domainA = op === 'maximum' || op === 'minimum' ? uniformIn(-3, -0.1) : binaryOps[op].domainA;
        // maximum/minimum: a in [−3, −0.1], b in [0.1, 3] and flipped halves below keep ties away.
        const domainB = op === 'maximum' || op === 'minimum' ? uniformIn(0.1, 3) : binaryOps[op].domainB;
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

function gradientDomain(op: string): (rng: Rng) => number {
  if (op === 'exp' || op === 'sigmoid' || op === 'tanh' || op === 'softplus') return uniformIn(-3, 3);
  if (op === 'sin' || op === 'cos') return uniformIn(-3, 3);
  return unaryOps[op].domain;
}
