// Shared by the movement and indexing op tests: a case format, the page function that runs a batch
// of cases on the GPU (optionally with a tape gradient), and the float64 reference for each case.
import { expect } from 'vitest';
import type { Tensor } from '../../src/index';
import type { GpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

export type CaseOp = 'reshape' | 'transpose' | 'broadcastTo' | 'slice' | 'concat' | 'gather' | 'oneHot';

export interface InputSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Values exactly representable in the dtype, so copies can be compared bit-exactly. */
  data: Float32Array | Int32Array;
}

export interface CaseParams {
  shape?: number[];
  perm?: number[];
  begin?: number[];
  size?: number[];
  axis?: number;
  batchDims?: number;
  depth?: number;
}

export interface OpCase {
  op: CaseOp;
  inputs: InputSpec[];
  params: CaseParams;
  /** With this, the op runs on a tape and the result carries d<w, op(inputs)>/d(input) for `gradFor`. */
  outputGradient?: Float32Array;
  gradFor?: number[];
}

export interface OpResult {
  shape: number[];
  dtype: string;
  data: number[];
  grads: number[][];
  /** "Name: message" when the op threw. */
  error?: string;
}

/** Runs every case in the page; an op that throws gives a result with `error` instead of failing the batch. */
export function runCases(gpu: GpuPage, cases: OpCase[]): Promise<OpResult[]> {
  return gpu.run(async (wg, all) => {
    const apply = (c: (typeof all)[number], xs: Tensor[]) => {
      const p = c.params;
      switch (c.op) {
        case 'reshape': return wg.reshape(xs[0], p.shape!);
        case 'transpose': return wg.transpose(xs[0], p.perm);
        case 'broadcastTo': return wg.broadcastTo(xs[0], p.shape!);
        case 'slice': return wg.slice(xs[0], p.begin!, p.size);
        case 'concat': return wg.concat(xs, p.axis);
        case 'gather': return wg.gather(xs[0], xs[1], p.axis, p.batchDims);
        case 'oneHot': return wg.oneHot(xs[0], p.depth!);
      }
    };
    // Type annotations are erased before the function is sent, so naming Node-side types is fine.
    const results: OpResult[] = [];
    for (const c of all) {
      const xs = c.inputs.map((input) => wg.tensor(input.data, input.shape, input.dtype));
      try {
        let y;
        let grads: Tensor[] = [];
        if (c.outputGradient) {
          const tape = new wg.Tape();
          y = tape.record(() => apply(c, xs));
          const seed = wg.tensor(c.outputGradient, y.shape);
          grads = tape.gradient(y, (c.gradFor ?? [0]).map((i) => xs[i]), { outputGradient: seed });
          seed.dispose();
        } else {
          y = apply(c, xs);
        }
        results.push({
          shape: [...y.shape],
          dtype: y.dtype,
          data: Array.from(await y.data(), Number),
          grads: await Promise.all(grads.map(async (g) => Array.from(await g.data(), Number))),
        });
        y.dispose();
        grads.forEach((g) => g.dispose());
      } catch (error) {
        const e = error as Error;
        results.push({ shape: [], dtype: '', data: [], grads: [], error: `${e.name}: ${e.message}` });
      } finally {
        xs.forEach((x) => x.dispose());
      }
    }
    return results;
  }, cases);
}

export function toNdArray(input: InputSpec): ref.NdArray {
  return { shape: [...input.shape], data: Float64Array.from(input.data) };
}

/** The float64 reference of a case, resolving the conveniences webgrad adds (negative begins, omitted sizes). */
export function referenceOf(c: OpCase, inputs: ref.NdArray[] = c.inputs.map(toNdArray)): ref.NdArray {
  const [x] = inputs;
  const p = c.params;
  switch (c.op) {
    case 'reshape': return ref.reshape(x, p.shape!);
    case 'transpose': return ref.transpose(x, p.perm);
    case 'broadcastTo': return ref.broadcastTo(x, p.shape!);
    case 'slice': {
      const begin = p.begin!.map((b, axis) => (b < 0 ? b + x.shape[axis] : b));
      return ref.slice(x, begin, p.size ?? x.shape.map(() => -1));
    }
    case 'concat': return ref.concat(inputs, p.axis ?? 0);
    case 'gather': {
      // webgrad clamps out-of-range indices; the reference throws, so clamp before calling it.
      const dim = x.shape[ref.normalizeAxis(p.axis ?? 0, x.shape.length)];
      const indices = { shape: inputs[1].shape, data: inputs[1].data.map((i) => Math.min(Math.max(i, 0), dim - 1)) };
      return ref.gather(x, indices, p.axis ?? 0, p.batchDims ?? 0);
    }
    case 'oneHot': return ref.oneHot(x, p.depth!);
  }
}

/** Forward values must match exactly: these ops only move 4-byte words (oneHot writes exact 0/1). */
export function expectForward(c: OpCase, result: OpResult, label: string): void {
  expect(result.error, label).toBeUndefined();
  const expected = referenceOf(c);
  expect(result.shape, `${label}: shape`).toEqual(expected.shape);
  expect(result.dtype, `${label}: dtype`).toBe(c.op === 'oneHot' ? 'float32' : c.inputs[0].dtype);
  ref.expectClose(result.data, expected.data, { rtol: 0, atol: 0, shape: expected.shape }, label);
}

/**
 * Gradients against central differences of <w, reference(inputs)>. The ops are linear, so the
 * differences are exact up to float64 rounding (~1e-9 here); the GPU side sums at most a few
 * float32 terms (broadcastTo, gather with repeats), relative error ~1e-7. Hence rtol 1e-5, atol 1e-6.
 */
export function expectGradients(c: OpCase, result: OpResult, label: string): void {
  expect(result.error, label).toBeUndefined();
  const inputs = c.inputs.map(toNdArray);
  const weights = Float64Array.from(c.outputGradient!);
  const gradFor = c.gradFor ?? [0];
  // Only the differentiated inputs are perturbed (gather's int32 indices stay fixed).
  const objective = (points: ref.NdArray[]): number => {
    const all = [...inputs];
    gradFor.forEach((inputIndex, k) => (all[inputIndex] = points[k]));
    return referenceOf(c, all).data.reduce((total, value, i) => total + value * weights[i], 0);
  };
  const numeric = ref.numericGradient(objective, gradFor.map((inputIndex) => inputs[inputIndex]));
  gradFor.forEach((inputIndex, k) => {
    ref.expectClose(result.grads[k], numeric[k].data, { rtol: 1e-5, atol: 1e-6, shape: inputs[inputIndex].shape }, `${label}: gradient of input ${inputIndex}`);
  });
}

/** Random float32-exact values (uniform in [-1, 1)) or int32 values in [-1000, 1000]. */
export function randomInput(shape: number[], rng: ref.Rng, dtype: 'float32' | 'int32' = 'float32'): InputSpec {
  const values = ref.randomArray(shape, rng).data;
  const data = dtype === 'int32' ? Int32Array.from(values, (v) => Math.round(v * 1000)) : Float32Array.from(values);
  return { shape, dtype, data };
}

export function intInput(shape: number[], values: ArrayLike<number>): InputSpec {
  return { shape, dtype: 'int32', data: Int32Array.from(values) };
}

/** Float32 weights for the output gradient of a case. */
export function outputGradientFor(c: OpCase, rng: ref.Rng): Float32Array {
  return Float32Array.from(ref.randomArray(referenceOf(c).shape, rng).data);
}

/** A random permutation of 0..n-1 (Fisher–Yates). */
export function randomPermutation(n: number, rng: ref.Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = ref.randomInt(rng, 0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
