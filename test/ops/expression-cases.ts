// Calls written as a JS expression over `wg` and the input tensors `t`, run in the test page a batch
// per round trip: the forward value and, with an output gradient, each float32 input's gradient
// through the Tape (also with the backward pass itself recorded, which takes the composed,
// higher-derivative path). For ops whose options are objects (op-calls.ts passes flat arguments).
import type { Tensor } from '../../src/tensor';
import type { GpuPage } from '../harness/gpu-page';
import { numericGradient, type NdArray } from '../reference';
import { argArray, type TensorArg } from './op-calls';

export interface ExpressionCase {
  /** e.g. 'wg.layerNorm(t[0], t[1], t[2], { axis: -1 })', evaluated in the page. */
  expression: string;
  inputs: TensorArg[];
  /** With this, the gradient of Σ y·outputGradient for each float32 input is returned too. */
  outputGradient?: Float32Array;
}

export interface ExpressionResult {
  shape: number[];
  values: number[];
  /** Per input (null for int32 inputs): the gradient from the fused backward kernels ... */
  gradients?: (number[] | null)[];
  /** ... and from the same backward pass recorded on an outer tape (the composed rules). */
  recordedGradients?: (number[] | null)[];
}

export async function runExpressions(gpu: GpuPage, cases: ExpressionCase[]): Promise<ExpressionResult[]> {
  const { results, leaks } = await gpu.run(async (wg, batch) => {
    const results: ExpressionResult[] = [];
    const leaks: string[] = [];
    for (const c of batch) {
      const before = wg.memory().numTensors;
      const t = c.inputs.map((input) => wg.tensor(input.values, input.shape, input.dtype));
      const f = new Function('wg', 't', `return (${c.expression});`) as (w: typeof wg, inputs: Tensor[]) => Tensor;
      const floats = t.filter((input) => input.dtype === 'float32');
      const read = async (gradients: Tensor[]): Promise<(number[] | null)[]> => {
        const values = await Promise.all(gradients.map(async (g) => Array.from(await g.data())));
        gradients.forEach((g) => g.dispose());
        return t.map((input) => (input.dtype === 'float32' ? values[floats.indexOf(input)] : null));
      };
      let result: ExpressionResult;
      if (c.outputGradient) {
        const tape = new wg.Tape();
        const y = tape.record(() => f(wg, t));
        const seed = wg.tensor(c.outputGradient, [...y.shape]);
        const gradients = await read(tape.gradient(y, floats, { outputGradient: seed }));
        const outer = new wg.Tape();
        const again = new wg.Tape();
        const y2 = again.record(() => f(wg, t));
        const recorded = await read(outer.record(() => again.gradient(y2, floats, { outputGradient: seed })));
        outer.dispose();
        result = { shape: [...y.shape], values: Array.from(await y.data()), gradients, recordedGradients: recorded };
        for (const tensor of [y, y2, seed]) tensor.dispose();
      } else {
        const y = f(wg, t);
        result = { shape: [...y.shape], values: Array.from(await y.data()) };
        y.dispose();
      }
      t.forEach((input) => input.dispose());
      results.push(result);
      const left = wg.memory().numTensors - before;
      if (left !== 0) leaks.push(`${c.expression}: ${left} tensors left alive`);
    }
    return { results, leaks };
  }, cases);
  if (leaks.length > 0) throw new Error(`expressions leaked tensors:\n${leaks.join('\n')}`);
  return results;
}

/** Float64 finite differences of Σ evaluate(inputs)·outputGradient for each float32 input (null for int32). */
export function numericGradients(c: ExpressionCase, evaluate: (inputs: NdArray[]) => NdArray, eps = 1e-6): (NdArray | null)[] {
  const all = c.inputs.map(argArray);
  const floatPositions = c.inputs.flatMap((input, i) => (input.dtype === 'float32' ? [i] : []));
  const dy = c.outputGradient as Float32Array;
  const weightedSum = (floats: NdArray[]): number => {
    const inputs = all.map((input, i) => (floatPositions.includes(i) ? floats[floatPositions.indexOf(i)] : input));
    return evaluate(inputs).data.reduce((total, value, i) => total + value * dy[i], 0);
  };
  const gradients = numericGradient(weightedSum, floatPositions.map((i) => all[i]), eps);
  return all.map((_, i) => (floatPositions.includes(i) ? gradients[floatPositions.indexOf(i)] : null));
}
