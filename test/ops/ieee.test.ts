// NaN, ±Inf, ±0 and domain edges of every elementwise op (each from its test row,
// elementwise-cases.ts), comparison, clip, where, reduction, softmax and layerNorm, against
// JavaScript's Math on the same float32 inputs (float64 IEEE-754, rounded to float32): WGSL leaves
// its built-ins undefined there, so webgrad spells each case out.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { comparisons } from '../reference';
import { binaryCases, FINITE, unaryCases, type Tolerance } from './elementwise-cases';
import { callOps, tensorArg, type OpCall } from './op-calls';

const gpu = useGpuPage();

const f32 = Math.fround;

/**
 * Edge inputs: NaN, the infinities, both zeros, and finite values chosen so every reference result
 * is a normal float32 or rounds to 0 or Inf (exp(89) overflows, exp(−104) underflows, exp(−87)
 * stays normal), so an adapter that flushes subnormals still matches.
 */
const EDGES = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2, -3, 10, 89, -87, -104].map(f32);

/** Whether a float32 result is the reference's: same NaN-ness, same infinity, same zero (optionally its sign), else close. */
function sameValue(actual: number, expected: number, signOfZero: boolean, tolerance: Tolerance): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  if (expected === 0 && signOfZero) return Object.is(actual, expected);
  return Math.abs(actual - expected) <= tolerance.atol + tolerance.rtol * Math.abs(expected);
}

function expectSameValues(label: string, actual: ArrayLike<number>, expected: number[], inputs: string[], signOfZero: boolean, tolerance: Tolerance = FINITE): void {
  const wrong = expected.flatMap((value, i) => (sameValue(actual[i], value, signOfZero, tolerance) ? [] : [`${inputs[i]}: got ${actual[i]}, expected ${value}`]));
  expect(wrong, label).toEqual([]);
}

const vector = (values: number[]) => tensorArg({ shape: [values.length], data: Float64Array.from(values) });

describe('unary ops', () => {
  it('give NaN for NaN, IEEE limits at ±Inf, signed zeros and NaN outside their domain, as their references do', async () => {
    const ops = Object.keys(unaryCases);
    // The vec4 kernel; the broadcasting one runs the same body (binary ops below test both).
    const results = await callOps(gpu, ops.map((op) => ({ op, args: [vector(EDGES)] })));
    ops.forEach((op, k) => {
      const { reference, edges } = unaryCases[op];
      const expected = EDGES.map((x) => f32(reference(x)));
      expectSameValues(op, results[k].values, expected, EDGES.map(String), edges?.signOfZero ?? true, edges?.tolerance);
    });
  });
});

/** Inputs for the binary ops: every pair of these. */
const PAIR_VALUES = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, -2, 0.5, 3, -3, 2.5, 0.25].map(f32);

describe('binary ops and comparisons', () => {
  const n = PAIR_VALUES.length;
  const lefts = PAIR_VALUES.flatMap((a) => PAIR_VALUES.map(() => a));
  const rights = PAIR_VALUES.flatMap(() => PAIR_VALUES);
  const pairs = lefts.map((a, i) => `(${a}, ${rights[i]})`);
  // The same pairs through the vec4 kernel (two [n²] vectors), the broadcasting one ([n, 1] with
  // [1, n]: one output per invocation, n = 14), and the broadcasting one at four outputs per
  // invocation ([n²/4, 4] with [1, n²/4, 4]: shapes differ, so it broadcasts; the merged axis holds whole fours).
  const layouts: [string, (op: string) => OpCall][] = [
    ['contiguous', (op) => ({ op, args: [vector(lefts), vector(rights)] })],
    ['broadcast', (op) => ({
      op,
      args: [tensorArg({ shape: [n, 1], data: Float64Array.from(PAIR_VALUES) }), tensorArg({ shape: [1, n], data: Float64Array.from(PAIR_VALUES) })],
    })],
    ['broadcast, four per invocation', (op) => ({
      op,
      args: [tensorArg({ shape: [(n * n) / 4, 4], data: Float64Array.from(lefts) }), tensorArg({ shape: [1, (n * n) / 4, 4], data: Float64Array.from(rights) })],
    })],
  ];

  it('add, sub, mul, div, pow, maximum and minimum match Math on every pair of edge values', async () => {
    const ops = Object.keys(binaryCases);
    for (const [layout, call] of layouts) {
      const results = await callOps(gpu, ops.map(call));
      ops.forEach((op, k) => {
        const { reference, edges } = binaryCases[op];
        const expected = lefts.map((a, i) => f32(reference(a, rights[i])));
        expectSameValues(`${op} (${layout})`, results[k].values, expected, pairs, edges?.signOfZero ?? true, edges?.tolerance);
      });
    }
  });

  it('comparisons are false with a NaN operand except notEqual, and treat −0 as 0', async () => {
    const ops = Object.keys(comparisons);
    for (const [layout, call] of layouts) {
      const results = await callOps(gpu, ops.map(call));
      ops.forEach((op, k) => {
        const expected = lefts.map((a, i) => (comparisons[op](a, rights[i]) ? 1 : 0));
        expectSameValues(`${op} (${layout})`, results[k].values, expected, pairs, false, { rtol: 0, atol: 0 });
      });
    }
  });
});

describe('clip and where', () => {
  it('clip keeps NaN and clamps ±Inf to its bounds; where picks a for a NaN condition and copies NaN operands', async () => {
    const bounds: [number, number][] = [[-1, 1], [0, Infinity], [-Infinity, 2.5]];
    const calls: OpCall[] = [
      ...bounds.map(([lo, hi]) => ({ op: 'clip', args: [vector(EDGES), lo, hi] })),
      { op: 'where', args: [vector([NaN, 0, -0, 1, NaN, Infinity]), vector([1, 2, 3, NaN, NaN, 6]), vector([-1, -2, -3, -4, 5, NaN])] },
    ];
    const results = await callOps(gpu, calls);
    bounds.forEach(([lo, hi], k) => {
      const expected = EDGES.map((x) => Math.min(Math.max(x, lo), hi));
      expectSameValues(`clip(x, ${lo}, ${hi})`, results[k].values, expected, EDGES.map(String), false, { rtol: 0, atol: 0 });
    });
    // NumPy's truth test: NaN and Inf are true, ±0 false.
    expectSameValues('where', results[3].values, [1, -2, -3, NaN, NaN, 6], ['NaN', '0', '-0', '1', 'NaN', 'Inf'], false, { rtol: 0, atol: 0 });
  });
});

/** Rows to reduce, softmax and normalize: each holds one kind of edge. */
const ROWS: number[][] = [
  [2, 1, NaN],
  [NaN, 3, NaN],
  [1, Infinity, 0],
  [-Infinity, 0, 1],
  [-Infinity, -Infinity, -Infinity],
  [Infinity, -Infinity, 1],
  [Infinity, Infinity, 1],
  [1, 3, 3],
];

const rowsArg = () => tensorArg({ shape: [ROWS.length, 3], data: Float64Array.from(ROWS.flat()) });

/** softmax and logSoftmax by their max-shifted formula in float64, as TF.js and PyTorch compute them. */
function softmaxRow(row: number[], log: boolean): number[] {
  const m = row.reduce((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)));
  const total = row.reduce((s, v) => s + Math.exp(v - m), 0);
  return row.map((v) => (log ? v - m - Math.log(total) : Math.exp(v - m) / total));
}

describe('row ops', () => {
  it('sum, mean, max, min propagate NaN (and Inf − Inf); argmax gives the first NaN, else the first maximum', async () => {
    const ops = ['sum', 'mean', 'max', 'min'];
    const results = await callOps(gpu, [...ops.map((op) => ({ op, args: [rowsArg(), 1] })), { op: 'argmax', args: [rowsArg(), 1] }]);
    const references: Record<string, (row: number[]) => number> = {
      sum: (row) => row.reduce((a, b) => a + b, 0),
      mean: (row) => row.reduce((a, b) => a + b, 0) / row.length,
      // Math.max and Math.min return NaN when any argument is NaN, as NumPy's max and min.
      max: (row) => Math.max(...row),
      min: (row) => Math.min(...row),
    };
    ops.forEach((op, k) => {
      expectSameValues(op, results[k].values, ROWS.map((row) => f32(references[op](row))), ROWS.map((row) => `[${row}]`), false, { rtol: 0, atol: 0 });
    });
    // NumPy and PyTorch: the first NaN counts as the largest.
    const firstArgmax = (row: number[]): number => {
      const nan = row.findIndex(Number.isNaN);
      return nan >= 0 ? nan : row.indexOf(Math.max(...row));
    };
    expect([...results[4].values]).toEqual(ROWS.map(firstArgmax));
  });

  it('softmax and logSoftmax rows follow the max-shifted formula: a NaN or +Inf (or only −Inf) makes the row NaN', async () => {
    const results = await callOps(gpu, ['softmax', 'logSoftmax'].map((op) => ({ op, args: [rowsArg()] })));
    [false, true].forEach((log, k) => {
      const expected = ROWS.flatMap((row) => softmaxRow(row, log).map(f32));
      expectSameValues(log ? 'logSoftmax' : 'softmax', results[k].values, expected, ROWS.flatMap((row) => row.map(() => `[${row}]`)), false);
    });
  });

  it('layerNorm makes a row with a NaN or an infinity all NaN and leaves the other rows finite', async () => {
    const [result] = await callOps(gpu, [{ op: 'layerNorm', args: [rowsArg()] }]);
    // (x − mean) / sqrt(var + 1e-3) in float64, Keras's default epsilon; NaN wherever the row has a non-finite value.
    const expected = ROWS.flatMap((row) => {
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
      return row.map((v) => f32((v - mean) / Math.sqrt(variance + 1e-3)));
    });
    expectSameValues('layerNorm', result.values, expected, ROWS.flatMap((row) => row.map(() => `[${row}]`)), false);
  });
});
