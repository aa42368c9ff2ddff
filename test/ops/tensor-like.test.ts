// Every public op family takes TensorLike arguments (nested arrays, typed arrays, numbers) as
// TF.js's convertToTensor does: the result equals the same call with tensors (bit for bit: the same
// kernels run on the same float32 values), nothing converted outlives the call, and a value that is
// no tensor (a string, an object, a ragged array) is a TypeError naming the op and the argument.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { binaryCases, unaryCases } from './elementwise-cases';

const gpu = useGpuPage();

/** A tensor argument given as nested arrays (dtype int32 for indices). */
interface Operand { tensor: unknown; dtype?: 'int32' }
type Arg = Operand | number | string | number[] | Record<string, unknown> | null;
interface Case { op: string; args: Arg[]; bad: string }

const t = (tensor: unknown, dtype?: 'int32'): Operand => ({ tensor, ...(dtype ? { dtype } : {}) });
const m = [[-1.5, 0.5, 2], [2, -0.25, 1]];
const v = [0.5, 3, -1];
const image = [[[[1], [2], [0]], [[-1], [3], [1]], [[2], [0], [4]]]];
const unaryNames = Object.keys(unaryCases);
const binaryNames = [...Object.keys(binaryCases), 'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual'];

const cases: Case[] = [
  ...unaryNames.map((op) => ({ op, args: [t([[0.5, 1.5], [2, 0.25]])], bad: 'x' })),
  ...binaryNames.map((op) => ({ op, args: [t([[1, 2, 3], [0.5, 4, 2]]), t(v)], bad: 'a' })),
  { op: 'add', args: [2, t(v)], bad: 'b' },
  { op: 'where', args: [t([[1, 0, 1], [0, 1, 0]]), t(m), t(v)], bad: 'condition' },
  { op: 'clip', args: [t(m), -1, 1], bad: 'x' },
  ...['sum', 'mean', 'max', 'min'].map((op) => ({ op, args: [t(m), 1], bad: 'x' })),
  { op: 'argmax', args: [t(m), 1], bad: 'x' },
  { op: 'softmax', args: [t(m)], bad: 'x' },
  { op: 'logSoftmax', args: [t(m)], bad: 'x' },
  { op: 'reshape', args: [t(m), [3, 2]], bad: 'x' },
  { op: 'transpose', args: [t(m)], bad: 'x' },
  { op: 'broadcastTo', args: [t(v), [2, 3]], bad: 'x' },
  { op: 'slice', args: [t(m), [0, 1], [2, 2]], bad: 'x' },
  { op: 'concat', args: [[t(m) as unknown as number, t([v]) as unknown as number], 0], bad: 'tensors[0]' },
  { op: 'cast', args: [t(m), 'int32'], bad: 'x' },
  { op: 'matmul', args: [t(m), t([[1, 2], [3, 4], [5, 6]])], bad: 'a' },
  { op: 'linear', args: [t(m), t([[1, 2], [3, 4], [5, 6]]), t([0.5, -1])], bad: 'x' },
  { op: 'gather', args: [t(m), t([2, 0, 2], 'int32'), 1], bad: 'indices' },
  { op: 'oneHot', args: [t([0, 2, 1], 'int32'), 3], bad: 'indices' },
  { op: 'conv2d', args: [t(image), t([[[[1]], [[-1]]], [[[0.5]], [[2]]]]), { padding: 'same' }], bad: 'filter' },
  { op: 'maxPool2d', args: [t(image), { poolSize: 2, strides: 1 }], bad: 'x' },
  { op: 'avgPool2d', args: [t(image), { poolSize: 2, strides: 1 }], bad: 'x' },
  { op: 'moments', args: [t(m), [0]], bad: 'x' },
  { op: 'batchNorm', args: [t(m), t(v), t([1, 2, 0.5]), t([1, 1, 2]), null], bad: 'variance' },
  { op: 'layerNorm', args: [t(m), t([1, 2, 0.5]), t(v)], bad: 'gamma' },
  { op: 'dropout', args: [t(m), 0], bad: 'x' },
  { op: 'scaledDotProductAttention', args: [t([[[1, 0], [0, 1]]]), t([[[1, 2], [0.5, 1]]]), t([[[3, 1], [2, 4]]])], bad: 'v' },
  { op: 'zerosLike', args: [t(m)], bad: 'x' },
  { op: 'onesLike', args: [t(m)], bad: 'x' },
];

describe('TensorLike arguments', () => {
  it('every op family gives with nested arrays and typed arrays exactly what it gives with tensors, and leaks nothing', async () => {
    const out = await gpu.run(async (wg, all) => {
      const ops = wg as unknown as Record<string, (...args: unknown[]) => unknown>;
      const isOperand = (a: unknown): a is { tensor: unknown; dtype?: 'int32' } => typeof a === 'object' && a !== null && 'tensor' in a;
      /** Each operand as a tensor, as nested arrays, or (1-D ones) as a typed array. */
      const as = (form: string, a: unknown, made: unknown[]): unknown => {
        if (Array.isArray(a)) return a.map((item) => as(form, item, made));
        if (!isOperand(a)) return a;
        if (form === 'tensor') {
          const tensor = wg.tensor(a.tensor as number[], undefined, a.dtype);
          made.push(tensor);
          return tensor;
        }
        const flatOneD = Array.isArray(a.tensor) && (a.tensor as unknown[]).every((x) => typeof x === 'number');
        if (form === 'typed' && flatOneD) return a.dtype === 'int32' ? Int32Array.from(a.tensor as number[]) : Float64Array.from(a.tensor as number[]);
        return a.tensor;
      };
      const read = async (result: unknown): Promise<number[][]> => {
        const tensors = (result instanceof wg.Tensor ? [result] : Object.values(result as object)) as { shape: number[]; dtype: string; data(): Promise<ArrayLike<number>> }[];
        return Promise.all(tensors.map(async (r) => [...r.shape, -1, ...Array.from(await r.data()), r.dtype === 'int32' ? 1 : 0]));
      };
      const results: { op: string; form: string; values: number[][]; leaked: number }[] = [];
      for (const c of all) {
        for (const form of ['tensor', 'nested', 'typed']) {
          const before = wg.memory().numTensors;
          const made: unknown[] = [];
          const result = ops[c.op](...c.args.map((a) => as(form, a, made)));
          const values = await read(result);
          const outputs = result instanceof wg.Tensor ? [result] : Object.values(result as object);
          for (const tensor of [...outputs, ...made]) (tensor as { dispose(): void }).dispose();
          results.push({ op: c.op, form, values, leaked: wg.memory().numTensors - before });
        }
      }
      return results;
    }, cases);
    for (let i = 0; i < out.length; i += 3) {
      const [withTensors, nested, typed] = out.slice(i, i + 3);
      expect(nested.values, `${nested.op} with nested arrays`).toEqual(withTensors.values);
      expect(typed.values, `${typed.op} with typed arrays`).toEqual(withTensors.values);
      for (const run of [withTensors, nested, typed]) expect(run.leaked, `${run.op} (${run.form}) leaked`).toBe(0);
    }
    expect(out.length).toBe(3 * cases.length);
  });

  it('Tensor methods take the same TensorLike operands: x.add / x.greater / x.matmul / x.gather with arrays', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([[1, 2], [3, 4]]);
      const operands = [wg.tensor([1, 2], undefined, 'int32'), wg.tensor([2, 2]), wg.tensor([[1], [0.5]]), wg.tensor([1, 1, 0], undefined, 'int32')];
      const before = wg.memory().numTensors;
      const calls = [
        [x.add(Int32Array.from([1, 2])), wg.add(x, operands[0])],
        [x.greater([2, 2]), wg.greater(x, operands[1])],
        [x.matmul([[1], [0.5]]), wg.matmul(x, operands[2])],
        [x.gather([1, 1, 0], 1), wg.gather(x, operands[3], 1)],
      ];
      const pairs: { shapes: number[][]; values: number[][] }[] = [];
      for (const pair of calls) {
        pairs.push({ shapes: pair.map((t) => [...t.shape]), values: await Promise.all(pair.map(async (t) => Array.from(await t.data()))) });
      }
      calls.flat().forEach((t) => t.dispose());
      const leaked = wg.memory().numTensors - before;
      let message = 'no error';
      try {
        x.mul('2' as unknown as number);
      } catch (error) {
        message = `${(error as Error).name}: ${(error as Error).message}`;
      }
      [x, ...operands].forEach((t) => t.dispose());
      return { pairs, leaked, message };
    }, null);
    for (const { shapes, values } of out.pairs) {
      expect(shapes[0]).toEqual(shapes[1]);
      expect(values[0]).toEqual(values[1]);
    }
    expect(out.leaked).toBe(0);
    expect(out.message).toMatch(/^TypeError: mul: argument 'other' must be a Tensor/);
  });

  it('a string, an object or a ragged array where a tensor goes is a TypeError naming the op and the argument, and leaks nothing', async () => {
    const bads: unknown[] = ['abc', { values: [1] }, [[1, 2], [3]]];
    const out = await gpu.run(async (wg, { all, bads }) => {
      const ops = wg as unknown as Record<string, (...args: unknown[]) => unknown>;
      const isOperand = (a: unknown): a is { tensor: unknown } => typeof a === 'object' && a !== null && 'tensor' in a;
      const messages: { op: string; message: string; leaked: number }[] = [];
      for (const c of all) {
        // The argument named by c.bad: the first operand whose position matches it (concat's first item).
        const names: Record<string, number> = { x: 0, a: 0, condition: 0, 'tensors[0]': 0, indices: c.op === 'oneHot' ? 0 : 1, filter: 1, b: 1, variance: 2, gamma: 1, v: 2 };
        for (const bad of bads) {
          const before = wg.memory().numTensors;
          const args = c.args.map((a, k) => {
            if (c.bad === 'tensors[0]' && Array.isArray(a)) return [bad, ...a.slice(1).map((item) => (item as unknown as { tensor: unknown }).tensor)];
            return k === names[c.bad] ? bad : isOperand(a) ? a.tensor : a;
          });
          let message = 'no error';
          try {
            ops[c.op](...args);
          } catch (error) {
            message = `${(error as Error).name}: ${(error as Error).message}`;
          }
          messages.push({ op: c.op, message, leaked: wg.memory().numTensors - before });
        }
      }
      return messages;
    }, { all: cases, bads });
    out.forEach(({ op, message, leaked }, i) => {
      const c = cases[Math.floor(i / bads.length)];
      expect(message, op).toMatch(new RegExp(`^TypeError: ${op}: argument '${c.bad.replace(/[[\]]/g, '\\$&')}'`));
      expect(leaked, `${op} leaked`).toBe(0);
    });
  });
});
