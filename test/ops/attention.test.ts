// scaledDotProductAttention (plain, causal, with an additive mask, broadcast batch axes) and the
// embedding lookup against float64 references and finite differences; the causal mask's values;
// causal attention never looking ahead (bitwise); errors.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';
import { numericGradients, runExpressions, type ExpressionCase } from './expression-cases';
import { tensorArg, thrownInPage } from './op-calls';
import { MASKED, attentionRef, causalMaskRef } from '../nn/attention-reference';

const gpu = useGpuPage();

const random = (shape: number[], seed: number, lo = -1.5, hi = 1.5): ref.NdArray => {
  const x = ref.randomArray(shape, ref.mulberry32(seed), lo, hi);
  return { shape: x.shape, data: Float64Array.from(Float32Array.from(x.data)) };
};

const asArrays = (c: ExpressionCase): ref.NdArray[] => c.inputs.map((input) => ({ shape: input.shape, data: Float64Array.from(input.values) }));

/**
 * Forward: two float32 matmuls over d ≤ 8 and a softmax over ≤ 7 keys, values O(1): each product
 * is within a few ULP (1e-6 relative) of the float64 one, so rtol 1e-5 with atol 1e-6.
 * Gradients: the softmax backward (dy − Σ dy·p)·p cancels O(1) terms; ~1e-6 absolute error against
 * finite differences good to ~1e-8.
 */
const FORWARD = { rtol: 1e-5, atol: 1e-6 };
const GRADIENT = { rtol: 1e-4, atol: 2e-5 };

describe('scaledDotProductAttention', () => {
  const specs = [
    { q: [2, 2, 5, 4], k: [2, 2, 5, 4], v: [2, 2, 5, 3], causal: false, mask: null },
    { q: [2, 2, 5, 4], k: [2, 2, 5, 4], v: [2, 2, 5, 3], causal: true, mask: null },
    // Broadcast batch axes, fewer queries than keys, causal plus a random additive mask.
    { q: [2, 1, 3, 8], k: [1, 2, 7, 8], v: [1, 2, 7, 2], causal: true, mask: [3, 7] },
    { q: [3, 6, 5], k: [3, 4, 5], v: [3, 4, 4], causal: false, mask: [3, 1, 4] },
  ];

  function attentionCase(i: number): ExpressionCase {
    const { q, k, v, causal, mask } = specs[i];
    const inputs = [tensorArg(random(q, 10 * i + 1)), tensorArg(random(k, 10 * i + 2)), tensorArg(random(v, 10 * i + 3))];
    if (mask) {
      // Hide about a third of the positions; the diagonal stays visible so no row is fully masked.
      const rng = ref.mulberry32(10 * i + 4);
      const values = ref.randomArray(mask, rng, 0, 1);
      values.data = values.data.map((u, n) => (u < 0.35 && n % mask[mask.length - 1] !== 0 ? MASKED : u - 0.5));
      inputs.push(tensorArg(values));
    }
    const outShape = [...ref.broadcastShapes(q.slice(0, -2), k.slice(0, -2), v.slice(0, -2)), q[q.length - 2], v[v.length - 1]];
    return {
      expression: `wg.scaledDotProductAttention(t[0], t[1], t[2], { causal: ${causal}${mask ? ', mask: t[3]' : ''} })`,
      inputs,
      outputGradient: Float32Array.from(random(outShape, 10 * i + 5, -1, 1).data),
    };
  }

  const evaluate = (i: number) => ([q, k, v, mask]: ref.NdArray[]): ref.NdArray => {
    const masks = [...(specs[i].causal ? [causalMaskRef(q.shape[q.shape.length - 2], k.shape[k.shape.length - 2])] : []), ...(mask ? [mask] : [])];
    return attentionRef(q, k, v, masks);
  };

  it('matches softmax(q·kᵀ/√d + mask)·v and its gradients for q, k, v (and the mask), with and without the causal mask', async () => {
    const cases = specs.map((_, i) => attentionCase(i));
    const results = await runExpressions(gpu, cases);
    results.forEach((result, i) => {
      const label = `attention(${JSON.stringify(specs[i])})`;
      const expected = evaluate(i)(asArrays(cases[i]));
      expect(result.shape, label).toEqual(expected.shape);
      ref.expectClose(result.values, expected.data, FORWARD, label);
      const gradients = numericGradients(cases[i], evaluate(i));
      gradients.forEach((gradient, n) => {
        ref.expectClose(result.gradients![n]!, gradient!.data, GRADIENT, `${label}: gradient of input ${n}`);
        ref.expectClose(result.recordedGradients![n]!, gradient!.data, GRADIENT, `${label}: recorded gradient of input ${n}`);
      });
    });
  });

  it('with the causal mask never looks ahead: changing later tokens leaves earlier outputs bitwise unchanged', async () => {
    const [T, changedFrom] = [7, 4];
    const shape = [2, 3, T, 4];
    const original = [1, 2, 3].map((s) => random(shape, 900 + s));
    // The same q, k, v with every position ≥ changedFrom redrawn.
    const changed = original.map((x, s) => {
      const fresh = random(shape, 950 + s);
      return { shape, data: x.data.map((value, n) => (Math.floor(n / 4) % T >= changedFrom ? fresh.data[n] : value)) };
    });
    const [before, after] = await gpu.run(async (wg, sets) => Promise.all(sets.map(async (set) => {
      const [q, k, v] = set.map((x) => wg.tensor(Float32Array.from(x.data), x.shape));
      const y = wg.scaledDotProductAttention(q, k, v, { causal: true });
      const values = Array.from(await y.data());
      [q, k, v, y].forEach((t) => t.dispose());
      return values;
    })), [original, changed]);
    const position = (n: number): number => Math.floor(n / 4) % T;
    const earlier = (values: number[]): number[] => values.filter((_, n) => position(n) < changedFrom);
    const later = (values: number[]): number[] => values.filter((_, n) => position(n) >= changedFrom);
    expect(earlier(after)).toEqual(earlier(before));
    expect(earlier(before).length).toBe(2 * 3 * changedFrom * 4);
    // And the later outputs did change, so the comparison above could have failed.
    expect(later(after).filter((value, n) => value !== later(before)[n]).length).toBe(later(before).length);
  });

  it('causalMask(T) is 0 on and below the diagonal and -1e9 above; causalMask(Tq, Tk) is its top-left block', async () => {
    const masks = await gpu.run(async (wg) => Promise.all([wg.causalMask(5), wg.causalMask(2, 4), wg.causalMask(0)].map(async (m) => {
      const values = { shape: [...m.shape], data: Array.from(await m.data()) };
      m.dispose();
      return values;
    })));
    expect(masks[0]).toEqual({ shape: [5, 5], data: Array.from(Float32Array.from(causalMaskRef(5, 5).data)) });
    expect(masks[1]).toEqual({ shape: [2, 4], data: Array.from(Float32Array.from(causalMaskRef(2, 4).data)) });
    expect(masks[2]).toEqual({ shape: [0, 0], data: [] });
  });

  it('name the op and the shapes in their errors', async () => {
    const errors = await Promise.all([
      thrownInPage(gpu, (wg) => wg.scaledDotProductAttention(wg.zeros([2, 3, 4]), wg.zeros([2, 3, 5]), wg.zeros([2, 3, 4]))),
      thrownInPage(gpu, (wg) => wg.scaledDotProductAttention(wg.zeros([2, 3, 4]), wg.zeros([2, 5, 4]), wg.zeros([2, 4, 4]))),
      thrownInPage(gpu, (wg) => wg.scaledDotProductAttention(wg.zeros([2, 3, 4]), wg.zeros([3, 5, 4]), wg.zeros([3, 5, 4]))),
      thrownInPage(gpu, (wg) => wg.scaledDotProductAttention(wg.zeros([2, 3, 4]), wg.zeros([2, 5, 4]), wg.zeros([2, 5, 4]), { mask: wg.zeros([3, 4]) })),
      thrownInPage(gpu, (wg) => wg.scaledDotProductAttention(wg.zeros([4]), wg.zeros([4]), wg.zeros([4]))),
      thrownInPage(gpu, (wg) => wg.causalMask(-1)),
    ]);
    expect(errors[0]).toMatch(/^ShapeError: scaledDotProductAttention: q and k must share their last dimension.*q \[2,3,4\], k \[2,3,5\]/);
    expect(errors[1]).toMatch(/^ShapeError: scaledDotProductAttention: k and v must have as many positions.*k \[2,5,4\], v \[2,4,4\]/);
    expect(errors[2]).toMatch(/^ShapeError: scaledDotProductAttention \(batch dims/);
    expect(errors[3]).toMatch(/^ShapeError: scaledDotProductAttention \(mask \[3,4\] against scores \[2,3,5\]\)/);
    expect(errors[4]).toMatch(/^ShapeError: scaledDotProductAttention: q, k and v need at least 2 dimensions/);
    expect(errors[5]).toMatch(/^ValueError: causalMask: sizes must be non-negative integers/);
  });
});

describe('embedding lookup (gather)', () => {
  it('picks rows by int32 ids and sums the gradient over repeated ids', async () => {
    const table = random([6, 5], 700);
    const ids = ref.ndarray([3, 4], [0, 5, 2, 2, 5, 5, 1, 0, 3, 2, 2, 2]);
    const c: ExpressionCase = {
      expression: 'wg.gather(t[0], t[1])',
      inputs: [tensorArg(table), tensorArg(ids, 'int32')],
      outputGradient: Float32Array.from(random([3, 4, 5], 701, -1, 1).data),
    };
    const [result] = await runExpressions(gpu, [c]);
    const evaluate = ([x, indices]: ref.NdArray[]): ref.NdArray => ref.gather(x, indices, 0);
    // A lookup is exact; the gradient sums ≤ 5 float32 values per row (a few ULP).
    expect(result.values).toEqual(Array.from(evaluate(asArrays(c)).data));
    const [expected] = numericGradients(c, evaluate);
    ref.expectClose(result.gradients![0]!, expected!.data, { rtol: 1e-6, atol: 1e-6 }, 'embedding gradient');
    expect(result.gradients![1]).toBeNull();
    // Row 4 is never looked up, so its gradient is exactly zero.
    expect(result.gradients![0]!.slice(20, 25)).toEqual([0, 0, 0, 0, 0]);
  });
});
