// Elementwise arithmetic with NumPy broadcasting (the tape sums gradients back to each input's
// shape), each op one row of the op table: float32, or int32 for add, sub, mul, maximum and minimum
// of int32 operands (integral numbers count).
import type { Tensor } from '../tensor';
import { greater, greaterEqual, less, lessEqual } from './compare';
import { defineElementwise, type MethodOp } from './elementwise';

export const add: MethodOp<2> = defineElementwise({
  name: 'add', inputs: ['a', 'b'], dtypes: { a: 'numeric', b: 'numeric' }, method: true,
  body: 'return a + b;', int32: 'return a + b;',
  gradients: [{ composed: (_inputs, _out, dy) => dy }, { composed: (_inputs, _out, dy) => dy }],
});

export const sub: MethodOp<2> = defineElementwise({
  name: 'sub', inputs: ['a', 'b'], dtypes: { a: 'numeric', b: 'numeric' }, method: true,
  body: 'return a - b;', int32: 'return a - b;',
  gradients: [{ composed: (_inputs, _out, dy) => dy }, { composed: (_inputs, _out, dy) => mul(dy, -1) }],
});

export const mul: MethodOp<2> = defineElementwise({
  name: 'mul', inputs: ['a', 'b'], dtypes: { a: 'numeric', b: 'numeric' }, method: true,
  body: 'return a * b;', int32: 'return a * b;',
  gradients: [{ composed: ([, b], _out, dy) => mul(dy, b) }, { composed: ([a], _out, dy) => mul(dy, a) }],
});

/** True division: int32 operands give float32, as NumPy and PyTorch do. */
export const div: MethodOp<2> = defineElementwise({
  name: 'div', inputs: ['a', 'b'], dtypes: { a: 'numeric', b: 'numeric' }, method: true,
  body: 'return a / b;',
  gradients: [
    { composed: ([, b], _out, dy) => div(dy, b) },
    { body: 'return -dy * out / b;', composed: ([, b], out, dy) => mul(dy, div(out, mul(b, -1))) },
  ],
});

// NaN wins (as Math.max and TF.js); equal values AND their bits (OR for minimum), so
// maximum(−0, 0) = 0 and minimum(−0, 0) = −0. Gradients follow TF.js: a tie sends dy to a only,
// so the two sum to dy; a NaN compares false both ways, so neither input gets any.
export const maximum: MethodOp<2> = defineElementwise({
  name: 'maximum', inputs: ['a', 'b'], dtypes: { a: 'numeric', b: 'numeric' }, method: true,
  body: `let ordered = select(select(b, a, a > b), bitcast<f32>(bitcast<u32>(a) & bitcast<u32>(b)), a == b);
  return select(ordered, select(b, a, isNan(a)), isNan(a) || isNan(b));`,
  int32: 'return max(a, b);',
  gradients: [
    { body: 'return select(0.0, dy, a >= b);', composed: ([a, b], _out, dy) => mul(dy, greaterEqual(a, b)) },
    { body: 'return select(0.0, dy, a < b);', composed: ([a, b], _out, dy) => mul(dy, less(a, b)) },
  ],
});

export const minimum: MethodOp<2> = defineElementwise({
  name: 'minimum', inputs: ['a', 'b'], dtypes: { a: 'numeric', b: 'numeric' }, method: true,
  body: `let ordered = select(select(b, a, a < b), bitcast<f32>(bitcast<u32>(a) | bitcast<u32>(b)), a == b);
  return select(ordered, select(b, a, isNan(a)), isNan(a) || isNan(b));`,
  int32: 'return min(a, b);',
  gradients: [
    { body: 'return select(0.0, dy, a <= b);', composed: ([a, b], _out, dy) => mul(dy, lessEqual(a, b)) },
    { body: 'return select(0.0, dy, a > b);', composed: ([a, b], _out, dy) => mul(dy, greater(a, b)) },
  ],
});
