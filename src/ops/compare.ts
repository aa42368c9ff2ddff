// Comparisons (float32 0/1 results) and where, with NumPy broadcasting, as rows of the op table.
import { defineElementwise, type ElementwiseDeclaration, type ElementwiseOp, type MethodOp } from './elementwise';

/**
 * A comparison's row: `holds` over a and b, and what it gives when either is NaN: by IEEE-754 a
 * NaN is unequal to everything and unordered, so only notEqual holds. The NaN test is on the bits
 * (shaders/ieee.wgsl) since WGSL may fold float comparisons as if NaN never occurred; int32
 * operands hold no NaN. Operands compute in int32 when both are int32, else in float32. Not
 * differentiable: the result is piecewise constant.
 */
function comparison(name: string, holds: string, whenNaN: boolean) {
  return {
    name, inputs: ['a', 'b'], dtypes: { a: 'numeric', b: 'numeric' }, output: 'float32', method: true,
    body: `return select(0.0, 1.0, select(${holds}, ${whenNaN}, isNan(a) || isNan(b)));`,
    int32: `return select(0.0, 1.0, ${holds});`,
  } as const satisfies ElementwiseDeclaration;
}

export const equal: MethodOp<2> = defineElementwise(comparison('equal', 'a == b', false));
export const notEqual: MethodOp<2> = defineElementwise(comparison('notEqual', 'a != b', true));
export const greater: MethodOp<2> = defineElementwise(comparison('greater', 'a > b', false));
export const greaterEqual: MethodOp<2> = defineElementwise(comparison('greaterEqual', 'a >= b', false));
export const less: MethodOp<2> = defineElementwise(comparison('less', 'a < b', false));
export const lessEqual: MethodOp<2> = defineElementwise(comparison('lessEqual', 'a <= b', false));

/**
 * Elementwise `condition != 0 ? a : b`, broadcasting all three together; −0 counts as zero and NaN
 * as nonzero (NumPy's truth test). The result is int32 when a and b both are. Gradients flow to a
 * and b where each was selected; none flows to the condition.
 */
export const where: ElementwiseOp<readonly ['condition', 'a', 'b'], false> = defineElementwise({
  name: 'where', inputs: ['condition', 'a', 'b'], dtypes: { condition: 'truth', a: 'numeric', b: 'numeric' },
  body: 'return select(b, a, condition);', int32: 'return select(b, a, condition);',
  gradients: [
    null,
    { body: 'return select(0.0, dy, condition);', composed: ([condition], _out, dy) => where(condition, dy, 0) },
    { body: 'return select(dy, 0.0, condition);', composed: ([condition], _out, dy) => where(condition, 0, dy) },
  ],
});
