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

    /**
     * One run of `run` (`steps` steps): its dispatches per step (wg.commandStats, as wg.profile
     * counts them) and its JavaScript time per step, from the run's start to its last submit before
     * it first waits on the GPU (a readback or wg.synchronize). webgrad submits a run's work at that
     * wait, so until then the time is webgrad's JavaScript encoding it (and the submit itself).
     */
    async profile(run, steps) {
      await wg.synchronize();
      const device = wg.getDevice();
      const { queue } = device;
      const probe = device.createBuffer({ size: 4, usage: 1 | 8 }); // MAP_READ | COPY_DST
      const bufferPrototype = Object.getPrototypeOf(probe);
      probe.destroy();
      const { submit, onSubmittedWorkDone } = queue;
      const { mapAsync } = bufferPrototype;
      let waiting = false;
      let submittedAt = null;
      const waits = (wait) => function (...args) {
        waiting = true;
        return wait.apply(this, args);
      };
      queue.submit = function (...args) {
        if (!waiting) submittedAt = performance.now();
        return submit.apply(this, args);
      };
      queue.onSubmittedWorkDone = waits(onSubmittedWorkDone);
      bufferPrototype.mapAsync = waits(mapAsync);
      const dispatches = wg.commandStats().dispatches;
      const start = performance.now();
      try {
        await run();
      } finally {
        delete queue.submit;
        delete queue.onSubmittedWorkDone;
        bufferPrototype.mapAsync = mapAsync;
      }
      return {
        dispatchesPerStep: (wg.commandStats().dispatches - dispatches) / steps,
        jsMsPerStep: submittedAt === null ? null : (submittedAt - start) / steps,
      };
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

    // The text demo's training step (demos/text/char-model.js: buildCharTransformer and
    // eagerTrainStep / trainStep, the same layers and loss, built here from this bundle's wg):
    // token ids [batch, T] -> embeddings + positions -> causal TransformerBlocks -> LayerNorm ->
    // Dense logits, sparse cross-entropy from logits, Adam; eagerly or as one wg.jit program.
    // `weights` (bench/inputs.js transformerWeights) replace the layers' own initial values.
    async transformer({ vocabularySize, contextLength, dim, heads, layers, ffDim, learningRate, seed, compiled, weights }) {
      wg.setSeed(seed);
      const model = new wg.Sequential([
        new wg.layers.Embedding(vocabularySize, dim, { inputShape: [contextLength] }),
        new wg.layers.PositionalEmbedding(contextLength, dim),
        ...Array.from({ length: layers }, () => new wg.layers.TransformerBlock({ numHeads: heads, keyDim: dim / heads, ffDim, causal: true })),
        new wg.layers.LayerNormalization({ epsilon: 1e-5 }),
        new wg.layers.Dense(vocabularySize),
      ]);
      model.build([contextLength]);
      const names = model.namedWeights().map((weight) => weight.name);
      const misnamed = weights.findIndex((weight, i) => weight.name !== names[i]);
      if (misnamed >= 0 || names.length !== weights.length) throw new Error(`the transformer's weights are ${names.join(', ')}; bench/inputs.js gives ${weights.map((w) => w.name).join(', ')}`);
      const initial = weights.map((w) => wg.tensor(w.values, w.shape));
      model.setWeights(initial);
      initial.forEach((t) => t.dispose());
      const optimizer = new wg.optimizers.Adam({ learningRate });
      const eagerStep = (x, y) => wg.tidy(() => {
        const params = model.trainableWeights;
        const tape = new wg.Tape();
        const loss = tape.record(() => wg.losses.sparseCategoricalCrossentropy(y, model.apply(x, { training: true }), { fromLogits: true }));
        optimizer.applyGradients(params, tape.gradient(loss, params));
        return loss;
      });
      const step = compiled ? wg.jit(eagerStep, { name: 'transformerStep' }) : eagerStep;
      return {
        // Queues a step per batch and reads their losses back once, at the end.
        async train(batches) {
          const losses = batches.map(({ inputs, targets }) => {
            const [x, y] = [inputs, targets].map((ids) => wg.tensor(ids, [ids.length / contextLength, contextLength], 'int32'));
            const loss = step(x, y);
            x.dispose();
            y.dispose();
            return loss;
          });
          const stacked = wg.tidy(() => wg.concat(losses.map((loss) => loss.reshape([1])), 0));
          losses.forEach((loss) => loss.dispose());
          const values = Array.from(await stacked.data());
          stacked.dispose();
          return values;
        },
        dispose: () => {
          if (compiled) step.dispose();
          model.dispose();
          optimizer.dispose();
        },
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
