// The tape on whole functions: gradients of composites (an MLP with softmax cross-entropy, a tensor
// used three times, a diamond, gather with repeated indices, broadcasting) against central finite
// differences of float64 CPU implementations, and the classic two-layer backprop example derived
// by hand with the chain rule.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

/** A random array whose values are float32-representable, so CPU and GPU start from the same inputs. */
function randomF32(shape: number[], rng: ref.Rng, lo = -1, hi = 1): ref.NdArray {
  const array = ref.randomArray(shape, rng, lo, hi);
  return { shape: array.shape, data: array.data.map(Math.fround) };
}

/** The form an array crosses into the page in. */
const plain = (array: ref.NdArray) => ({ shape: array.shape, data: Array.from(array.data) });

const plus = (a: number, b: number) => a + b;
const times = (a: number, b: number) => a * b;
const total = (array: ref.NdArray) => array.data.reduce(plus, 0);

/**
 * Tolerance for a float32 tape gradient against a float64 reference: each op rounds to ~6e-8
 * relative and WGSL's exp/tanh/sin are good to a few ulp, so a chain of ~10 ops over sums of ≤ 7
 * terms stays well under 1e-5 relative; atol covers entries that cancel to near zero.
 */
const GRADIENT_TOLERANCE = { rtol: 1e-4, atol: 1e-6 };
/**
 * WGSL only promises sin and cos to an absolute 2^-11 on [-π, π] (SwiftShader is off by up to
 * ~2e-4 here), so a gradient with a cos term gets that as atol. Dropping one of x³'s three uses
 * would still be off by x² ≥ 0.03 at these inputs.
 */
const TRIG_TOLERANCE = { rtol: 1e-4, atol: 2 ** -11 };

describe('tape gradients of composite functions', () => {
  const gpu = useGpuPage();

  it('two-layer MLP with softmax cross-entropy: all parameters (and the input) against finite differences', async () => {
    const rng = ref.mulberry32(101);
    const [x, w1, b1, w2, b2] = [[5, 4], [4, 6], [6], [6, 3], [3]].map((shape) => randomF32(shape, rng));
    const labels = [2, 0, 1, 1, 2];

    const out = await gpu.run(async (wg, a) => {
      const [x, w1, b1, w2, b2] = a.params.map((p) => wg.tensor(p.data, p.shape));
      const labels = wg.tensor(a.labels, [a.labels.length], 'int32');
      const tape = new wg.Tape();
      const loss = tape.record(() => {
        const hidden = wg.relu(wg.add(wg.matmul(x, w1), b1));
        const logits = wg.add(wg.matmul(hidden, w2), b2);
        return wg.neg(wg.mean(wg.sum(wg.mul(wg.oneHot(labels, 3), wg.logSoftmax(logits)), -1)));
      });
      const grads = tape.gradient(loss, [x, w1, b1, w2, b2]);
      return {
        loss: (await loss.data())[0],
        grads: await Promise.all(grads.map(async (g) => ({ shape: [...g.shape], data: Array.from(await g.data()) }))),
      };
    }, { params: [x, w1, b1, w2, b2].map(plain), labels });

    // The float64 model: cross-entropy read straight off log-softmax at each label (no one-hot).
    const mlpLoss = ([x, w1, b1, w2, b2]: ref.NdArray[]): number => {
      const hidden = ref.unary(ref.binary(ref.matmul(x, w1), b1, plus), (v) => Math.max(v, 0));
      const logProbabilities = ref.logSoftmax(ref.binary(ref.matmul(hidden, w2), b2, plus), -1);
      return -labels.reduce((sum, label, row) => sum + logProbabilities.data[row * 3 + label], 0) / labels.length;
    };
    const inputs = [x, w1, b1, w2, b2];
    ref.expectClose([out.loss], [mlpLoss(inputs)], { rtol: 1e-5, atol: 0 }, 'loss');
    const numeric = ref.numericGradient(mlpLoss, inputs);
    ['x', 'W1', 'b1', 'W2', 'b2'].forEach((name, i) => {
      expect(out.grads[i].shape, name).toEqual(inputs[i].shape);
      ref.expectClose(out.grads[i].data, numeric[i].data, { ...GRADIENT_TOLERANCE, shape: inputs[i].shape }, `dLoss/d${name}`);
    });
  });

  it('an input used three times, a diamond through an intermediate, gather with repeated indices, broadcasting', async () => {
    const rng = ref.mulberry32(102);
    const cube = { x: randomF32([7], rng, -2, 2) };
    const diamond = { x: randomF32([6], rng, -1.5, 1.5), w: randomF32([6], rng, -1.5, 1.5) };
    const embed = { table: randomF32([5, 3], rng), indices: [4, 0, 4, 1, 4, 2, 0], w: randomF32([3, 2], rng) };
    const bias = {
      x: randomF32([4, 3], rng), row: randomF32([3], rng), column: randomF32([4, 1], rng),
      scale: randomF32([], rng, 0.5, 1.5), weights: randomF32([4, 3], rng),
    };

    const out = await gpu.run(async (wg, a) => {
      const t = (p: { shape: number[]; data: number[] }) => wg.tensor(p.data, p.shape);
      const gradients = async (f: () => Tensor, sources: Tensor[]) => {
        const tape = new wg.Tape();
        const y = tape.record(f);
        const grads = tape.gradient(y, sources);
        return Promise.all(grads.map(async (g) => ({ shape: [...g.shape], data: Array.from(await g.data()) })));
      };

      const cubeX = t(a.cube.x);
      const [dx, dw] = [t(a.diamond.x), t(a.diamond.w)];
      const [table, w] = [t(a.embed.table), t(a.embed.w)];
      const indices = wg.tensor(a.embed.indices, [a.embed.indices.length], 'int32');
      const [bx, row, column, scale, weights] = [a.bias.x, a.bias.row, a.bias.column, a.bias.scale, a.bias.weights].map(t);
      return {
        // x·x·x + sin(x): x feeds three multiplications' operands and the sine.
        cube: await gradients(() => wg.sum(wg.add(wg.mul(wg.mul(cubeX, cubeX), cubeX), wg.sin(cubeX))), [cubeX]),
        // a = x·w; b = tanh(a), c = exp(a/2); d = Σ b·c: a's gradient must gather both branches before flowing on.
        diamond: await gradients(() => {
          const a = wg.mul(dx, dw);
          return wg.sum(wg.mul(wg.tanh(a), wg.exp(wg.mul(a, 0.5))));
        }, [dx, dw]),
        embed: await gradients(() => wg.sum(wg.square(wg.tanh(wg.matmul(wg.gather(table, indices, 0), w)))), [table, w]),
        // tanh(x + row + column)·scale, weighted: row [3], column [4,1] and scale [] broadcast to [4,3].
        bias: await gradients(() => wg.sum(wg.mul(wg.mul(wg.tanh(wg.add(wg.add(bx, row), column)), scale), weights)), [bx, row, column, scale]),
      };
    }, {
      cube: { x: plain(cube.x) },
      diamond: { x: plain(diamond.x), w: plain(diamond.w) },
      embed: { table: plain(embed.table), indices: embed.indices, w: plain(embed.w) },
      bias: { x: plain(bias.x), row: plain(bias.row), column: plain(bias.column), scale: plain(bias.scale), weights: plain(bias.weights) },
    });

    const check = (name: string, got: { shape: number[]; data: number[] }[], f: (inputs: ref.NdArray[]) => number, inputs: ref.NdArray[], tolerance = GRADIENT_TOLERANCE) => {
      const numeric = ref.numericGradient(f, inputs);
      expect(got.length, name).toBe(inputs.length);
      inputs.forEach((input, i) => {
        expect(got[i].shape, `${name} gradient ${i} shape`).toEqual(input.shape);
        ref.expectClose(got[i].data, numeric[i].data, { ...tolerance, shape: input.shape }, `${name} gradient ${i}`);
      });
    };
    check('x³ + sin x', out.cube, ([x]) => total(ref.unary(x, (v) => v * v * v + Math.sin(v))), [cube.x], TRIG_TOLERANCE);
    check('diamond', out.diamond, ([x, w]) => total(ref.unary(ref.binary(x, w, times), (a) => Math.tanh(a) * Math.exp(a / 2))), [diamond.x, diamond.w]);
    const indexArray = ref.ndarray([embed.indices.length], embed.indices);
    check('gather composite', out.embed, ([table, w]) => total(ref.unary(ref.matmul(ref.gather(table, indexArray, 0), w), (v) => Math.tanh(v) ** 2)), [embed.table, embed.w]);
    check('broadcast bias', out.bias,
      ([x, row, column, scale]) => total(ref.mapBroadcast([x, row, column, scale, bias.weights], ([xv, r, c, s, wv]) => Math.tanh(xv + r + c) * s * wv)),
      [bias.x, bias.row, bias.column, bias.scale]);
    // Row 4 is gathered three times, row 0 twice, rows 1 and 2 once, row 3 never: its gradient is exactly 0.
    expect(out.embed[0].data.slice(9, 12)).toEqual([0, 0, 0]);
  });

  it('the classic two-layer sigmoid network, with every gradient derived by hand through the chain rule', async () => {
    // Network: x = [1, 2] is scaled by 0.5 inside the graph, h = σ(xs·W1 + b1), o = σ(h·W2 + b2),
    // E = ½ Σ (target − o)². Row-vector convention: W[i][j] connects input i to unit j.
    const x = [1, 2];
    const scale = 0.5;
    const W1 = [[0.1, 0.2], [0.3, 0.4]];
    const b1 = [0.1, 0.2];
    const W2 = [[0.5, -0.6], [0.7, 0.8]];
    const b2 = [-0.3, 0.25];
    const target = [0.01, 0.99];

    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor([a.x]);
      const [w1, b1, w2, b2] = [wg.tensor(a.W1), wg.tensor(a.b1), wg.tensor(a.W2), wg.tensor(a.b2)];
      const target = wg.tensor([a.target]);
      const tape = new wg.Tape();
      const error = tape.record(() => {
        const xs = wg.mul(x, a.scale);
        const hidden = wg.sigmoid(wg.add(wg.matmul(xs, w1), b1));
        const output = wg.sigmoid(wg.add(wg.matmul(hidden, w2), b2));
        return wg.mul(wg.sum(wg.square(wg.sub(target, output))), 0.5);
      });
      const grads = tape.gradient(error, [x, w1, b1, w2, b2]);
      return { error: (await error.data())[0], grads: await Promise.all(grads.map(async (g) => Array.from(await g.data()))) };
    }, { x, scale, W1, b1, W2, b2, target });

    // Forward, unit by unit, in float64 (the inputs above are what the GPU gets, rounded to float32).
    const f = Math.fround;
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    const xs = x.map((v) => f(v) * f(scale));
    const netHidden = [0, 1].map((j) => xs[0] * f(W1[0][j]) + xs[1] * f(W1[1][j]) + f(b1[j]));
    const h = netHidden.map(sigmoid);
    const netOut = [0, 1].map((k) => h[0] * f(W2[0][k]) + h[1] * f(W2[1][k]) + f(b2[k]));
    const o = netOut.map(sigmoid);
    const E = 0.5 * ((f(target[0]) - o[0]) ** 2 + (f(target[1]) - o[1]) ** 2);

    // Backward. ∂E/∂o_k = o_k − t_k; σ'(net) = σ(net)(1 − σ(net)), so the output deltas are
    // δo_k = ∂E/∂net_o_k = (o_k − t_k)·o_k·(1 − o_k).
    const deltaOut = [0, 1].map((k) => (o[k] - f(target[k])) * o[k] * (1 - o[k]));
    // net_o_k = Σ_j h_j·W2[j][k] + b2_k: ∂E/∂W2[j][k] = h_j·δo_k, ∂E/∂b2_k = δo_k.
    const dW2 = [0, 1].map((j) => [0, 1].map((k) => h[j] * deltaOut[k]));
    const db2 = deltaOut;
    // h_j feeds both output units: ∂E/∂h_j = Σ_k W2[j][k]·δo_k, then δh_j = ∂E/∂h_j · h_j(1 − h_j).
    const dE_dh = [0, 1].map((j) => f(W2[j][0]) * deltaOut[0] + f(W2[j][1]) * deltaOut[1]);
    const deltaHidden = [0, 1].map((j) => dE_dh[j] * h[j] * (1 - h[j]));
    // net_h_j = Σ_i xs_i·W1[i][j] + b1_j: ∂E/∂W1[i][j] = xs_i·δh_j, ∂E/∂b1_j = δh_j.
    const dW1 = [0, 1].map((i) => [0, 1].map((j) => xs[i] * deltaHidden[j]));
    const db1 = deltaHidden;
    // xs_i = scale·x_i feeds both hidden units: ∂E/∂x_i = scale · Σ_j W1[i][j]·δh_j.
    const dx = [0, 1].map((i) => f(scale) * (f(W1[i][0]) * deltaHidden[0] + f(W1[i][1]) * deltaHidden[1]));

    ref.expectClose([out.error], [E], { rtol: 1e-6, atol: 0 }, 'E');
    const expected = [dx, dW1.flat(), db1, dW2.flat(), db2];
    ['x', 'W1', 'b1', 'W2', 'b2'].forEach((name, i) => {
      ref.expectClose(out.grads[i], expected[i], { rtol: 1e-5, atol: 1e-8 }, `dE/d${name}`);
    });
  });
});
