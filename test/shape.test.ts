// Shape arithmetic (src/shape.ts) against the float64 reference's own broadcasting and hand-worked
// cases. Pure Node: no browser.
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../src/errors';
import {
  assertValidShape, broadcastShapes, broadcastStrides, normalizeAxes, normalizeAxis, shapesEqual, sizeOf, stridesOf,
} from '../src/shape';
import {
  broadcastOffset, broadcastShapes as referenceBroadcastShapes, multiIndex, mulberry32, randomInt, randomShape,
  stridesOf as referenceStridesOf,
} from './reference';

describe('sizeOf and stridesOf', () => {
  it('count elements, a scalar having one and a zero dim none', () => {
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([3])).toBe(3);
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([2, 0, 4])).toBe(0);
  });

  it('gives row-major strides', () => {
    expect(stridesOf([])).toEqual([]);
    expect(stridesOf([5])).toEqual([1]);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(stridesOf([3, 1, 2])).toEqual([2, 2, 1]);
    const rng = mulberry32(11);
    for (let trial = 0; trial < 50; trial++) {
      const shape = randomShape(rng, randomInt(rng, 0, 6), 1, 6);
      expect(stridesOf(shape)).toEqual(referenceStridesOf(shape));
    }
  });

  it('shapesEqual compares rank and every dim', () => {
    expect(shapesEqual([], [])).toBe(true);
    expect(shapesEqual([2, 3], [2, 3])).toBe(true);
    expect(shapesEqual([2, 3], [3, 2])).toBe(false);
    expect(shapesEqual([1, 3], [3])).toBe(false);
  });
});

describe('broadcastShapes', () => {
  it('follows NumPy rules in every direction', () => {
    expect(broadcastShapes('add', [3, 1, 5], [4, 1])).toEqual([3, 4, 5]);
    expect(broadcastShapes('add', [4, 1], [3, 1, 5])).toEqual([3, 4, 5]);
    expect(broadcastShapes('add', [], [2, 3])).toEqual([2, 3]);
    expect(broadcastShapes('add', [2, 3], [])).toEqual([2, 3]);
    expect(broadcastShapes('add', [0, 1], [1, 7])).toEqual([0, 7]);
    expect(broadcastShapes('add', [1], [0])).toEqual([0]);
  });

  it('agrees with the reference on random compatible shapes', () => {
    const rng = mulberry32(5);
    for (let trial = 0; trial < 200; trial++) {
      const out = randomShape(rng, randomInt(rng, 0, 5), 1, 4);
      // Each input drops some leading dims and turns some others into 1.
      const derive = (): number[] => out.slice(randomInt(rng, 0, out.length)).map((dim) => (rng() < 0.3 ? 1 : dim));
      const a = derive();
      const b = derive();
      expect(broadcastShapes('op', a, b)).toEqual(referenceBroadcastShapes(a, b));
    }
  });

  it('names the op and both shapes when they cannot broadcast', () => {
    expect(() => broadcastShapes('mul', [2, 3], [4, 3])).toThrow(ShapeError);
    expect(() => broadcastShapes('mul', [2, 3], [4, 3])).toThrow('mul: shapes [2,3] and [4,3] cannot be broadcast together');
    expect(() => broadcastShapes('greater', [3], [0])).toThrow(/greater.*\[3\].*\[0\]/);
  });
});

describe('broadcastStrides', () => {
  it('gives stride 0 on broadcast and padded dims', () => {
    expect(broadcastStrides([4, 1], [3, 4, 5])).toEqual([0, 1, 0]);
    expect(broadcastStrides([3, 1, 5], [3, 4, 5])).toEqual([5, 0, 1]);
    expect(broadcastStrides([], [2, 2])).toEqual([0, 0]);
    expect(broadcastStrides([2, 3], [2, 3])).toEqual([3, 1]);
  });

  it('reads the element the reference broadcasting reads, for every output index', () => {
    const rng = mulberry32(8);
    for (let trial = 0; trial < 40; trial++) {
      const out = randomShape(rng, randomInt(rng, 1, 4), 1, 4);
      const input = out.slice(randomInt(rng, 0, out.length - 1)).map((dim) => (rng() < 0.4 ? 1 : dim));
      const strides = broadcastStrides(input, out);
      for (let i = 0; i < sizeOf(out); i++) {
        const index = multiIndex(i, out);
        const offset = index.reduce((sum, coordinate, axis) => sum + coordinate * strides[axis], 0);
        expect(offset).toBe(broadcastOffset(index, input));
      }
    }
  });
});

describe('normalizeAxis and normalizeAxes', () => {
  it('maps negative axes from the end', () => {
    expect(normalizeAxis('sum', -1, 3)).toBe(2);
    expect(normalizeAxis('sum', -3, 3)).toBe(0);
    expect(normalizeAxis('sum', 2, 3)).toBe(2);
  });

  it('names the op, the axis and the rank when out of range', () => {
    expect(() => normalizeAxis('sum', 3, 3)).toThrow(ValueError);
    expect(() => normalizeAxis('sum', 3, 3)).toThrow('sum: axis 3 is out of range for a tensor of rank 3');
    expect(() => normalizeAxis('softmax', -4, 3)).toThrow(/softmax: axis -4 .* rank 3/);
    expect(() => normalizeAxis('sum', 0.5, 3)).toThrow(ValueError);
  });

  it('sorts, defaults to every axis and rejects repeats', () => {
    expect(normalizeAxes('sum', undefined, 3)).toEqual([0, 1, 2]);
    expect(normalizeAxes('sum', -1, 3)).toEqual([2]);
    expect(normalizeAxes('sum', [2, -3], 3)).toEqual([0, 2]);
    expect(normalizeAxes('sum', [], 3)).toEqual([]);
    expect(() => normalizeAxes('sum', [1, -2], 3)).toThrow(/sum: repeated axis/);
  });
});

describe('assertValidShape', () => {
  it('accepts non-negative integer dims, including the scalar shape', () => {
    expect(() => assertValidShape('zeros', [])).not.toThrow();
    expect(() => assertValidShape('zeros', [0, 3])).not.toThrow();
  });

  it('rejects negative, fractional and non-finite dims, naming the op and the shape', () => {
    expect(() => assertValidShape('zeros', [2, -1])).toThrow(ShapeError);
    expect(() => assertValidShape('zeros', [2, -1])).toThrow(/zeros: invalid shape \[2,-1\]/);
    expect(() => assertValidShape('ones', [1.5])).toThrow(ShapeError);
    expect(() => assertValidShape('ones', [NaN])).toThrow(ShapeError);
    expect(() => assertValidShape('ones', [Infinity])).toThrow(ShapeError);
  });
});
