// Functional models (wg.input, layer.apply, wg.model): a residual MLP and a two-input, two-output
// model with a shared layer, checked against float64 forward passes of their own weights, one
// training step replayed in float64 (central-difference gradients), Keras's parameter counts and
// log names, the summary's "Connected to" column, and the errors for graphs and data that do not fit.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';
import { matrix } from './dense-reference';
import { meanSquaredError, numericGradients, residualForward, sparseCrossentropy, twoInputForward } from './functional-reference';

const gpu = useGpuPage();

/** Keras's count for Dense: a kernel [in, units] plus a bias [units]. */
const denseParams = (inputs: number, units: number): number => inputs * units + units;

describe('functional models', () => {
  it('a residual MLP predicts as a float64 pass of its weights, and one fit step matches a float64 SGD replay', async () => {
    const n = 6;
    const learningRate = 0.1;
    const out = await gpu.run(async (wg, { n, learningRate }) => {
      wg.setSeed(5);
      const { Dense, Add } = wg.layers;
      const x = wg.input({ shape: [3] });
      const h = new Dense(5, { activation: 'relu', biasInitializer: 'ones' }).apply(x);
      const r = new Dense(3).apply(h);
      const output = new Dense(2).apply(new Add().apply([x, r]));
      const model = wg.model({ inputs: x, outputs: output });
      const data = wg.randn([n, 3]);
      const target = wg.randn([n, 2]);
      const prediction = model.predict(data) as Tensor;
      const before = model.getWeights();
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate }), loss: 'mse' });
      // One batch of all samples, unshuffled: exactly one SGD step.
      const history = await model.fit(data, target, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
      const after = model.getWeights();
      const result = {
        x: await data.data(),
        target: await target.data(),
        prediction: await prediction.data(),
        before: await Promise.all(before.map((w) => w.data())),
        after: await Promise.all(after.map((w) => w.data())),
        loss: history.history.loss[0],
        countParams: model.countParams(),
        layerTypes: model.layers.map((layer) => layer.className),
      };
      [data, target, prediction, ...before, ...after].forEach((t) => t.dispose());
      model.dispose();
      return result;
    }, { n, learningRate });
    expect(out.layerTypes).toEqual(['InputLayer', 'Dense', 'Dense', 'Add', 'Dense']);
    expect(out.countParams).toBe(denseParams(3, 5) + denseParams(5, 3) + denseParams(3, 2));
    const x = matrix(n, 3, out.x);
    // float32 through three small Dense layers and an add: a few ulps per op.
    expectClose(out.prediction, residualForward(x, out.before).data, { rtol: 1e-5, atol: 1e-6 }, 'residual prediction');
    const loss = (w: readonly ArrayLike<number>[]): number => meanSquaredError(residualForward(x, w), out.target);
    expect(out.loss).toBeCloseTo(loss(out.before), 5);
    const gradients = numericGradients(out.before, loss);
    out.after.forEach((values, i) => {
      const expected = Float64Array.from(out.before[i], (w, j) => w - learningRate * gradients[i][j]);
      // Updated weights are float32 values of order 1 after one step: 1e-5 covers float32 rounding of the gradient.
      expectClose(values, expected, { rtol: 1e-5, atol: 1e-5 }, `weight ${i} after one step`);
    });
  });

  it('two inputs, a shared layer, Concatenate and Multiply: predictions, a step with a loss per output, Keras log names', async () => {
    const n = 5;
    const learningRate = 0.05;
    const out = await gpu.run(async (wg, { n, learningRate }) => {
      wg.setSeed(8);
      const { Dense, Concatenate, Multiply } = wg.layers;
      const a = wg.input({ shape: [3], name: 'a' });
      const b = wg.input({ shape: [3], name: 'b' });
      const shared = new Dense(4, { activation: 'tanh', biasInitializer: 'ones', name: 'shared' });
      const sa = shared.apply(a);
      const sb = shared.apply(b);
      const reg = new Dense(1, { name: 'reg' }).apply(new Concatenate({ axis: -1, name: 'joined' }).apply([sa, sb]));
      const cls = new Dense(2, { activation: 'softmax', name: 'cls' }).apply(new Multiply({ name: 'product' }).apply([sa, sb]));
      const model = wg.model({ inputs: [a, b], outputs: [reg, cls], name: 'two_input' });
      const xa = wg.randn([n, 3]);
      const xb = wg.randn([n, 3]);
      const yReg = wg.randn([n, 1]);
      const yCls = wg.tensor([0, 1, 1, 0, 1], [n, 1]);
      const [predReg, predCls] = model.predict([xa, xb]) as Tensor[];
      const before = model.getWeights();
      model.compile({
        optimizer: new wg.optimizers.SGD({ learningRate }),
        loss: { cls: 'sparse_categorical_crossentropy', reg: 'mse' },
        metrics: { reg: [], cls: ['accuracy'] },
      });
      const logs = await model.trainOnBatch({ a: xa, b: xb }, [yReg, yCls]);
      const after = model.getWeights();
      const result = {
        xa: await xa.data(), xb: await xb.data(), yReg: await yReg.data(), yCls: await yCls.data(),
        predReg: await predReg.data(), predCls: await predCls.data(),
        before: await Promise.all(before.map((w) => w.data())),
        after: await Promise.all(after.map((w) => w.data())),
        logs,
        weightNames: model.namedWeights().map(({ name }) => name),
        countParams: model.countParams(),
        summary: model.summary(),
      };
      [xa, xb, yReg, yCls, predReg, predCls, ...before, ...after].forEach((t) => t.dispose());
      model.dispose();
      return result;
    }, { n, learningRate });
    // The shared layer's weights exist once (Keras counts them once); named by class within the model, as save() names them.
    expect(out.weightNames).toEqual(['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias']);
    expect(out.countParams).toBe(denseParams(3, 4) + denseParams(8, 1) + denseParams(4, 2));
    const a = matrix(n, 3, out.xa);
    const b = matrix(n, 3, out.xb);
    const forward = twoInputForward(a, b, out.before);
    expectClose(out.predReg, forward.reg.data, { rtol: 1e-5, atol: 1e-6 }, 'reg output');
    expectClose(out.predCls, forward.cls.data, { rtol: 1e-5, atol: 1e-6 }, 'cls output');
    // Keras 3's log names for several outputs (loss, <output>_loss, <output>_<metric>), in the order webgrad documents.
    expect(Object.keys(out.logs)).toEqual(['loss', 'reg_loss', 'cls_loss', 'cls_accuracy']);
    const regLoss = meanSquaredError(forward.reg, out.yReg);
    const clsLoss = sparseCrossentropy(forward.cls, out.yCls);
    expect(out.logs.reg_loss).toBeCloseTo(regLoss, 5);
    expect(out.logs.cls_loss).toBeCloseTo(clsLoss, 5);
    expect(out.logs.loss).toBeCloseTo(regLoss + clsLoss, 5);
    const predictedClass = Array.from({ length: n }, (_, r) => (forward.cls.data[2 * r + 1] > forward.cls.data[2 * r] ? 1 : 0));
    expect(out.logs.cls_accuracy).toBeCloseTo(predictedClass.filter((c, r) => c === out.yCls[r]).length / n, 6);
    const total = (w: readonly ArrayLike<number>[]): number => {
      const f = twoInputForward(a, b, w);
      return meanSquaredError(f.reg, out.yReg) + sparseCrossentropy(f.cls, out.yCls);
    };
    const gradients = numericGradients(out.before, total);
    out.after.forEach((values, i) => {
      const expected = Float64Array.from(out.before[i], (w, j) => w - learningRate * gradients[i][j]);
      // The shared kernel's gradient sums both applications' contributions; float32 rounding stays under 1e-5.
      expectClose(values, expected, { rtol: 1e-5, atol: 1e-5 }, `weight ${i} after one step`);
    });
    // Summary rows: Keras's parameter counts and "Connected to" as layer[node][0] (the shared layer lists both nodes).
    const rows = out.summary.split('\n').filter((line) => /\(\w+\)/.test(line) && !line.startsWith('Layer'));
    const cells = rows.map((line) => line.trim().split(/\s{2,}/));
    expect(cells).toEqual([
      ['a (InputLayer)', '(None, 3)', '0', '-'],
      ['shared (Dense)', '(None, 4)', String(denseParams(3, 4)), 'a[0][0], b[0][0]'],
      ['b (InputLayer)', '(None, 3)', '0', '-'],
      ['joined (Concatenate)', '(None, 8)', '0', 'shared[0][0], shared[1][0]'],
      ['reg (Dense)', '(None, 1)', String(denseParams(8, 1)), 'joined[0][0]'],
      ['product (Multiply)', '(None, 4)', '0', 'shared[0][0], shared[1][0]'],
      ['cls (Dense)', '(None, 2)', String(denseParams(4, 2)), 'product[0][0]'],
    ]);
    expect(out.summary).toMatch(/^Total params: 35$/m);
    expect(out.summary).toMatch(/^Trainable params: 35$/m);
  });

  it('fit with validationSplit and lossWeights on two inputs logs val_ values per output equal to a float64 pass of the final weights; batched predict concatenates per output', async () => {
    const n = 5;
    const out = await gpu.run(async (wg, { n }) => {
      wg.setSeed(13);
      const { Dense, Concatenate, Multiply } = wg.layers;
      const a = wg.input({ shape: [3], name: 'a' });
      const b = wg.input({ shape: [3], name: 'b' });
      const shared = new Dense(4, { activation: 'tanh', name: 'shared' });
      const sa = shared.apply(a);
      const sb = shared.apply(b);
      const reg = new Dense(1, { name: 'reg' }).apply(new Concatenate().apply([sa, sb]));
      const cls = new Dense(2, { activation: 'softmax', name: 'cls' }).apply(new Multiply().apply([sa, sb]));
      const model = wg.model({ inputs: [a, b], outputs: [reg, cls] });
      model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.01 }), loss: ['mse', 'sparse_categorical_crossentropy'], metrics: [[], ['accuracy']], lossWeights: [1, 0.5] });
      const xa = wg.randn([n, 3]);
      const xb = wg.randn([n, 3]);
      const yReg = wg.randn([n, 1]);
      const yCls = wg.tensor([1, 0, 1, 1, 0], [n, 1]);
      const history = await model.fit({ a: xa, b: xb }, { reg: yReg, cls: yCls }, { epochs: 2, batchSize: 2, validationSplit: 0.4, verbose: 0 });
      const weights = model.getWeights();
      const [batchedReg, batchedCls] = model.predict([xa, xb], { batchSize: 2 }) as Tensor[];
      const result = {
        xa: await xa.data(), xb: await xb.data(), yReg: await yReg.data(), yCls: await yCls.data(),
        weights: await Promise.all(weights.map((w) => w.data())),
        history: history.history,
        batchedReg: await batchedReg.data(),
        batchedCls: await batchedCls.data(),
      };
      [xa, xb, yReg, yCls, batchedReg, batchedCls, ...weights].forEach((t) => t.dispose());
      model.dispose();
      return result;
    }, { n });
    expect(Object.keys(out.history)).toEqual(['loss', 'reg_loss', 'cls_loss', 'cls_accuracy', 'val_loss', 'val_reg_loss', 'val_cls_loss', 'val_cls_accuracy']);
    // Keras's validationSplit holds out the last floor-complement rows: 5 · 0.4 → rows 3 and 4.
    const rows = (values: ArrayLike<number>, cols: number, from: number, to: number) => matrix(to - from, cols, Array.from(values).slice(from * cols, to * cols));
    const held = twoInputForward(rows(out.xa, 3, 3, 5), rows(out.xb, 3, 3, 5), out.weights);
    const regLoss = meanSquaredError(held.reg, Array.from(out.yReg).slice(3));
    const clsLoss = sparseCrossentropy(held.cls, Array.from(out.yCls).slice(3));
    expect(out.history.val_reg_loss[1]).toBeCloseTo(regLoss, 5);
    expect(out.history.val_cls_loss[1]).toBeCloseTo(clsLoss, 5);
    // Keras's loss_weights weigh the total; each output's own loss is logged unweighted.
    expect(out.history.val_loss[1]).toBeCloseTo(regLoss + 0.5 * clsLoss, 5);
    const all = twoInputForward(matrix(n, 3, out.xa), matrix(n, 3, out.xb), out.weights);
    expectClose(out.batchedReg, all.reg.data, { rtol: 1e-5, atol: 1e-6 }, 'batched reg');
    expectClose(out.batchedCls, all.cls.data, { rtol: 1e-5, atol: 1e-6 }, 'batched cls');
  });

  it('graphs and data that do not fit fail with typed errors naming the layer and shapes', async () => {
    const errors = await gpu.run(async (wg) => {
      const { Dense, Add, Concatenate } = wg.layers;
      const cases: Record<string, () => unknown> = {
        addOneInput: () => new Add().apply(wg.input({ shape: [3] })),
        concatMismatch: () => new Concatenate({ axis: -1 }).apply([wg.input({ shape: [2, 3] }), wg.input({ shape: [4, 3] })]),
        concatBatchAxis: () => new Concatenate({ axis: 0 }).apply([wg.input({ shape: [3] }), wg.input({ shape: [3] })]),
        addShapes: () => new Add().apply([wg.input({ shape: [3] }), wg.input({ shape: [4] })]),
        sharedOtherShape: () => {
          const layer = new Dense(2, { name: 'reused' });
          layer.apply(wg.input({ shape: [3] }));
          return layer.apply(wg.input({ shape: [5] }));
        },
        disconnected: () => {
          const a = wg.input({ shape: [3], name: 'first' });
          const b = wg.input({ shape: [3], name: 'second' });
          return wg.model({ inputs: a, outputs: new Add().apply([a, b]) });
        },
        notAnInput: () => {
          const a = wg.input({ shape: [3] });
          return wg.model({ inputs: new Dense(2, { name: 'hidden' }).apply(a), outputs: a });
        },
        mixed: () => new Add().apply([wg.input({ shape: [3] }), wg.zeros([1, 3])] as never),
        badInputShape: () => wg.input({ shape: [0, 2] }),
      };
      const a = wg.input({ shape: [3], name: 'left' });
      const b = wg.input({ shape: [2], name: 'right' });
      const out = new Dense(1, { name: 'out' }).apply(new Concatenate().apply([a, b]));
      const model = wg.model({ inputs: [a, b], outputs: out });
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      const asyncCases: Record<string, () => Promise<unknown>> = {
        fitOneArray: () => model.fit(wg.zeros([4, 3]), wg.zeros([4, 1]), { verbose: 0 }),
        fitWrongShape: () => model.fit([wg.zeros([4, 3]), wg.zeros([4, 3])], wg.zeros([4, 1]), { verbose: 0 }),
        fitSampleMismatch: () => model.fit([wg.zeros([4, 3]), wg.zeros([5, 2])], wg.zeros([4, 1]), { verbose: 0 }),
        fitUnknownName: () => model.fit({ left: wg.zeros([4, 3]), middle: wg.zeros([4, 2]) }, wg.zeros([4, 1]), { verbose: 0 }),
        // Symbolic tensors nest the model as a layer (test/nn/nested-models.test.ts); a mix is refused.
        applyMixed: async () => model.apply([wg.input({ shape: [3] }), wg.zeros([4, 2])] as never),
        compileUnknownOutput: async () => model.compile({ optimizer: 'sgd', loss: { other: 'mse' } }),
        compileFlatMetricsTwoOutputs: async () => {
          const x = wg.input({ shape: [2] });
          const two = wg.model({ inputs: x, outputs: [new Dense(1, { name: 'p' }).apply(x), new Dense(1, { name: 'q' }).apply(x)] });
          return two.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae', 'mse'] });
        },
      };
      const messages: Record<string, string> = {};
      for (const [name, run] of [...Object.entries(cases), ...Object.entries(asyncCases)]) {
        try {
          await run();
          messages[name] = 'no error';
        } catch (error) {
          messages[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      // The failed calls left the model usable.
      const logs = await model.evaluate([wg.ones([2, 3]), wg.ones([2, 2])], wg.zeros([2, 1]));
      messages.evaluateAfter = Number.isFinite(logs.loss) ? 'finite' : String(logs.loss);
      model.dispose();
      return messages;
    });
    expect(errors.addOneInput).toMatch(/^ValueError: add\S*: a Add layer takes a list of at least 2 inputs/);
    expect(errors.concatMismatch).toMatch(/^ShapeError: concatenate\S*: Concatenate on axis -1 needs inputs matching on every other axis, got \(None, 2, 3\), \(None, 4, 3\)/);
    expect(errors.concatBatchAxis).toMatch(/^ShapeError: concatenate\S*: Concatenate on axis 0 needs .* past the batch axis/);
    expect(errors.addShapes).toMatch(/^ShapeError: add\S*: shapes \[3\] and \[4\] cannot be broadcast together/);
    expect(errors.sharedOtherShape).toMatch(/^ValueError: reused: already built for input \[3\], cannot take \[5\]/);
    expect(errors.disconnected).toMatch(/^ValueError: .*graph disconnected: .*'second'.*\(first\)/);
    expect(errors.notAnInput).toMatch(/^ValueError: .*inputs must come from wg\.input\(\), but 'hidden' is the output of a Dense layer/);
    expect(errors.mixed).toMatch(/^ValueError: add\S*: apply takes all symbolic tensors .* or all real tensors/);
    expect(errors.badInputShape).toMatch(/^ValueError: input: shape must be an array of positive integers/);
    expect(errors.fitOneArray).toMatch(/^ValueError: fit: x must be a list of 2 arrays \(one per input: left, right\)/);
    expect(errors.fitWrongShape).toMatch(/^ShapeError: fit: input 'right' expects shape \[batch,2\], got \[4,3\]/);
    expect(errors.fitSampleMismatch).toMatch(/^ShapeError: fit: x\[0\] has 4 samples \[4,3\] but x\[1\] has 5 \[5,2\]/);
    expect(errors.fitUnknownName).toMatch(/^ValueError: fit: x names input 'middle'; the inputs are left, right/);
    expect(errors.compileUnknownOutput).toMatch(/^ValueError: compile: loss names output "other"; the outputs are out/);
    expect(errors.compileFlatMetricsTwoOutputs).toMatch(/^ValueError: compile: metrics for output 'p' must be a list, got "mae"/);
    expect(errors.applyMixed).toMatch(/^ValueError: apply: .* takes real tensors, or symbolic tensors \(to use the model as a layer\), not a mix/);
    expect(errors.evaluateAfter).toBe('finite');
  });
});
