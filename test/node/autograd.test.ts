// The tape in Node through Dawn: the gradient of a small convolutional composite, mean(tanh(conv2d(x,
// w) + b)²), with respect to its input, filter and bias, against central finite differences of
// the same function in float64. It runs conv2d's two backward kernels, broadcasting's reduction
// and the elementwise chain rule on Dawn.
import { describe, expect, it } from 'vitest';
import { loadWebgradInNode } from '../harness/node-webgrad';
import * as ref from '../reference';

const node = await loadWebgradInNode();

/**
 * As test/autograd/composite.test.ts: each float32 op rounds to ~6e-8 relative and WGSL's tanh is
 * good to a few ulp, so ~6 ops over sums of ≤ 18 terms stay well under 1e-5 relative; atol covers
 * entries that cancel to near zero. A wrong rule (a filter not flipped, a missed broadcast sum) is
 * off by O(1) relative.
 */
const GRADIENT_TOLERANCE = { rtol: 1e-4, atol: 1e-6 };

function randomF32(shape: number[], rng: ref.Rng): ref.NdArray {
  const x = ref.randomArray(shape, rng);
  return { shape: x.shape, data: Float64Array.from(x.data, Math.fround) };
}

/** mean(tanh(conv2d(x, w, 'same') + b)²) in float64. */
function convLoss([x, w, b]: ref.NdArray[]): number {
  const activated = ref.unary(ref.binary(ref.conv2d(x, w, { padding: 'same' }), b, (a, c) => a + c), Math.tanh);
  return activated.data.reduce((sum, v) => sum + v * v, 0) / activated.data.length;
}

describe.skipIf(node.skipReason !== null)('autograd in Node through Dawn', () => {
  it('d/d(x, w, b) of mean(tanh(conv2d(x, w) + b)²) matches finite differences', async () => {
    const { wg } = node;
    const rng = ref.mulberry32(21);
    const inputs = [randomF32([2, 4, 4, 2], rng), randomF32([3, 3, 2, 3], rng), randomF32([3], rng)];
    const [x, w, b] = inputs.map((input) => wg.tensor(Float32Array.from(input.data), input.shape));
    const tape = new wg.Tape();
    const loss = tape.record(() => wg.mean(wg.square(wg.tanh(wg.add(wg.conv2d(x, w, { padding: 'same' }), b)))));
    const gradients = tape.gradient(loss, [x, w, b]);

    ref.expectClose(await loss.data(), [convLoss(inputs)], { rtol: 1e-5, atol: 0 }, 'loss');
    const numeric = ref.numericGradient(convLoss, inputs);
    for (const [i, name] of ['x', 'w', 'b'].entries()) {
      expect(gradients[i].shape, name).toEqual(inputs[i].shape);
      ref.expectClose(await gradients[i].data(), numeric[i].data, { ...GRADIENT_TOLERANCE, shape: inputs[i].shape }, `dLoss/d${name}`);
    }
    for (const t of [x, w, b, loss, ...gradients]) t.dispose();
  });
});
