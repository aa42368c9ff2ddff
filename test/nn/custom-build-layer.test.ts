// A custom layer written Keras's way: build(inputShape) makes its weights with this.addWeight(name,
// shape, initializer) and call(x) computes. Checked: build runs once, its output against a float64
// x·W + b from its own weights, training through fit, Keras's parameter count, save / load in a
// Sequential and a functional model, a refused file leaving no tensor behind, addWeight's errors.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';

const gpu = useGpuPage();

describe('a custom layer that builds itself', () => {
  it('builds once, computes, trains, counts, saves and loads; a refused file leaks nothing', async () => {
    const out = await gpu.run(async (wg) => {
      let builds = 0;
      class SimpleDense extends wg.layers.Layer {
        readonly className = 'SimpleDense';
        kernel: Tensor | null = null;
        bias: Tensor | null = null;
        constructor(readonly units: number, args: { name?: string; inputShape?: number[] } = {}) {
          super(args, 'simple_dense');
        }
        override build(inputShape: readonly number[]): void {
          builds += 1;
          this.kernel = this.addWeight('kernel', [inputShape[inputShape.length - 1], this.units], 'glorotUniform');
          this.bias = this.addWeight('bias', [this.units], 'ones');
        }
        computeOutputShape(inputShape: readonly number[]): number[] {
          return [...inputShape.slice(0, -1), this.units];
        }
        call(x: Tensor): Tensor {
          return wg.add(wg.matmul(x, this.kernel as Tensor), this.bias as Tensor);
        }
        getConfig(): Record<string, unknown> {
          return { units: this.units };
        }
      }
      wg.layers.registerLayer('SimpleDense', (config) => new SimpleDense(config.units as number, config));
      wg.setSeed(2);
      const layer = new SimpleDense(3, { name: 'custom' });
      const model = new wg.Sequential([layer, new wg.layers.Dense(1)]);
      const x = wg.randn([6, 4]);
      const y = wg.randn([6, 1]);
      const first = layer.apply(x);
      const again = layer.apply(x);
      layer.build([4]);
      const buildsAfterUse = builds;
      const weights = { kernel: Array.from(await layer.kernel!.data()), bias: Array.from(await layer.bias!.data()) };
      const outputs = { first: Array.from(await first.data()), again: Array.from(await again.data()) };
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
      const history = await model.fit(x, y, { epochs: 3, batchSize: 6, verbose: 0 });
      const trainedKernel = Array.from(await layer.kernel!.data());
      const saved = await model.save();
      const loaded = wg.loadModel(saved);
      const [p, q] = [model.predict(x) as Tensor, loaded.predict(x) as Tensor];
      const inp = wg.input({ shape: [4] });
      const functional = wg.model({ inputs: inp, outputs: new SimpleDense(2, { name: 'head' }).apply(inp) });
      const functionalLoaded = wg.loadModel(await functional.save());
      const [f, g] = [functional.predict(x) as Tensor, functionalLoaded.predict(x) as Tensor];
      // A file whose kernel has the wrong shape: refused before use, the custom layer's weights freed.
      const tensorsBefore = wg.memory().numTensors;
      let refused = 'no error';
      try {
        const broken = { ...saved, modelJson: JSON.parse(JSON.stringify(saved.modelJson)) };
        broken.modelJson.layers[0].config.units = 5;
        wg.loadModel(broken);
      } catch (error) {
        refused = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const leaked = wg.memory().numTensors - tensorsBefore;
      const errors: Record<string, string> = {};
      class Twice extends SimpleDense {
        override build(inputShape: readonly number[]): void {
          super.build(inputShape);
          this.addWeight('kernel', [1], 'zeros');
        }
      }
      for (const [name, attempt] of Object.entries({
        duplicate: () => new Twice(2, { name: 'twice' }).apply(x),
        badShape: () => {
          class Bad extends SimpleDense {
            override build(): void {
              this.addWeight('w', [0, 2]);
            }
          }
          return new Bad(2, { name: 'bad' }).apply(x);
        },
      })) {
        try {
          attempt();
          errors[name] = 'no error';
        } catch (error) {
          errors[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      const result = {
        buildsAfterUse, weights, outputs, x: Array.from(await x.data()), losses: history.history.loss as number[],
        trainedKernel, params: model.countParams(), summary: model.summary(),
        predicted: Array.from(await p.data()), reloaded: Array.from(await q.data()),
        functional: Array.from(await f.data()), functionalReloaded: Array.from(await g.data()),
        refused, leaked, errors,
      };
      [x, y, first, again, p, q, f, g].forEach((t) => t.dispose());
      [model, loaded, functional, functionalLoaded].forEach((m) => m.dispose());
      return result;
    });
    // Two applies and a direct build(): the layer's own build ran once.
    expect(out.buildsAfterUse).toBe(1);
    // x·W + b in float64 from the layer's own weights: float32 sums of 4 products, ~1e-7.
    const reference: number[] = [];
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 3; j++) {
        let sum = out.weights.bias[j];
        for (let k = 0; k < 4; k++) sum += out.x[i * 4 + k] * out.weights.kernel[k * 3 + j];
        reference.push(sum);
      }
    }
    expectClose(out.outputs.first, reference, { rtol: 1e-6, atol: 1e-6 }, 'output');
    expect(out.outputs.again).toEqual(out.outputs.first);
    expect(out.weights.bias).toEqual([1, 1, 1]);
    // fit trains the custom weights (the tape differentiates call) and the loss falls.
    expect(out.trainedKernel).not.toEqual(out.weights.kernel);
    expect(out.losses[2]).toBeLessThan(out.losses[0]);
    // Keras's count: 4·3 + 3 for the custom layer, 3 + 1 for the Dense.
    expect(out.params).toBe(15 + 4);
    expect(out.summary).toMatch(/custom \(SimpleDense\)\s+\(None, 3\)\s+15/);
    expect(out.reloaded).toEqual(out.predicted);
    expect(out.functionalReloaded).toEqual(out.functional);
    expect(out.refused).toMatch(/^ModelFormatError: /);
    expect(out.leaked).toBe(0);
    expect(out.errors.duplicate).toMatch(/ValueError: twice: addWeight needs a new, non-empty weight name, got "kernel" \(already a weight of this layer\)/);
    expect(out.errors.badShape).toMatch(/ValueError: bad: addWeight\('w'\) needs a shape of positive integers, got \[0,2\]/);
  });
});
