// The gradient every kinked or tied op sends at its kink, its ties and at NaN, through both backward
// forms: the fused gradient kernels (a plain Tape) and the composed ops (a backward pass recorded by
// an outer Tape, as for higher derivatives). The conventions are TF.js's (cited per case); where
// PyTorch differs, the case says so. Every value here is exact: dy = 1 times a 0/1 mask or ±1.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import { unaryCases } from './elementwise-cases';

const gpu = useGpuPage();

interface KinkCase {
  /** What the page applies: see `apply` in the page function. */
  op: string;
  inputs: number[][];
  /** Each input's gradient of sum(op(inputs)) (dy = 1 everywhere). */
  expected: number[][];
  why: string;
}

const CASES: KinkCase[] = [
  {
    op: 'relu', inputs: [[-1, -0, 0, 1, NaN, Infinity, -Infinity]], expected: [[0, 0, 0, 1, NaN, 1, 0]],
    why: 'relu\'(0) = 0 (TF.js reluGrad dy·step(x), PyTorch threshold_backward); NaN gives NaN as TF.js\'s step (PyTorch passes dy)',
  },
  {
    op: 'abs', inputs: [[-2, -0, 0, 2, NaN, -Infinity]], expected: [[-1, 0, 0, 1, NaN, -1]],
    why: 'abs\'(x) = sign(x): 0 at ±0 (TF.js, PyTorch), NaN at NaN',
  },
  {
    op: 'clip', inputs: [[-2, -1, 0, 1, 2, NaN, -Infinity]], expected: [[0, 1, 1, 1, 0, 0, 0]],
    why: 'clip(x, −1, 1) passes dy where lo ≤ x ≤ hi, bounds included (TF.js clipByValue, PyTorch clamp); NaN compares false',
  },
  {
    op: 'maximum', inputs: [[1, 2, 3, NaN, 1, -0], [1, 1, 4, 1, NaN, 0]], expected: [[1, 1, 0, 0, 0, 1], [0, 0, 1, 0, 0, 0]],
    why: 'TF.js maximum: a gets dy where a ≥ b, b where a < b, so a tie (1 = 1, −0 = 0) sends dy once; NaN compares false both ways',
  },
  {
    op: 'minimum', inputs: [[1, 2, 3, NaN, 1], [1, 1, 4, 1, NaN]], expected: [[1, 0, 1, 0, 0], [0, 1, 0, 0, 0]],
    why: 'TF.js minimum: a gets dy where a ≤ b, b where a > b',
  },
  {
    op: 'max', inputs: [[1, 3, 3, 2]], expected: [[0, 0.5, 0.5, 0]],
    why: 'the max reduction splits dy among tied maxima (JAX, PyTorch amax), unlike maximum: a documented difference',
  },
  {
    op: 'min', inputs: [[2, 1, 1, 3]], expected: [[0, 0.5, 0.5, 0]],
    why: 'the min reduction splits dy among tied minima',
  },
  {
    op: 'maxPool2d', inputs: [[1, 1, 1, 1, 0, 5, 5, 1]], expected: [[1, 0, 0, 0, 0, 1, 0, 0]],
    why: 'max-pool sends dy to the first maximum of each window in row-major order (TF.js, PyTorch): [[1,1],[1,1]] and [[0,5],[5,1]]',
  },
  {
    op: 'pow', inputs: [[0, -2, 1, NaN, 0], [2, 2, 3, 2, 1]], expected: [[0, -4, 3, NaN, 1], [0, 0, 0, NaN, 0]],
    why: 'd(a^b)/db = a^b·ln a with ln a taken as 0 where a ≤ 0 (TF.js; PyTorch gives NaN for a < 0); d/da = b·a^(b−1)',
  },
  {
    op: 'sign', inputs: [[-1, 0, 1, NaN, Infinity]], expected: [[0, 0, 0, 0, 0]],
    why: 'sign\'s derivative is 0 everywhere, NaN and Inf included (TF.js, PyTorch)',
  },
  {
    op: 'neg', inputs: [[1, NaN, -Infinity]], expected: [[-1, -1, -1]],
    why: 'neg\'s derivative is −1 whatever x is',
  },
];

describe('subgradients at kinks, ties and NaN', () => {
  for (const composed of [false, true]) {
    it(`follow the documented convention through the ${composed ? 'composed ops (recorded backward)' : 'fused gradient kernels'}`, async () => {
      const results = await gpu.run(async (wg, { cases, composed: viaOps }) => {
        const apply = (op: string, xs: Tensor[]): Tensor => {
          switch (op) {
            case 'clip': return wg.clip(xs[0], -1, 1);
            case 'maximum': return wg.maximum(xs[0], xs[1]);
            case 'minimum': return wg.minimum(xs[0], xs[1]);
            case 'pow': return wg.pow(xs[0], xs[1]);
            case 'maxPool2d': return wg.maxPool2d(wg.reshape(xs[0], [2, 2, 2, 1]), { poolSize: 2 });
            default: return (wg as unknown as Record<string, (x: Tensor) => Tensor>)[op](xs[0]);
          }
        };
        const out: number[][][] = [];
        for (const c of cases) {
          const xs = c.inputs.map((values) => wg.tensor(values));
          const backward = () => {
            const tape = new wg.Tape();
            const y = tape.record(() => wg.sum(apply(c.op, xs)));
            return tape.gradient(y, xs);
          };
          // Recording the backward pass makes every op take its composed gradient.
          const grads = viaOps ? new wg.Tape().record(backward) : backward();
          out.push(await Promise.all(grads.map(async (g) => [...(await g.data())])));
          [...xs, ...grads].forEach((t) => t.dispose());
        }
        return out;
      }, { cases: CASES, composed });
      CASES.forEach((c, k) => {
        c.expected.forEach((expected, input) => {
          // toEqual treats NaN as equal to NaN and +0 as equal to −0 here (values, not signs, are the convention).
          expect(results[k][input].map((v) => (v === 0 ? 0 : v)), `${c.op} input ${input}: ${c.why}`).toEqual(expected);
        });
      });
    });
  }
});

describe('unary gradients at NaN', () => {
  it('are NaN wherever the derivative depends on x (TF.js), through both backward forms; constant ones (neg, sign) are kept', async () => {
    const ops = Object.keys(unaryCases);
    const results = await gpu.run(async (wg, names) => {
      const operations = wg as unknown as Record<string, (x: Tensor) => Tensor>;
      const out: Record<string, number[][]> = {};
      for (const name of names) {
        out[name] = [];
        for (const viaOps of [false, true]) {
          const x = wg.tensor([NaN, 0.5]);
          const backward = () => {
            const tape = new wg.Tape();
            const y = tape.record(() => wg.sum(operations[name](x)));
            return tape.gradient(y, [x]);
          };
          const [g] = viaOps ? new wg.Tape().record(backward) : backward();
          out[name].push([...(await g.data())]);
          [x, g].forEach((t) => t.dispose());
        }
      }
      return out;
    }, ops);
    for (const op of ops) {
      const atNan = unaryCases[op].gradientAtNaN ?? NaN;
      results[op].forEach((gradient, form) => {
        const label = `${op}' at [NaN, 0.5] (${form === 0 ? 'fused' : 'composed'})`;
        expect(gradient[0], label).toBe(atNan);
        // At 0.5 every derivative is finite: the NaN stays in its own element.
        expect(Number.isFinite(gradient[1]), label).toBe(true);
      });
    }
  });
});
