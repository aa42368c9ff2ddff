// Errors keep the library usable: each bad call below, one per row and covering every public
// function family, throws a typed error; afterwards nothing has leaked (wg.memory() tensors and
// bytes as before), the user's tensors and model are unchanged, and a reference computation is
// right (float64 values worked out here).
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { ADD_ONE_WGSL } from '../runtime/add-one-kernel';

const gpu = useGpuPage();

/** Each bad call (the page-side table below holds the calls) and the typed error it must throw. */
const CASES: { family: string; call: string; error: string }[] = [
  { family: 'creation', call: 'tensor from ragged nested arrays', error: 'ShapeError' },
  { family: 'creation', call: 'tensor with 5 values for shape [2,3]', error: 'ShapeError' },
  { family: 'creation', call: "tensor with dtype 'float64'", error: 'ValueError' },
  { family: 'creation', call: 'zeros with a negative dim', error: 'ShapeError' },
  { family: 'creation', call: 'zeros past the buffer limit', error: 'OutOfMemoryError' },
  { family: 'elementwise', call: 'add of [2,3] and [4]', error: 'ShapeError' },
  { family: 'elementwise', call: 'mul of a disposed tensor', error: 'DisposedTensorError' },
  { family: 'elementwise', call: 'exp of a string', error: 'TypeError' },
  { family: 'reduce', call: 'sum over axis 5 of a rank-2 tensor', error: 'ValueError' },
  { family: 'reduce', call: 'argmax over axis -3 of a rank-2 tensor', error: 'ValueError' },
  { family: 'matmul', call: 'matmul of [2,3] and [2,3]', error: 'ShapeError' },
  { family: 'shape', call: 'reshape [2,3] to [4]', error: 'ShapeError' },
  { family: 'shape', call: 'transpose with perm [0,0]', error: 'ValueError' },
  { family: 'shape', call: 'slice past the end', error: 'ShapeError' },
  { family: 'shape', call: 'concat of [2,3] and [2,2] on axis 0', error: 'ShapeError' },
  { family: 'conv/pool', call: 'conv2d with 2 input channels and a 3-channel filter', error: 'ShapeError' },
  { family: 'conv/pool', call: 'maxPool2d of a rank-2 tensor', error: 'ShapeError' },
  { family: 'customOp', call: 'customOp whose WGSL fails to compile', error: 'KernelError' },
  { family: 'customOp', call: 'customOp whose WGSL does not parse', error: 'KernelError' },
  { family: 'customOp', call: 'customOp with a read_write input', error: 'ValueError' },
  // Refused at launch, after its output was allocated: the op must free it.
  { family: 'customOp', call: 'customOp whose WGSL binds a tensor it is not given', error: 'KernelError' },
  { family: 'tape/grad', call: 'grad through argmax', error: 'NonDifferentiableError' },
  { family: 'tape/grad', call: 'grad of a non-scalar function', error: 'ValueError' },
  { family: 'Sequential', call: 'compile with an unknown loss', error: 'ValueError' },
  { family: 'Sequential', call: 'fit before compile', error: 'ValueError' },
  { family: 'Sequential', call: 'fit with 6 rows of x and 5 of y', error: 'ShapeError' },
  { family: 'Sequential', call: 'predict with 4 features for a 3-feature model', error: 'ShapeError' },
  { family: 'Sequential', call: 'fit on data with a NaN', error: 'NonFiniteLossError' },
  { family: 'save/load', call: 'loadModel of an unknown format', error: 'ModelFormatError' },
  { family: 'save/load', call: 'loadWeights with the wrong shapes', error: 'ModelFormatError' },
  { family: 'save/load', call: 'loadWeights of truncated bytes', error: 'ModelFormatError' },
];

interface Outcome {
  calls: string[];
  error: { name: string; message: string; typed: boolean } | null;
  before: { numTensors: number; numBytes: number };
  after: { numTensors: number; numBytes: number };
  afterFixtures: { numTensors: number; numBytes: number };
  start: { numTensors: number; numBytes: number };
  xBefore: number[];
  xAfter: number[];
  weightsBefore: number[][];
  weightsAfter: number[][];
  reference: number[];
}

async function runCase(call: string): Promise<Outcome> {
  return gpu.run(async (wg, { call, wgsl }) => {
    // customOp's WGSL reflector loads on demand (once per page; later calls return at once).
    await wg.loadCustomOpSupport();
    type T = ReturnType<typeof wg.tensor>;
    type Model = InstanceType<typeof wg.Sequential>;
    const counts = () => { const m = wg.memory(); return { numTensors: m.numTensors, numBytes: m.numBytes }; };
    const readWeights = async (model: Model) => {
      const weights = model.getWeights();
      const values = await Promise.all(weights.map(async (w) => Array.from(await w.data())));
      weights.forEach((w) => w.dispose());
      return values;
    };
    const smallModel = (units: number): Model => {
      // Fixed layer names, so weights saved from one such model name the weights of another.
      const model = new wg.Sequential([new wg.layers.Dense(units, { activation: 'tanh', inputShape: [3], name: 'hidden' }), new wg.layers.Dense(1, { name: 'output' })]);
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      return model;
    };
    await wg.synchronize();
    const start = counts();
    const x = wg.tensor([[1, 2, 3], [4, 5, 6]]);
    const model = smallModel(2);
    const artifacts = await wg.saveModel(model);
    const xBefore = Array.from(await x.data());
    const weightsBefore = await readWeights(model);
    await wg.synchronize();
    const before = counts();

    const calls: Record<string, () => unknown> = {
      'tensor from ragged nested arrays': () => wg.tensor([[1, 2], [3]]),
      'tensor with 5 values for shape [2,3]': () => wg.tensor([1, 2, 3, 4, 5], [2, 3]),
      "tensor with dtype 'float64'": () => wg.tensor([1, 2], [2], 'float64' as 'float32'),
      'zeros with a negative dim': () => wg.zeros([2, -1]),
      'zeros past the buffer limit': () => wg.zeros([2 ** 28 + 16]),
      'add of [2,3] and [4]': () => wg.tidy(() => wg.add(x, wg.ones([4]))),
      'mul of a disposed tensor': () => { const t = wg.ones([2, 3]); t.dispose(); return wg.mul(x, t); },
      'exp of a string': () => wg.exp('a' as unknown as T),
      'sum over axis 5 of a rank-2 tensor': () => wg.sum(x, 5),
      'argmax over axis -3 of a rank-2 tensor': () => wg.argmax(x, -3),
      'matmul of [2,3] and [2,3]': () => wg.matmul(x, x),
      'reshape [2,3] to [4]': () => wg.reshape(x, [4]),
      'transpose with perm [0,0]': () => wg.transpose(x, [0, 0]),
      'slice past the end': () => wg.slice(x, [1, 1], [2, 2]),
      'concat of [2,3] and [2,2] on axis 0': () => wg.tidy(() => wg.concat([x, wg.ones([2, 2])], 0)),
      'conv2d with 2 input channels and a 3-channel filter': () => wg.tidy(() => wg.conv2d(wg.ones([1, 4, 4, 2]), wg.ones([3, 3, 3, 1]))),
      'maxPool2d of a rank-2 tensor': () => wg.maxPool2d(x),
      'customOp whose WGSL fails to compile': async () => {
        const out = wg.customOp({ name: 'brokenAddOne', wgsl: wgsl.replace('x[i] + 1.0', 'x[i] + 1u'), inputs: { x }, output: { name: 'out', shape: x.shape } });
        try {
          return await out.data();
        } finally {
          out.dispose();
        }
      },
      'customOp whose WGSL does not parse': () => wg.customOp({ name: 'unparsable', wgsl: 'fn main( {', inputs: { x }, output: { name: 'out', shape: [2, 3] } }),
      'customOp with a read_write input': () => wg.customOp({
        name: 'writesInput', wgsl: wgsl.replace('var<storage, read> x', 'var<storage, read_write> x'), inputs: { x }, output: { name: 'out', shape: [2, 3] },
      }),
      'customOp whose WGSL binds a tensor it is not given': () => wg.customOp({
        name: 'readsY', wgsl: wgsl.replace('@compute', '@group(0) @binding(2) var<storage, read> y: array<f32>;\n@compute'), inputs: { x }, output: { name: 'out', shape: [2, 3] },
      }),
      'grad through argmax': () => wg.grad((t) => wg.sum(wg.cast(wg.argmax(t, 1), 'float32')))(x),
      'grad of a non-scalar function': () => wg.grad((t) => wg.mul(t, 2))(x),
      'compile with an unknown loss': () => model.compile({ optimizer: 'sgd', loss: 'no_such_loss' as 'mse' }),
      'fit before compile': async () => {
        const uncompiled = new wg.Sequential([new wg.layers.Dense(1, { inputShape: [3] })]);
        const y = wg.ones([2, 1]);
        try {
          return await uncompiled.fit(x, y, { verbose: 0 });
        } finally {
          uncompiled.dispose();
          y.dispose();
        }
      },
      'fit with 6 rows of x and 5 of y': async () => {
        const [x6, y5] = [wg.ones([6, 3]), wg.ones([5, 1])];
        try {
          return await model.fit(x6, y5, { verbose: 0 });
        } finally {
          x6.dispose();
          y5.dispose();
        }
      },
      'predict with 4 features for a 3-feature model': () => wg.tidy(() => model.predict(wg.ones([2, 4]))),
      'fit on data with a NaN': async () => {
        // Its own model: a NaN step changes the weights it trains (Keras's TerminateOnNaN stops after that step too).
        const victim = smallModel(2);
        const [xNaN, y] = [wg.tensor([[1, NaN, 3], [4, 5, 6]]), wg.ones([2, 1])];
        try {
          return await victim.fit(xNaN, y, { epochs: 2, verbose: 0 });
        } finally {
          victim.dispose();
          xNaN.dispose();
          y.dispose();
        }
      },
      'loadModel of an unknown format': () => wg.loadModel({ ...artifacts, modelJson: { ...artifacts.modelJson, format: 'keras' as 'webgrad-sequential' } }),
      'loadWeights with the wrong shapes': async () => {
        const other = smallModel(5);
        const otherArtifacts = await wg.saveModel(other);
        other.dispose();
        return wg.loadWeights(model, otherArtifacts.weights);
      },
      'loadWeights of truncated bytes': () => wg.loadWeights(model, artifacts.weights.slice(0, 20)),
    };
    const typedErrors = ['ShapeError', 'ValueError', 'DisposedTensorError', 'KernelError', 'NonDifferentiableError', 'NonFiniteLossError', 'OutOfMemoryError', 'DeviceLostError', 'WebGPUUnavailableError', 'ModelFormatError', 'ModelBusyError'];
    let error: Outcome['error'] = null;
    try {
      const result = await calls[call]();
      if (result instanceof wg.Tensor) result.dispose();
    } catch (e) {
      const { name, message } = e as Error;
      // A value that is not a tensor at all is JavaScript's own TypeError (as TF.js), naming the op and argument.
      const typed = name === 'TypeError' ? e instanceof TypeError
        : typedErrors.includes(name) && e instanceof (wg as unknown as Record<string, new () => Error>)[name];
      error = { name, message, typed };
    }
    // Pending GPU errors (the compile failure) were reported by the call itself: this sync is clean.
    await wg.synchronize();
    const after = counts();
    const xAfter = Array.from(await x.data());
    const weightsAfter = await readWeights(model);
    const reference = wg.tidy(() => wg.sum(wg.relu(wg.add(wg.matmul(wg.tensor([[1, 2], [3, 4]]), wg.tensor([[5, 6], [7, 8]])), 1)), 1));
    const referenceValues = Array.from(await reference.data());
    reference.dispose();
    x.dispose();
    model.dispose();
    await wg.synchronize();
    return {
      calls: Object.keys(calls), error, before, after, afterFixtures: counts(), start,
      xBefore, xAfter, weightsBefore, weightsAfter, reference: referenceValues,
    };
  }, { call, wgsl: ADD_ONE_WGSL });
}

describe('errors keep the library usable', () => {
  it('the table covers the page-side calls one to one', async () => {
    const { calls } = await runCase(CASES[0].call);
    expect([...calls].sort()).toEqual(CASES.map((c) => c.call).sort());
  });

  it.each(CASES)('$family: $call throws $error; then no leak, inputs unchanged, later ops correct', async ({ call, error }) => {
    const out = await runCase(call);
    expect(out.error, 'the call must throw').not.toBeNull();
    expect(`${out.error?.name}: ${out.error?.message}`).toMatch(new RegExp(`^${error}: `));
    expect(out.error?.typed).toBe(true);
    expect(out.after).toEqual(out.before);
    expect(out.afterFixtures).toEqual(out.start);
    expect(out.xAfter).toEqual(out.xBefore);
    expect(out.weightsAfter).toEqual(out.weightsBefore);
    // relu([[1,2],[3,4]]·[[5,6],[7,8]] + 1) = [[20,23],[44,51]], summed per row: exact in float32.
    expect(out.reference).toEqual([43, 95]);
  });
});
