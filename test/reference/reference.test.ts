// The references checked against results worked out by hand. Runs in Node, no browser.
import { describe, expect, it } from 'vitest';
import {
  argmax, arange, binary, broadcastShapes, broadcastTo, concat, expectClose, fromNested, gather,
  logSoftmax, logSumExp, matmul, max, maxRelativeError, mean, min, mulberry32, ndarray,
  numericGradient, oneHot, randomArray, randomInt, reshape, scalar, slice, softmax, sum,
  transpose, variance,
} from './index';

const values = (x: { data: Float64Array }): number[] => Array.from(x.data);

describe('broadcasting', () => {
  it('follows NumPy rules', () => {
    expect(broadcastShapes([3, 1], [1, 4])).toEqual([3, 4]);
    expect(broadcastShapes([2, 3], [3])).toEqual([2, 3]);
    expect(broadcastShapes([], [2])).toEqual([2]);
    expect(broadcastShapes([5, 1, 3], [4, 1])).toEqual([5, 4, 3]);
  });

  it('throws on a mismatch', () => {
    expect(() => broadcastShapes([3], [4])).toThrow(/\[3\] and \[4\]/);
    expect(() => broadcastShapes([2, 3], [3, 3])).toThrow();
  });

  it('broadcasts binary ops in both directions', () => {
    const column = fromNested([[10], [20]]);
    const row = fromNested([1, 2, 3]);
    const out = binary(column, row, (a, b) => a - b);
    expect(out.shape).toEqual([2, 3]);
    expect(values(out)).toEqual([9, 8, 7, 19, 18, 17]);
    expect(values(binary(row, column, (a, b) => a - b))).toEqual([-9, -8, -7, -19, -18, -17]);
    expect(values(binary(scalar(2), row, (a, b) => a * b))).toEqual([2, 4, 6]);
  });
});

describe('matmul', () => {
  const a = fromNested([[1, 2, 3], [4, 5, 6]]);
  const b = fromNested([[7, 8], [9, 10], [11, 12]]);

  it('multiplies a 2x3 by a 3x2', () => {
    const out = matmul(a, b);
    expect(out.shape).toEqual([2, 2]);
    // [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12]
    expect(values(out)).toEqual([58, 64, 139, 154]);
  });

  it('honours transposeA and transposeB', () => {
    const aT = fromNested([[1, 4], [2, 5], [3, 6]]);
    const bT = fromNested([[7, 9, 11], [8, 10, 12]]);
    expect(values(matmul(aT, b, { transposeA: true }))).toEqual([58, 64, 139, 154]);
    expect(values(matmul(a, bT, { transposeB: true }))).toEqual([58, 64, 139, 154]);
    expect(values(matmul(aT, bT, { transposeA: true, transposeB: true }))).toEqual([58, 64, 139, 154]);
  });

  it('broadcasts batch dimensions', () => {
    // a: [2,1,2,2] holds I and 2I; b: [3,2,2] holds three matrices.
    const a4 = ndarray([2, 1, 2, 2], [1, 0, 0, 1, 2, 0, 0, 2]);
    const b3 = ndarray([3, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const out = matmul(a4, b3);
    expect(out.shape).toEqual([2, 3, 2, 2]);
    expect(values(out).slice(0, 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(values(out).slice(12)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]);
  });

  it('treats 1-D operands as vectors, as NumPy does', () => {
    const dot = matmul(fromNested([1, 2, 3]), fromNested([4, 5, 6]));
    expect(dot.shape).toEqual([]);
    expect(values(dot)).toEqual([32]);
    const matrixVector = matmul(a, fromNested([1, 0, -1]));
    expect(matrixVector.shape).toEqual([2]);
    expect(values(matrixVector)).toEqual([-2, -2]);
  });

  it('throws when inner dimensions differ', () => {
    expect(() => matmul(ndarray([2, 3], new Array(6).fill(0)), ndarray([4, 5], new Array(20).fill(0)))).toThrow(
      /\[2,3\].*\[4,5\]/,
    );
  });
});

describe('reductions', () => {
  const x = fromNested([[1, 2, 3], [4, 5, 6]]);

  it('sum over one axis, negative axes, several axes and all', () => {
    expect(values(sum(x, 0))).toEqual([5, 7, 9]);
    expect(values(sum(x, -1))).toEqual([6, 15]);
    expect(sum(x, 1, true).shape).toEqual([2, 1]);
    const total = sum(x);
    expect(total.shape).toEqual([]);
    expect(values(total)).toEqual([21]);
    expect(values(sum(x, [0, 1]))).toEqual([21]);
    expect(sum(x, [1, 0], true).shape).toEqual([1, 1]);
  });

  it('mean, max, min and variance', () => {
    expect(values(mean(x, 1))).toEqual([2, 5]);
    expect(values(max(x, 0))).toEqual([4, 5, 6]);
    expect(values(min(x))).toEqual([1]);
    expect(values(variance(fromNested([1, 2, 3, 4])))).toEqual([1.25]);
    expect(values(max(fromNested([1, NaN, 3])))).toEqual([NaN]);
  });

  it('argmax picks the first largest element', () => {
    const ties = fromNested([[1, 3, 3], [7, 0, 7]]);
    expect(values(argmax(ties, 1))).toEqual([1, 0]);
    expect(values(argmax(ties, 0))).toEqual([1, 0, 1]);
    expect(values(argmax(ties))).toEqual([3]);
    expect(argmax(ties, -1, true).shape).toEqual([2, 1]);
  });

  it('rejects out-of-range and repeated axes', () => {
    expect(() => sum(x, 2)).toThrow(/axis 2/);
    expect(() => sum(x, [1, -1])).toThrow(/repeated/);
  });
});

describe('softmax', () => {
  it('of [0, ln 2] is [1/3, 2/3]', () => {
    const probabilities = softmax(fromNested([0, Math.log(2)]));
    expectClose(probabilities.data, [1 / 3, 2 / 3], { rtol: 1e-14, atol: 0 });
    expectClose(logSoftmax(fromNested([0, Math.log(2)])).data, [Math.log(1 / 3), Math.log(2 / 3)], {
      rtol: 1e-14,
      atol: 0,
    });
  });

  it('is stable for large inputs and works along any axis', () => {
    expect(values(softmax(fromNested([1000, 1000])))).toEqual([0.5, 0.5]);
    const columns = softmax(fromNested([[0, 5], [0, 5]]), 0);
    expect(values(columns)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expectClose(logSumExp(fromNested([[1000, 1000]])).data, [1000 + Math.log(2)], { rtol: 1e-15, atol: 0 });
  });
});

describe('shape ops', () => {
  const x = fromNested([[1, 2, 3], [4, 5, 6]]);

  it('transpose', () => {
    const t = transpose(x);
    expect(t.shape).toEqual([3, 2]);
    expect(values(t)).toEqual([1, 4, 2, 5, 3, 6]);
    const cube = reshape(arange(24), [2, 3, 4]);
    const moved = transpose(cube, [2, 0, 1]);
    expect(moved.shape).toEqual([4, 2, 3]);
    // moved[i][j][k] = cube[j][k][i] = 12j + 4k + i
    expect(values(moved).slice(0, 6)).toEqual([0, 4, 8, 12, 16, 20]);
    expect(() => transpose(x, [0, 0])).toThrow(/permutation/);
  });

  it('broadcastTo', () => {
    expect(values(broadcastTo(fromNested([1, 2, 3]), [2, 3]))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(values(broadcastTo(fromNested([[1], [2]]), [2, 2]))).toEqual([1, 1, 2, 2]);
    expect(() => broadcastTo(x, [3])).toThrow();
  });

  it('slice, with -1 meaning to the end', () => {
    const s = slice(x, [0, 1], [2, -1]);
    expect(s.shape).toEqual([2, 2]);
    expect(values(s)).toEqual([2, 3, 5, 6]);
    expect(values(slice(x, [1, 0], [1, 2]))).toEqual([4, 5]);
    expect(() => slice(x, [0, 2], [1, 2])).toThrow(/exceeds/);
  });

  it('concat', () => {
    const joined = concat([x, fromNested([[7], [8]])], 1);
    expect(joined.shape).toEqual([2, 4]);
    expect(values(joined)).toEqual([1, 2, 3, 7, 4, 5, 6, 8]);
    expect(values(concat([x, fromNested([[7, 8, 9]])], 0))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => concat([x, fromNested([[7, 8]])], 0)).toThrow();
  });

  it('gather with indices of any shape', () => {
    const rows = gather(x, fromNested([1, 0, 1]), 0);
    expect(rows.shape).toEqual([3, 3]);
    expect(values(rows)).toEqual([4, 5, 6, 1, 2, 3, 4, 5, 6]);
    const picked = gather(x, fromNested([[2, 0], [1, 1]]), 1);
    expect(picked.shape).toEqual([2, 2, 2]);
    expect(values(picked)).toEqual([3, 1, 2, 2, 6, 4, 5, 5]);
    expect(() => gather(x, fromNested([3]), 1)).toThrow(/out of range/);
  });

  it('oneHot', () => {
    const encoded = oneHot(fromNested([2, 0, 5]), 3);
    expect(encoded.shape).toEqual([3, 3]);
    expect(values(encoded)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0]);
  });
});

describe('numericGradient', () => {
  it('of x^3 at 2 is about 12', () => {
    const [gradient] = numericGradient(([x]) => x.data[0] ** 3, [scalar(2)]);
    expectClose(gradient.data, [12], { rtol: 1e-8, atol: 0 });
  });

  it('of sum(a * b) is b for a and a for b, and leaves inputs untouched', () => {
    const a = fromNested([1, -2, 3]);
    const b = fromNested([0.5, 4, -1]);
    const [gradA, gradB] = numericGradient(([p, q]) => values(binary(p, q, (u, v) => u * v)).reduce((s, v) => s + v), [a, b]);
    expectClose(gradA.data, b.data, { rtol: 1e-8, atol: 1e-9 });
    expectClose(gradB.data, a.data, { rtol: 1e-8, atol: 1e-9 });
    expect(values(a)).toEqual([1, -2, 3]);
  });
});

describe('expectClose', () => {
  it('passes within tolerance and treats NaN as equal to NaN', () => {
    expectClose([1, 2.000001, NaN, Infinity], [1, 2, NaN, Infinity], { rtol: 1e-5, atol: 0 });
  });

  it('names the worst element', () => {
    expect(() => expectClose([1, 2.5, 3.01], [1, 2, 3], { rtol: 1e-3, atol: 0, shape: [1, 3] }, 'relu')).toThrow(
      /relu: 2 of 3 elements.*worst at index 1 \[0,1\]: actual 2.5, expected 2/,
    );
    expect(() => expectClose([NaN], [0], { rtol: 1, atol: 1 })).toThrow(/actual NaN/);
    expect(() => expectClose([1], [1, 2], { rtol: 0, atol: 0 })).toThrow(/got 1 values, expected 2/);
    expect(maxRelativeError([1.1, 2], [1, 2])).toBeCloseTo(0.1, 12);
  });
});

describe('random', () => {
  it('is reproducible from a seed and stays in range', () => {
    const first = randomArray([4, 5], mulberry32(7), -2, 3);
    const second = randomArray([4, 5], mulberry32(7), -2, 3);
    expect(values(first)).toEqual(values(second));
    expect(values(first).every((v) => v >= -2 && v < 3)).toBe(true);
    const rng = mulberry32(1);
    const ints = Array.from({ length: 200 }, () => randomInt(rng, 0, 3));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3]));
  });
});
