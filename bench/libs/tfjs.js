// TensorFlow.js 4.22 on its WebGPU backend (@tensorflow/tfjs-backend-webgpu), loaded as the UMD
// bundles that define window.tf; training through tf.sequential + model.fit, its idiomatic path.
import { describeAdapter, loadScript } from './common.js';

let tf;

/** A KernelOp over tensors computing compute(...tensors). */
function kernelOp(tensors, compute) {
  return {
    step: () => compute(...tensors),
    // TF.js runs its queue in order: reading the last result also waits for the earlier ones.
    settle: async () => {},
    async read(result) {
      const values = await result.data();
      result.dispose();
      return values;
    },
    release: (result) => result.dispose(),
    dispose: () => tensors.forEach((t) => t.dispose()),
  };
}

export default {
  async init() {
    await loadScript('/node_modules/@tensorflow/tfjs/dist/tf.min.js');
    await loadScript('/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js');
    tf = window.tf;
    if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its webgpu backend');
    await tf.ready();
    return { adapter: describeAdapter(tf.backend().device.adapterInfo) };
  },

  matmul: (a, b, m, k, n) => kernelOp([tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])], (x, y) => tf.matMul(x, y)),

  add: (a, b) => kernelOp([tf.tensor1d(a), tf.tensor1d(b)], (x, y) => tf.add(x, y)),

  chain: (a, b) => kernelOp([tf.tensor1d(a), tf.tensor1d(b)], (x, y) => tf.tidy(() => tf.relu(tf.sub(tf.mul(tf.add(tf.mul(x, y), x), 0.5), y)))),

  async train({ x, y, samples, units, activations, loss, batchSize, learningRate, weights }) {
    const model = tf.sequential();
    activations.forEach((activation, l) => {
      model.add(tf.layers.dense({ units: units[l + 1], activation, ...(l === 0 ? { inputShape: [units[0]] } : {}) }));
    });
    model.compile({ optimizer: tf.train.adam(learningRate), loss: `${loss}Crossentropy` });
    const initial = weights.map((w) => tf.tensor(w.values, w.shape));
    model.setWeights(initial);
    initial.forEach((t) => t.dispose());
    const xs = tf.tensor2d(x, [samples, units[0]]);
    const ys = tf.tensor2d(y, [samples, units[units.length - 1]]);
    return {
      fit: async (epochs) => (await model.fit(xs, ys, { epochs, batchSize, shuffle: false, verbose: 0 })).epoch.length,
      async loss() {
        const result = model.evaluate(xs, ys, { batchSize: 512 });
        const [value] = await result.data();
        result.dispose();
        return value;
      },
      dispose: () => [model, xs, ys].forEach((item) => item.dispose()),
    };
  },
};
