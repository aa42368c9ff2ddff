// webgrad through its public API, as the README shows it: tensors, ops, Sequential + fit. Made
// from a loaded bundle, so the same adapter serves the benchmark page (bench/libs/webgrad.js) and
// `npm run bench -- --node` (webgrad in Node, `initOptions` carrying Dawn's GPU object).
import { describeAdapter } from './common.js';

/** A KernelOp over tensors a and b computing compute(a, b). */
function kernelOp(wg, tensors, compute) {
  return {
    step: () => compute(...tensors),
    settle: () => wg.synchronize(),
    async read(result) {
      const values = await result.data();
      result.dispose();
      return values;
    },
    release: (result) => result.dispose(),
    dispose: () => tensors.forEach((t) => t.dispose()),
  };
}

/** The adapter (see bench/page.js for the contract) over the webgrad module `wg`. */
export function webgradAdapter(wg, initOptions = {}) {
  return {
    async init() {
      await wg.init(initOptions);
      return { adapter: describeAdapter(wg.getAdapterInfo()) };
    },

    matmul: (a, b, m, k, n) => kernelOp(wg, [wg.tensor(a, [m, k]), wg.tensor(b, [k, n])], (x, y) => wg.matmul(x, y)),

    add: (a, b) => kernelOp(wg, [wg.tensor(a), wg.tensor(b)], (x, y) => wg.add(x, y)),

    // Under wg.jit, webgrad's idiomatic path for a repeated computation: one fused kernel.
    chain: (a, b) => kernelOp(wg, [wg.tensor(a), wg.tensor(b)], wg.jit((x, y) => wg.relu(wg.sub(wg.mul(wg.add(wg.mul(x, y), x), 0.5), y)))),

    async train({ x, y, samples, units, activations, loss, batchSize, learningRate, weights }) {
      const layers = activations.map((activation, l) => new wg.layers.Dense(units[l + 1], { activation, ...(l === 0 ? { inputShape: [units[0]] } : {}) }));
      const model = new wg.Sequential(layers);
      model.compile({ optimizer: new wg.optimizers.Adam({ learningRate }), loss: `${loss}_crossentropy` });
      const initial = weights.map((w) => wg.tensor(w.values, w.shape));
      model.setWeights(initial);
      initial.forEach((t) => t.dispose());
      const xs = wg.tensor(x, [samples, units[0]]);
      const ys = wg.tensor(y, [samples, units[units.length - 1]]);
      return {
        fit: async (epochs) => (await model.fit(xs, ys, { epochs, batchSize, shuffle: false, verbose: 0 })).epoch.length,
        loss: async () => (await model.evaluate(xs, ys, { batchSize: 512 })).loss,
        dispose: () => [model, xs, ys].forEach((item) => item.dispose()),
      };
    },

    // The same Dense stack trained by a hand-written loop, as jax-js's adapter does: valueAndGrad +
    // Adam.applyGradients compiled by wg.jit into one program per step; the last layer's softmax or
    // sigmoid folded into the loss, which is computed from logits.
    async trainLoop({ x, y, samples, units, activations, loss, batchSize, learningRate, weights }) {
      const params = weights.map((w) => wg.variable(wg.tensor(w.values, w.shape)));
      const optimizer = new wg.optimizers.Adam({ learningRate });
      const lossOf = (xb, yb, ...p) => {
        let h = xb;
        activations.forEach((activation, l) => {
          const z = wg.add(wg.matmul(h, p[2 * l]), p[2 * l + 1]);
          h = l < activations.length - 1 ? wg[activation](z) : z;
        });
        return loss === 'categorical'
          ? wg.mean(wg.neg(wg.sum(wg.mul(yb, wg.logSoftmax(h, -1)), -1)))
          : wg.mean(wg.add(wg.sub(wg.maximum(h, 0), wg.mul(h, yb)), wg.softplus(wg.neg(wg.abs(h)))));
      };
      const step = wg.jit((xb, yb) => {
        const { value, grads } = wg.valueAndGrad((...p) => lossOf(xb, yb, ...p))(...params);
        optimizer.applyGradients(params, grads);
        return value;
      });
      const xs = wg.tensor(x, [samples, units[0]]);
      const ys = wg.tensor(y, [samples, units[units.length - 1]]);
      return {
        async fit(epochs) {
          for (let epoch = 0; epoch < epochs; epoch++) {
            for (let start = 0; start < samples; start += batchSize) {
              const size = Math.min(batchSize, samples - start);
              const [xb, yb] = [xs, ys].map((t) => wg.slice(t, [start, 0], [size, -1]));
              step(xb, yb).dispose();
              xb.dispose();
              yb.dispose();
            }
          }
          await wg.synchronize();
          return epochs;
        },
        loss: async () => {
          const value = wg.noGrad(() => lossOf(xs, ys, ...params));
          const [result] = await value.data();
          value.dispose();
          return result;
        },
        dispose: () => [...params, xs, ys].forEach((item) => item.dispose()),
      };
    },
  };
}
