// jax-js (@jax-js/jax) on its WebGPU device, written the way its docs and demos write it:
// numpy-style ops with explicit .ref ownership, jit for fused code, and a jitted training step
// (valueAndGrad plus Adam written out, since the optimizers live in a separate package).
import {
  blockUntilReady,
  defaultDevice,
  getWebGPUDevice,
  init,
  jit,
  nn,
  numpy as np,
  tree,
  valueAndGrad,
} from '../../node_modules/@jax-js/jax/dist/index.js';
import { describeAdapter } from './common.js';
import { transformerLoss } from './jax-transformer.js';

/** A KernelOp over arrays computing compute(...arrays); every call takes new references. */
function kernelOp(arrays, compute) {
  return {
    step: () => compute(...arrays.map((a) => a.ref)),
    settle: (handles) => blockUntilReady(handles),
    read: (result) => result.data(), // data() consumes the array
    release: (result) => result.dispose(),
    dispose: () => arrays.forEach((a) => a.dispose()),
  };
}

const chain = jit((x, y) => nn.relu(x.ref.mul(y.ref).add(x).mul(0.5).sub(y)));

/** The Dense stack's loss: softmax + categorical or sigmoid + binary cross-entropy, from logits. */
function lossFunction(activations, loss) {
  return (params, x, y) => {
    let h = x;
    activations.forEach((activation, l) => {
      const z = np.matmul(h, params[2 * l]).add(params[2 * l + 1]);
      // The last layer's softmax or sigmoid is folded into the loss, as jax code does.
      h = l === activations.length - 1 ? z : nn[activation](z);
    });
    const rows = y.shape[0];
    if (loss === 'categorical') return np.sum(y.mul(nn.logSoftmax(h, -1))).mul(-1 / rows);
    return np.mean(nn.softplus(h.ref).sub(y.mul(h))); // binary cross-entropy of sigmoid(h)
  };
}

/**
 * One Adam step (Keras's form: epsilon added to sqrt(v), bias corrections folded into alpha), under
 * jit unless `compiled` is false (then every op runs as it is called).
 */
function adamStep(lossOf, { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, compiled = true } = {}) {
  const step = (params, m, v, x, y, alpha) => {
    const [loss, grads] = valueAndGrad(lossOf)(tree.ref(params), x, y);
    const nextM = m.map((mi, i) => mi.mul(beta1).add(grads[i].ref.mul(1 - beta1)));
    const nextV = v.map((vi, i) => vi.mul(beta2).add(np.square(grads[i]).mul(1 - beta2)));
    const nextParams = params.map((p, i) => p.sub(nextM[i].ref.mul(alpha.ref).div(np.sqrt(nextV[i].ref).add(epsilon))));
    alpha.dispose();
    return [nextParams, nextM, nextV, loss];
  };
  if (compiled) return jit(step);
  // Outside jit a number has no .ref: alpha becomes a scalar array, as jit makes it.
  const eager = (params, m, v, x, y, alpha) => step(params, m, v, x, y, np.array(alpha));
  return Object.assign(eager, { dispose() {} });
}

/** Adam's step size at iteration t (1-based), its bias corrections folded in. */
const adamAlpha = (learningRate, t) => (learningRate * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);

/** Steps queued before waiting for the device, as jax-js recommends for long loops. */
const STEPS_BETWEEN_WAITS = 100;

export default {
  async init() {
    const devices = await init('webgpu');
    if (!devices.includes('webgpu')) throw new Error(`jax-js could not start its webgpu device (has: ${devices.join(', ')})`);
    defaultDevice('webgpu');
    return { adapter: describeAdapter(getWebGPUDevice().adapterInfo) };
  },

  matmul: (a, b, m, k, n) => kernelOp([np.array(a).reshape([m, k]), np.array(b).reshape([k, n])], (x, y) => np.matmul(x, y)),

  add: (a, b) => kernelOp([np.array(a), np.array(b)], (x, y) => np.add(x, y)),

  chain: (a, b) => kernelOp([np.array(a), np.array(b)], chain),

  async train({ x, y, samples, units, activations, loss, batchSize, learningRate, weights }) {
    const lossOf = lossFunction(activations, loss);
    const step = adamStep(lossOf);
    const evaluate = jit(lossOf);
    let params = weights.map((w) => np.array(w.values).reshape(w.shape));
    let m = weights.map((w) => np.zeros(w.shape));
    let v = weights.map((w) => np.zeros(w.shape));
    const xs = np.array(x).reshape([samples, units[0]]);
    const ys = np.array(y).reshape([samples, units[units.length - 1]]);
    let iterations = 0;
    return {
      async fit(epochs) {
        let epochsRun = 0;
        for (let epoch = 0; epoch < epochs; epoch++) {
          for (let start = 0; start < samples; start += batchSize) {
            const end = Math.min(start + batchSize, samples);
            iterations += 1;
            let stepLoss;
            [params, m, v, stepLoss] = step(params, m, v, xs.ref.slice([start, end]), ys.ref.slice([start, end]), adamAlpha(learningRate, iterations));
            stepLoss.dispose();
            if (iterations % STEPS_BETWEEN_WAITS === 0) await blockUntilReady(params);
          }
          epochsRun += 1;
        }
        await blockUntilReady([params, m, v]);
        return epochsRun;
      },
      async loss() {
        const [value] = await evaluate(tree.ref(params), xs.ref, ys.ref).data();
        return value;
      },
      dispose() {
        tree.dispose([params, m, v, xs, ys]);
        step.dispose();
        evaluate.dispose();
      },
    };
  },

  // The transformer workload's step (bench/libs/jax-transformer.js) from the given weights:
  // valueAndGrad + Adam written out, one jitted step as jax-js code writes it, or (`compiled` false)
  // the same step run op by op. A call queues its batches' steps and reads their losses back once.
  async transformer({ contextLength, learningRate, compiled, weights, ...model }) {
    const step = adamStep(transformerLoss(model), { compiled });
    let params = weights.map((w) => np.array(w.values).reshape(w.shape));
    let m = weights.map((w) => np.zeros(w.shape));
    let v = weights.map((w) => np.zeros(w.shape));
    let iterations = 0;
    const ids = (values) => np.array(values, { dtype: np.int32 }).reshape([values.length / contextLength, contextLength]);
    return {
      async train(batches) {
        const losses = batches.map(({ inputs, targets }) => {
          iterations += 1;
          let loss;
          [params, m, v, loss] = step(params, m, v, ids(inputs), ids(targets), adamAlpha(learningRate, iterations));
          return loss;
        });
        const stacked = np.stack(losses);
        return Array.from(await stacked.data());
      },
      dispose() {
        tree.dispose([params, m, v]);
        step.dispose();
      },
    };
  },
};
