// Op calls built in Node from seeded random data, run inside the test page a whole batch per round
// trip (forward, or gradients through the Tape), checking that every call freed what it made.
import type { Tensor } from '../../src/tensor';
import type { GpuPage, Webgrad } from '../harness/gpu-page';
import { numericGradient, randomArray, randomInt, randomShape, type NdArray, type Rng } from '../reference';

export type DTypeName = 'float32' | 'int32';

/** A tensor to build in the page: values already rounded to the dtype, so Node knows them exactly. */
export interface TensorArg { kind: 'tensor'; shape: number[]; dtype: DTypeName; values: Float32Array | Int32Array }

/** An op argument: a tensor, or a plain value (number operand, bound, dtype name, shape) passed as is. */
export type CallArg = TensorArg | number | string | number[];

export const isTensorArg = (arg: CallArg): arg is TensorArg => typeof arg === 'object' && !Array.isArray(arg);

export interface OpCall { op: string; args: CallArg[] }

export interface OpResult { shape: number[]; dtype: string; values: Float32Array | Int32Array }

export function tensorArg(x: NdArray, dtype: DTypeName = 'float32'): TensorArg {
  const values = dtype === 'int32' ? Int32Array.from(x.data) : Float32Array.from(x.data);
  return { kind: 'tensor', shape: [...x.shape], dtype, values };
}

/** The float64 array of exactly the values a TensorArg carries (a number becomes a float32 scalar). */
export function argArray(arg: CallArg): NdArray {
  if (typeof arg === 'number') return { shape: [], data: Float64Array.of(Math.fround(arg)) };
  if (!isTensorArg(arg)) throw new Error(`argArray: ${JSON.stringify(arg)} is not a tensor argument`);
  return { shape: [...arg.shape], data: Float64Array.from(arg.values) };
}

/** An array of `shape` with every entry drawn from `domain`. */
export function randomFrom(shape: readonly number[], rng: Rng, domain: (rng: Rng) => number): NdArray {
  const x = randomArray(shape, rng);
  for (let i = 0; i < x.data.length; i++) x.data[i] = domain(rng);
  return x;
}

/** An operand: a float32 tensor of `shape`, or (shape null) a plain number from the domain. */
export function operand(shape: number[] | null, rng: Rng, domain: (rng: Rng) => number): CallArg {
  return shape === null ? Math.fround(domain(rng)) : tensorArg(randomFrom(shape, rng, domain));
}

/** Shape pairs covering broadcasting in every direction, rank 8, size 0; null is a plain number. */
export function broadcastPairs(rng: Rng): [number[] | null, number[] | null][] {
  const pairs: [number[] | null, number[] | null][] = [
    [[3, 1, 5], [4, 1]],
    [[4, 1], [3, 1, 5]],
    [[5, 1, 3], [1, 4, 1]],
    [[], [2, 3]],
    [[2, 3], []],
    [[6, 5], null],
    [null, [6, 5]],
    [[1, 1], [1]],
    [[7, 13], [7, 13]],
    [[130], [1]],
    [[2, 1, 2, 1, 2, 1, 2, 3], [3]],
    [[0, 3], [3]],
    [[2, 0], [1, 1]],
  ];
  for (let trial = 0; trial < 3; trial++) {
    const out = randomShape(rng, randomInt(rng, 1, 4), 1, 6);
    const derive = (): number[] => out.slice(randomInt(rng, 0, out.length - 1)).map((dim) => (rng() < 0.35 ? 1 : dim));
    pairs.push([derive(), derive()]);
  }
  return pairs;
}

export const describeCall = (call: OpCall): string =>
  `${call.op}(${call.args.map((arg) => (isTensorArg(arg) ? `[${arg.shape.join(',')}] ${arg.dtype}` : JSON.stringify(arg))).join(', ')})`;

/**
 * Runs each call as wg[op](...args) in the page and returns its output. Throws if any call leaves
 * a tensor alive once its inputs and output are disposed.
 */
export async function callOps(gpu: GpuPage, calls: OpCall[]): Promise<OpResult[]> {
  const { results, leaks } = await gpu.run(async (wg, batch) => {
    const operations = wg as unknown as Record<string, (...args: unknown[]) => Tensor>;
    const out: { shape: number[]; dtype: string; values: Float32Array | Int32Array }[] = [];
    const leaked: string[] = [];
    for (const call of batch) {
      const before = wg.memory().numTensors;
      const args = call.args.map((arg) =>
        typeof arg === 'object' && !Array.isArray(arg) ? wg.tensor(arg.values, arg.shape, arg.dtype) : arg,
      );
      const result = operations[call.op](...args);
      out.push({ shape: [...result.shape], dtype: result.dtype, values: await result.data() });
      result.dispose();
      for (const arg of args) if (arg instanceof wg.Tensor) arg.dispose();
      const after = wg.memory().numTensors;
      if (after !== before) leaked.push(`${call.op}: ${after - before} tensors left alive`);
    }
    return { results: out, leaks: leaked };
  }, calls);
  if (leaks.length > 0) throw new Error(`calls leaked tensors:\n${leaks.join('\n')}`);
  return results;
}

export interface GradientCall extends OpCall {
  /** The gradient of the output to seed backward with (the weights of a weighted sum of the output). */
  outputGradient: Float32Array;
}

/**
 * For each call, y = wg[op](...args) recorded on a Tape and the gradient of sum(y · outputGradient)
 * with respect to each tensor argument (in argument order).
 */
export async function gradientsInPage(gpu: GpuPage, calls: GradientCall[]): Promise<Float32Array[][]> {
  const { results, leaks } = await gpu.run(async (wg, batch) => {
    const operations = wg as unknown as Record<string, (...args: unknown[]) => Tensor>;
    const out: Float32Array[][] = [];
    const leaked: string[] = [];
    for (const call of batch) {
      const before = wg.memory().numTensors;
      const args = call.args.map((arg) =>
        typeof arg === 'object' && !Array.isArray(arg) ? wg.tensor(arg.values, arg.shape, arg.dtype) : arg,
      );
      const sources = args.filter((arg): arg is Tensor => arg instanceof wg.Tensor);
      const tape = new wg.Tape();
      const y = tape.record(() => operations[call.op](...args));
      const seed = wg.tensor(call.outputGradient, [...y.shape]);
      const gradients = tape.gradient(y, sources, { outputGradient: seed });
      const values: Float32Array[] = [];
      for (const gradient of gradients) values.push((await gradient.data()) as Float32Array);
      for (const tensor of [...gradients, ...sources, y, seed]) tensor.dispose();
      out.push(values);
      const after = wg.memory().numTensors;
      if (after !== before) leaked.push(`${call.op}: ${after - before} tensors left alive`);
    }
    return { results: out, leaks: leaked };
  }, calls);
  if (leaks.length > 0) throw new Error(`gradients leaked tensors:\n${leaks.join('\n')}`);
  return results;
}

/** A call argument on the CPU side: tensors as float64 arrays, other values as they are. */
export type ReferenceArg = NdArray | number | string | number[];

/** The call's arguments for a CPU reference: tensors as float64 arrays of exactly their values. */
export const referenceArgs = (call: OpCall): ReferenceArg[] => call.args.map((arg) => (isTensorArg(arg) ? argArray(arg) : arg));

/** A reference argument as an array: a number operand becomes a float32-rounded scalar. */
export function asNdArray(arg: ReferenceArg): NdArray {
  if (typeof arg === 'object' && !Array.isArray(arg)) return arg;
  if (typeof arg === 'number') return argArray(arg);
  throw new Error(`asNdArray: ${JSON.stringify(arg)} is not a tensor operand`);
}

/**
 * The float64 finite-difference gradient of sum(evaluate(args) · outputGradient) with respect to
 * each tensor argument of the call (other arguments stay fixed).
 */
export function numericGradientsOf(call: GradientCall, evaluate: (args: ReferenceArg[]) => NdArray): NdArray[] {
  const tensorPositions = call.args.flatMap((arg, i) => (isTensorArg(arg) ? [i] : []));
  const weightedSum = (inputs: NdArray[]): number => {
    const args = call.args.map((arg, i) => (isTensorArg(arg) ? inputs[tensorPositions.indexOf(i)] : arg));
    const out = evaluate(args);
    let total = 0;
    for (let i = 0; i < out.data.length; i++) total += out.data[i] * call.outputGradient[i];
    return total;
  };
  return numericGradient(weightedSum, tensorPositions.map((i) => argArray(call.args[i])));
}

/**
 * What `attempt(wg)` throws in the page, as "Name: message", or 'no error'. The attempt travels as
 * source text like every page function, so it may use only `wg`.
 */
export async function thrownInPage(gpu: GpuPage, attempt: (wg: Webgrad) => unknown): Promise<string> {
  return gpu.run(async (wg, source) => {
    try {
      (new Function('wg', `return (${source})(wg);`) as (w: typeof wg) => unknown)(wg);
      return 'no error';
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  }, attempt.toString());
}
