// softmax and logSoftmax against the float64 references, including ±1e4 logits, and their
// gradients (through the Tape) against finite differences of those references.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import { runSingleInputCases, thrownBy, type SingleInputCase, type SingleInputResult } from './single-input-cases';

type SoftmaxOp = 'softmax' | 'logSoftmax';

const gpu = useGpuPage();

/**
 * Tolerances from WGSL's accuracy rules: exp(x) is within 3 + 2|x| ULP, so for logits within ~6 of
 * the row maximum each exp is within ~15 ULP (1.8e-6 relative); the sum adds ≤ length·u and the
 * division one rounding. softmax: rtol 1e-5 (with atol 1e-7 for entries that are ~0 anyway).
 * logSoftmax = (x - m) - log Σ: x - m rounds once (6e-8 relative); log is within 2^-21 absolute
 * near 1 and 3 ULP elsewhere, and inherits Σ's ≤ ~2e-6 relative error as absolute error.
 */
const TOLERANCE: Record<SoftmaxOp, { rtol: number; atol: number }> = {
  softmax: { rtol: 1e-5, atol: 1e-7 },
  logSoftmax: { rtol: 1e-6, atol: 4e-6 },
};

function logitsCase(op: SoftmaxOp, shape: number[], axis: number | undefined, seed: number, scale = 3): SingleInputCase {
  const data = Float32Array.from(ref.randomArray(shape, ref.mulberry32(seed), -scale, scale).data);
  return { op, shape, data, args: axis === undefined ? [] : [axis] };
}

const axisOf = (c: SingleInputCase): number => (c.args[0] as number | undefined) ?? -1;
const asArray = (c: SingleInputCase): ref.NdArray => ({ shape: [...c.shape], data: Float64Array.from(c.data) });
const reference = (c: SingleInputCase, x = asArray(c)): ref.NdArray => ref[c.op as SoftmaxOp](x, axisOf(c));
const label = (c: SingleInputCase): string => `${c.op}([${c.shape}], axis ${axisOf(c)})`;

/** Σ along the case's axis of the GPU softmax, in float64: each should be 1. */
function rowSums(c: SingleInputCase, result: SingleInputResult): Float64Array {
  return ref.sum({ shape: result.shape, data: Float64Array.from(result.data) }, axisOf(c)).data;
}

function expectMatches(c: SingleInputCase, result: SingleInputResult): void {
  const expected = reference(c);
  expect(result.shape, label(c)).toEqual(expected.shape);
  expect(result.dtype).toBe('float32');
  expect(result.data.every(Number.isFinite), `${label(c)}: all finite`).toBe(true);
  ref.expectClose(result.data, expected.data, { ...TOLERANCE[c.op as SoftmaxOp], shape: expected.shape }, label(c));
  if (c.op === 'softmax') {
    // Each output within 1e-5 relative, so their sum is within 1e-5 of 1.
    ref.expectClose(rowSums(c, result), new Float64Array(rowSums(c, result).length).fill(1), { rtol: 0, atol: 1e-5 }, `${label(c)}: row sums`);
  }
}

async function checkAll(cases: SingleInputCase[]): Promise<void> {
  const results = await runSingleInputCases(gpu, cases);
  cases.forEach((c, i) => expectMatches(c, results[i]));
}

describe('softmax and logSoftmax forward', () => {
  it('match the reference along every axis (negative too) of random shapes, odd sizes', async () => {
    const rng = ref.mulberry32(5);
    const cases: SingleInputCase[] = [];
    let seed = 200;
    for (const op of ['softmax', 'logSoftmax'] as const) {
      for (let rank = 1; rank <= 4; rank++) {
        const shape = ref.randomShape(rng, rank, 1, 9);
        for (let axis = -rank; axis < rank; axis++) cases.push(logitsCase(op, shape, axis, seed++));
      }
      cases.push(logitsCase(op, [3, 7, 67], undefined, seed++)); // default axis: the last
      cases.push(logitsCase(op, [5, 130], 0, seed++));
      cases.push(logitsCase(op, [2, 3001], 1, seed++));
      cases.push(logitsCase(op, [1], 0, seed++));
    }
    await checkAll(cases);
  });

  it('stay finite and accurate for logits of ±1e4', async () => {
    const cases: SingleInputCase[] = [];
    let seed = 300;
    for (const op of ['softmax', 'logSoftmax'] as const) {
      cases.push(logitsCase(op, [4, 33], -1, seed++, 1e4));
      cases.push(logitsCase(op, [33, 4], 0, seed++, 1e4));
      // Rows of exactly ±1e4, ties included: naive exp would overflow (and give Inf/Inf = NaN).
      const extremes = Float32Array.from([1e4, 1e4, -1e4, -1e4, 1e4, -1e4, -1e4, -1e4, 1e4, 1e4 - 1, 1e4 - 2, -1e4]);
      cases.push({ op, shape: [3, 4], data: extremes, args: [1] });
    }
    await checkAll(cases);
  });

  it('give empty outputs for empty inputs', async () => {
    const results = await runSingleInputCases(gpu, [
      { op: 'softmax', shape: [0, 3], data: new Float32Array(0), args: [1] },
      { op: 'logSoftmax', shape: [3, 0], data: new Float32Array(0), args: [1] },
      { op: 'softmax', shape: [3, 0, 2], data: new Float32Array(0), args: [0] },
    ]);
    expect(results.map((r) => r.shape)).toEqual([[0, 3], [3, 0], [3, 0, 2]]);
    expect(results.every((r) => r.data.length === 0)).toBe(true);
  });

  it('reject a bad axis (naming axis and rank) and int32 input', async () => {
    const errors = await thrownBy(gpu, [
      'wg.softmax(wg.zeros([2, 3]), 2)',
      'wg.logSoftmax(wg.zeros([2, 3]), -3)',
      'wg.softmax(wg.tensor(1))',
      'wg.softmax(wg.zeros([2, 3], "int32"))',
    ]);
    expect(errors[0]).toMatch(/^ValueError: softmax: axis 2 .*rank 2/);
    expect(errors[1]).toMatch(/^ValueError: logSoftmax: axis -3 .*rank 2/);
    expect(errors[2]).toMatch(/^ValueError: softmax: axis -1 .*rank 0/);
    expect(errors[3]).toMatch(/^ValueError: softmax: .*float32.*int32/);
  });
});

describe('softmax and logSoftmax gradients', () => {
  function withOutputGradient(c: SingleInputCase, seed: number): SingleInputCase {
    return { ...c, outputGradient: Float32Array.from(ref.randomArray(c.shape, ref.mulberry32(seed)).data) };
  }

  it('match finite differences of the reference along each axis, for ordinary and ±1e4 logits', async () => {
    const cases: SingleInputCase[] = [];
    let seed = 400;
    for (const op of ['softmax', 'logSoftmax'] as const) {
      for (const axis of [0, 1, -1]) cases.push(withOutputGradient(logitsCase(op, [3, 4, 5], axis, seed++), seed++));
      cases.push(withOutputGradient(logitsCase(op, [4, 6], 1, seed++, 1e4), seed++));
    }
    const results = await runSingleInputCases(gpu, cases);
    cases.forEach((c, i) => {
      const dy = Float64Array.from(c.outputGradient!);
      const large = Math.max(...c.data.map(Math.abs)) > 100;
      // At ±1e4 the function is locally linear (softmax saturated), so a wide step loses nothing
      // while a 1e-6 step would drown in the float64 rounding of values ~1e4.
      const eps = large ? 1e-2 : 1e-6;
      const [expected] = ref.numericGradient(([x]) => reference(c, x).data.reduce((t, v, k) => t + dy[k] * v, 0), [asArray(c)], eps);
      expect(results[i].gradient!.every(Number.isFinite), `${label(c)}: finite gradient`).toBe(true);
      // The backward rules are a handful of float32 ops on values ≤ 1 with one cancellation
      // (dy - Σ dy·y): ~1e-6 absolute; finite differences are good to ~1e-9.
      ref.expectClose(results[i].gradient!, expected.data, { rtol: 1e-4, atol: 1e-5 }, `gradient of ${label(c)}`);
    });
  });
});
