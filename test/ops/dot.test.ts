// dot (tf.dot: vector·vector, matrix·vector, vector·matrix, matrix·matrix) and outerProduct
// against float64 loops written here, their gradients against finite differences, and their errors.
// Bound: a float32 sum of K products errs by at most K·2^-24·Σ|a_k·b_k| (Higham's γ_K bound, any
// summation order), plus half an ulp for each product.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

const gpu = useGpuPage();

interface Operand { shape: number[]; data: Float32Array }
const random = (shape: number[], rng: ref.Rng): Operand => ({ shape, data: Float32Array.from(ref.randomArray(shape, rng).data) });

/** float64 tf.dot / outerProduct by definition, with Σ|terms| per element for the bound. */
function reference(op: string, a: Operand, b: Operand): { shape: number[]; values: number[]; magnitudes: number[]; terms: number } {
  if (op === 'outerProduct') {
    const values = Array.from(a.data).flatMap((x) => Array.from(b.data).map((y) => x * y));
    return { shape: [a.shape[0], b.shape[0]], values, magnitudes: values.map(Math.abs), terms: 1 };
  }
  const rows = a.shape.length === 2 ? a.shape[0] : 1;
  const k = a.shape[a.shape.length - 1];
  const cols = b.shape.length === 2 ? b.shape[1] : 1;
  const values: number[] = [];
  const magnitudes: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let total = 0;
      let magnitude = 0;
      for (let l = 0; l < k; l++) {
        const term = a.data[i * k + l] * b.data[l * cols + j];
        total += term;
        magnitude += Math.abs(term);
      }
      values.push(total);
      magnitudes.push(magnitude);
    }
  }
  const shape = [...(a.shape.length === 2 ? [rows] : []), ...(b.shape.length === 2 ? [cols] : [])];
  return { shape, values, magnitudes, terms: k };
}

const cases: [string, number[], number[]][] = [
  ['dot', [5], [5]],
  ['dot', [3, 4], [4]],
  ['dot', [4], [4, 3]],
  ['dot', [3, 6], [6, 2]],
  ['dot', [0], [0]],
  ['outerProduct', [3], [4]],
  ['outerProduct', [1], [0]],
];

describe('dot and outerProduct', () => {
  it('match float64 loops for every rank pairing (tf.dot shapes) and their gradients match finite differences', async () => {
    const rng = ref.mulberry32(31);
    const inputs = cases.map(([op, sa, sb]) => ({ op, a: random(sa, rng), b: random(sb, rng) }));
    const seeds = inputs.map(({ op, a, b }) => Float32Array.from(ref.randomArray(reference(op, a, b).shape, rng).data));
    const out = await gpu.run(async (wg, { inputs, seeds }) => {
      const results: { shape: number[]; values: number[]; ga: number[]; gb: number[]; leaked: number }[] = [];
      for (let i = 0; i < inputs.length; i++) {
        const { op, a, b } = inputs[i];
        const before = wg.memory().numTensors;
        const ta = wg.tensor(a.data, a.shape);
        const tb = wg.tensor(b.data, b.shape);
        const tape = new wg.Tape();
        const f = op === 'dot' ? wg.dot : wg.outerProduct;
        const y = tape.record(() => f(ta, tb));
        const seed = wg.tensor(seeds[i], [...y.shape]);
        const [ga, gb] = tape.gradient(y, [ta, tb], { outputGradient: seed });
        results.push({ shape: [...y.shape], values: Array.from(await y.data()), ga: Array.from(await ga.data()), gb: Array.from(await gb.data()), leaked: 0 });
        [ta, tb, y, seed, ga, gb].forEach((t) => t.dispose());
        results[i].leaked = wg.memory().numTensors - before;
      }
      return results;
    }, { inputs, seeds });
    inputs.forEach(({ op, a, b }, i) => {
      const label = `${op}(${JSON.stringify(a.shape)}, ${JSON.stringify(b.shape)})`;
      const expected = reference(op, a, b);
      expect(out[i].shape, label).toEqual(expected.shape);
      expected.values.forEach((v, j) => {
        const bound = (expected.terms * 2 ** -24 + 2 ** -24) * expected.magnitudes[j];
        expect(Math.abs(out[i].values[j] - v), `${label}[${j}]`).toBeLessThanOrEqual(bound);
      });
      // d/da Σ seed·dot(a, b) by central differences of the float64 reference: exact for a bilinear
      // function up to float64 rounding. The GPU's gradient is one float32 matmul of ≤ 6 terms of
      // magnitude ≤ 1 (6·2^-24 ≈ 4e-7 relative to them), inside rtol 1e-5 plus the small atol.
      const nd = (x: Operand): ref.NdArray => ({ shape: x.shape, data: Float64Array.from(x.data) });
      const weighted = ([x, y]: ref.NdArray[]): number => {
        const r = reference(op, { shape: x.shape, data: Float32Array.from(x.data) }, { shape: y.shape, data: Float32Array.from(y.data) });
        return r.values.reduce((total, value, j) => total + value * seeds[i][j], 0);
      };
      const [na, nb] = ref.numericGradient(weighted, [nd(a), nd(b)], 1e-3);
      const scale = expected.shape.length === 0 ? 1 : expected.values.length;
      ref.expectClose(out[i].ga, na.data, { rtol: 1e-5, atol: 1e-6 * scale }, `${label} da`);
      ref.expectClose(out[i].gb, nb.data, { rtol: 1e-5, atol: 1e-6 * scale }, `${label} db`);
      expect(out[i].leaked, `${label} leaked`).toBe(0);
    });
  });

  it('take nested arrays and reject ranks and lengths tf.dot rejects, naming the op and shapes', async () => {
    const out = await gpu.run(async (wg) => {
      const attempt = (f: () => { dispose(): void }): string => {
        try {
          f().dispose();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      const y = wg.dot([[1, 2], [3, 4]], [5, 6]);
      const values = Array.from(await y.data());
      y.dispose();
      return {
        values,
        scalar: attempt(() => wg.dot(2, [1, 2])),
        rank3: attempt(() => wg.dot(wg.zeros([2, 2, 2]), [1, 2])),
        inner: attempt(() => wg.dot([[1, 2, 3]], [[1], [2]])),
        outer: attempt(() => wg.outerProduct([[1, 2]], [1])),
      };
    }, null);
    expect(out.values).toEqual([17, 39]);
    expect(out.scalar).toMatch(/^ShapeError: dot: both inputs must have rank 1 or 2, got \[\] and \[2\]/);
    expect(out.rank3).toMatch(/^ShapeError: dot: both inputs must have rank 1 or 2, got \[2,2,2\] and \[2\]/);
    expect(out.inner).toMatch(/^ShapeError: dot: inner dimensions must agree, got \[1,3\] and \[2,1\] \(3 vs 2\)/);
    expect(out.outer).toMatch(/^ShapeError: outerProduct: both inputs must be vectors \(rank 1\), got \[1,2\] and \[1\]/);
  });
});
