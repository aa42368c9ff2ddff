// Shared by the reduce and softmax tests: runs a batch of one-input ops (wg[op](x, ...args)) in the
// page, each optionally on a tape that also returns the input's gradient for a given output gradient,
// and checks that no call leaves a tensor alive. (op-calls.ts does this for calls whose other
// arguments are never undefined or boolean; axes and keepDims are.)
import type { Tensor } from '../../src/index';
import type { GpuPage } from '../harness/gpu-page';

export interface SingleInputCase {
  /** A webgrad function taking the tensor first: 'sum', 'argmax', 'softmax', … */
  op: string;
  shape: number[];
  data: Float32Array | Int32Array;
  /** The op's other arguments; undefined ones are passed as undefined (not null). */
  args: unknown[];
  /** With this, the result also carries d<outputGradient, op(x)>/dx from a Tape. */
  outputGradient?: Float32Array;
}

export interface SingleInputResult {
  shape: number[];
  dtype: string;
  data: number[];
  gradient?: number[];
}

export async function runSingleInputCases(gpu: GpuPage, cases: SingleInputCase[]): Promise<SingleInputResult[]> {
  const { results, leaks } = await gpu.run(async (wg, all) => {
    const ops = wg as unknown as Record<string, (x: Tensor, ...args: unknown[]) => Tensor>;
    const results: SingleInputResult[] = [];
    const leaks: string[] = [];
    for (const c of all) {
      const before = wg.memory().numTensors;
      // JSON turns undefined inside arrays into null.
      const apply = (x: Tensor): Tensor => ops[c.op](x, ...c.args.map((arg) => arg ?? undefined));
      const x = wg.tensor(c.data, c.shape);
      let y: Tensor;
      let gradient: Tensor | undefined;
      if (c.outputGradient) {
        const tape = new wg.Tape();
        y = tape.record(() => apply(x));
        const seed = wg.tensor(c.outputGradient, y.shape);
        [gradient] = tape.gradient(y, [x], { outputGradient: seed });
        seed.dispose();
      } else {
        y = apply(x);
      }
      results.push({
        shape: [...y.shape],
        dtype: y.dtype,
        data: Array.from(await y.data()),
        gradient: gradient ? Array.from(await gradient.data()) : undefined,
      });
      x.dispose();
      y.dispose();
      gradient?.dispose();
      const left = wg.memory().numTensors - before;
      if (left !== 0) leaks.push(`${c.op}([${c.shape}], ${JSON.stringify(c.args)}): ${left} tensors left alive`);
    }
    return { results, leaks };
  }, cases);
  if (leaks.length > 0) throw new Error(`calls leaked tensors:\n${leaks.join('\n')}`);
  return results;
}

/** Runs fn(wg) in the page and returns "Name: message" of what it threw, or 'no error'. */
export function thrownBy(gpu: GpuPage, calls: string[]): Promise<string[]> {
  return gpu.run(async (wg, sources) => sources.map((source) => {
    try {
      (new Function('wg', `return (${source})`) as (w: typeof wg) => unknown)(wg);
      return 'no error';
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  }), calls);
}
