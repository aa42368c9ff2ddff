// Functional models through save / loadModel: a graph with two inputs, a shared layer, Add,
// Concatenate and a registered custom layer comes back with bit-identical predictions and the same
// summary; graph JSON that does not describe a valid graph (unknown references, cycles, wrong
// arity, shapes a shared layer cannot take) is refused with a ModelFormatError before any tensor
// is made.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

describe('functional save / load', () => {
  it('round-trips a two-input graph with a shared and a custom layer; hostile graph JSON gives ModelFormatError and allocates nothing', async () => {
    const out = await gpu.run(async (wg) => {
      // The README's custom layer: one trainable scale per feature.
      class Scale extends wg.layers.Layer {
        readonly className = 'Scale';
        constructor(args: { name?: string } = {}) {
          super(args, 'scale');
        }
        computeOutputShape(inputShape: readonly number[]): number[] {
          return [...inputShape];
        }
        override weightSpecs(inputShape: readonly number[]) {
          return [{ name: 'gamma', shape: [inputShape[inputShape.length - 1]], initializer: wg.getInitializer('ones'), trainable: true }];
        }
        call(x: Tensor): Tensor {
          return wg.mul(x, this.weights.get('gamma') as Tensor);
        }
        getConfig(): Record<string, unknown> {
          return {};
        }
      }
      wg.layers.registerLayer('Scale', (config) => new Scale(config));
      wg.setSeed(21);
      const { Dense, Add, Concatenate } = wg.layers;
      const a = wg.input({ shape: [4], name: 'a' });
      const b = wg.input({ shape: [4], name: 'b' });
      const shared = new Dense(4, { activation: 'tanh', name: 'shared' });
      const sum = new Add({ name: 'residual' }).apply([a, shared.apply(a)]);
      const joined = new Concatenate({ name: 'joined' }).apply([sum, new Scale({ name: 'scaled' }).apply(shared.apply(b))]);
      const model = wg.model({ inputs: [a, b], outputs: new Dense(2, { name: 'head' }).apply(joined), name: 'saved_graph' });
      const initial = model.getWeights();
      const randomized = initial.map((w) => wg.randn(w.shape));
      model.setWeights(randomized);
      const xa = wg.randn([3, 4]);
      const xb = wg.randn([3, 4]);
      const before = model.predict([xa, xb]) as Tensor;
      const saved = await model.save();
      // Through JSON text, as a file would be.
      const modelJson = JSON.parse(JSON.stringify(saved.modelJson)) as typeof saved.modelJson;
      const loaded = wg.loadModel({ modelJson, weights: saved.weights });
      const after = loaded.predict([xa, xb]) as Tensor;
      const result = {
        before: Array.from(await before.data()),
        after: Array.from(await after.data()),
        summaries: [model.summary(), loaded.summary()],
        loadedTypes: loaded.layers.map((layer) => layer.className),
        weightNames: modelJson.weights.map((w) => w.name),
        hostile: {} as Record<string, string>,
        leaked: 0,
      };
      const edit = (change: (json: Record<string, unknown>, layers: Record<string, unknown>[]) => void) => {
        const json = JSON.parse(JSON.stringify(saved.modelJson)) as Record<string, unknown>;
        change(json, json.layers as Record<string, unknown>[]);
        return json;
      };
      const find = (layers: Record<string, unknown>[], name: string) => layers.find((l) => (l.config as { name: string }).name === name) as Record<string, unknown>;
      const cases: Record<string, Record<string, unknown>> = {
        unknownRef: edit((_, layers) => { find(layers, 'head').inboundNodes = [[['nowhere', 0, 0]]]; }),
        nodeOutOfRange: edit((_, layers) => { find(layers, 'joined').inboundNodes = [[['residual', 0, 0], ['scaled', 3, 0]]]; }),
        cycle: edit((_, layers) => { find(layers, 'shared').inboundNodes = [[['a', 0, 0]], [['head', 0, 0]]]; }),
        addOneInput: edit((_, layers) => { find(layers, 'residual').inboundNodes = [[['a', 0, 0]]]; }),
        denseTwoInputs: edit((_, layers) => { find(layers, 'head').inboundNodes = [[['joined', 0, 0], ['joined', 0, 0]]]; }),
        sharedOtherShape: edit((_, layers) => { (find(layers, 'b').config as { shape: number[] }).shape = [5]; }),
        inputNotInputLayer: edit((json) => { json.inputLayers = [['a', 0, 0], ['shared', 0, 0]]; }),
        inputWithNodes: edit((_, layers) => { find(layers, 'a').inboundNodes = [[['b', 0, 0]]]; }),
        badRef: edit((json) => { json.outputLayers = [['head', 0, -1]]; }),
        missingOutput: edit((json) => { json.outputLayers = [['head', 0, 1]]; }),
        duplicateName: edit((_, layers) => { (find(layers, 'scaled').config as { name: string }).name = 'joined'; }),
        unknownClass: edit((_, layers) => { find(layers, 'scaled').className = 'Unregistered'; }),
        extraKey: edit((json) => { json.graph = {}; }),
        weightListMismatch: edit((json) => { (json.weights as unknown[]).pop(); }),
        notConnected: edit((json, layers) => {
          layers.push({ className: 'Dense', config: { name: 'stray', units: 1, activation: 'linear', useBias: true }, inboundNodes: [[['a', 0, 0]]] });
          (json.weights as unknown[]).push({ name: 'dense_2/kernel', shape: [4, 1], dtype: 'float32' }, { name: 'dense_2/bias', shape: [1], dtype: 'float32' });
        }),
      };
      const tensorsBefore = wg.memory().numTensors;
      for (const [name, json] of Object.entries(cases)) {
        try {
          wg.loadModel({ modelJson: json as never, weights: saved.weights });
          result.hostile[name] = 'loaded';
        } catch (error) {
          result.hostile[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      result.leaked = wg.memory().numTensors - tensorsBefore;
      [xa, xb, before, after, ...initial, ...randomized].forEach((t) => t.dispose());
      model.dispose();
      loaded.dispose();
      return result;
    });
    // Same weights and the same ops in the same order: bit-identical.
    expect(out.after).toEqual(out.before);
    expect(out.summaries[1]).toBe(out.summaries[0]);
    expect(out.loadedTypes).toEqual(['InputLayer', 'shared', 'Add', 'InputLayer', 'Scale', 'Concatenate', 'Dense'].map((t) => (t === 'shared' ? 'Dense' : t)));
    // Keras 3's file naming: each layer by class in snake_case, numbered in model order.
    expect(out.weightNames).toEqual(['dense/kernel', 'dense/bias', 'scale/gamma', 'dense_1/kernel', 'dense_1/bias']);
    const h = out.hostile;
    expect(h.unknownRef).toMatch(/^ModelFormatError: loadModel: layers\[6\] \(Dense\): inbound node 0 reads unknown layer 'nowhere'/);
    expect(h.nodeOutOfRange).toMatch(/^ModelFormatError: .*\(Concatenate\): inbound node 0 reads node 3 of 'scaled', which has 1/);
    expect(h.cycle).toMatch(/^ModelFormatError: loadModel: +the graph has a cycle: the layers .*shared.*head/);
    expect(h.addOneInput).toMatch(/^ModelFormatError: .*\(Add\): .*a Add layer takes a list of at least 2 inputs, got 1/);
    expect(h.denseTwoInputs).toMatch(/^ModelFormatError: .*\(Dense\): head: Dense takes one input, got 2/);
    expect(h.sharedOtherShape).toMatch(/^ModelFormatError: .*\(Dense\): node 1 reads shapes \[5\], but the layer's first node read \[4\]/);
    expect(h.inputNotInputLayer).toMatch(/^ModelFormatError: .*inputLayers\[1\] names 'shared', which is not an InputLayer/);
    expect(h.inputWithNodes).toMatch(/^ModelFormatError: .*\(InputLayer\): an InputLayer reads no tensors/);
    expect(h.badRef).toMatch(/^ModelFormatError: loadModel: model JSON has outputLayers .*expected a non-empty array of \[layer, node, tensor\]/);
    // 'head' is a Dense layer: one output, so output 1 does not exist.
    expect(h.missingOutput).toMatch(/^ModelFormatError: loadModel: outputLayers\[0\] reads output 1 of 'head', which has 1/);
    expect(h.duplicateName).toMatch(/^ModelFormatError: .*the name "joined" is used 2 times/);
    expect(h.unknownClass).toMatch(/^ModelFormatError: .*unknown layer class "Unregistered"/);
    expect(h.extraKey).toMatch(/^ModelFormatError: loadModel: model JSON has unknown field "graph"/);
    expect(h.weightListMismatch).toMatch(/^ModelFormatError: .*model JSON lists weights\[4\] as nothing, but its layers make dense_1\/bias \[2\] float32/);
    expect(h.notConnected).toMatch(/^ModelFormatError: loadModel: layers\[7\] \(Dense\): 'stray' is not between the model's inputs and outputs/);
    expect(out.leaked).toBe(0);
  });
});
