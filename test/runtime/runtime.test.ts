// The runtime: device acquisition and its errors, kernel errors, custom ops, the profiler, the pool.
import { describe, expect, inject, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { waitForPageValue } from '../harness/page-wait';
import { expectClose, numericGradient, ndarray } from '../reference';

const gpu = useGpuPage();

/** WGSL for out[i] = x[i] > 0 ? x[i] : slope·x[i], used as a custom op below. */
const LEAKY_RELU_WGSL = `
// Leaky ReLU: out[i] = x[i] > 0 ? x[i] : slope * x[i]
struct Params { count: u32, slope: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.count) { return; }
  out[i] = select(params.slope * x[i], x[i], x[i] > 0.0);
}`;

describe('device', () => {
  it('init is idempotent and reports the adapter', async () => {
    const result = await gpu.run(async (wg) => {
      const [first, second] = await Promise.all([wg.init(), wg.init()]);
      return { same: first === second && first === (await wg.init()), initialized: wg.isInitialized(), info: wg.getAdapterInfo() };
    });
    expect(result.same).toBe(true);
    expect(result.initialized).toBe(true);
    expect(typeof result.info.vendor).toBe('string');
  });

  it('without navigator.gpu, init throws WebGPUUnavailableError saying how to enable WebGPU; ops throw NotInitializedError saying to await init, and why it failed', async () => {
    const page = await gpu.page.browser().newPage({ type: 'window' });
    try {
      await page.goto(`${inject('baseUrl')}/test/runtime/no-webgpu.html`);
      await waitForPageValue(page, 'window.beforeInit !== undefined', { timeoutMs: 30_000, what: 'the page without WebGPU to try init()' });
      const outcome = (await page.evaluate('window.outcome')) as { ok: boolean; name: string; message: string; isTyped: boolean };
      type Attempt = { ok: boolean; name: string; message: string; isTyped: boolean };
      const beforeAnyInit = (await page.evaluate('window.beforeAnyInit')) as Attempt;
      const beforeInit = (await page.evaluate('window.beforeInit')) as Attempt;
      expect(outcome.ok).toBe(false);
      expect(outcome.isTyped).toBe(true);
      expect(outcome.name).toBe('WebGPUUnavailableError');
      expect(outcome.message).toMatch(/navigator\.gpu/);
      expect(outcome.message).toMatch(/secure context/);
      expect(outcome.message).toMatch(/--enable-unsafe-webgpu/);
      expect(beforeAnyInit).toMatchObject({ ok: false, name: 'NotInitializedError', isTyped: true });
      expect(beforeAnyInit.message).toMatch(/call `await wg\.init\(\)`/);
      // After a failed init, the op's error carries init's reason rather than only "call init".
      expect(beforeInit).toMatchObject({ ok: false, name: 'NotInitializedError', isTyped: true });
      expect(beforeInit.message).toMatch(/`await wg\.init\(\)` failed \(WebGPUUnavailableError: navigator\.gpu is not available/);
    } finally {
      await page.close();
    }
  });
});

describe('kernels written by the user', () => {
  it('customOp runs user WGSL bound by name, and its backward rule matches finite differences', async () => {
    const x = [-2, -0.5, 0.25, 3, -1e-3, 7];
    const result = await gpu.run(async (wg, args) => {
      await wg.loadCustomOpSupport();
      const leaky = (t: ReturnType<typeof wg.tensor>) => wg.customOp({
        name: 'leakyRelu', wgsl: args.wgsl, inputs: { x: t }, output: { name: 'out', shape: t.shape },
        uniforms: { count: t.size, slope: 0.1 },
        backward: (dy, inputs) => ({ x: wg.mul(dy, wg.where(wg.greater(inputs.x, 0), 1, 0.1)) }),
      });
      const input = wg.tensor(args.x);
      const before = wg.memory().numTensors;
      const out = leaky(input);
      const [gradient] = wg.grad((t) => wg.sum(wg.mul(leaky(t), leaky(t))))(input);
      const values = { out: await out.data(), gradient: await gradient.data() };
      out.dispose();
      gradient.dispose();
      return { ...values, leaked: wg.memory().numTensors - before };
    }, { wgsl: LEAKY_RELU_WGSL, x });
    const leaky = (v: number): number => (v > 0 ? v : 0.1 * v);
    expectClose(result.out, x.map(leaky), { rtol: 1e-6, atol: 0 }, 'leakyRelu forward');
    const [numeric] = numericGradient(([t]) => Array.from(t.data).reduce((total, v) => total + leaky(v) ** 2, 0), [ndarray([6], x)]);
    expectClose(result.gradient, numeric.data, { rtol: 1e-4, atol: 1e-6 }, 'leakyRelu gradient');
    expect(result.leaked).toBe(0);
  });

  it('a WGSL compile error surfaces as a KernelError with the kernel name and the compiler message, and spoils no other work', async () => {
    const result = await gpu.run(async (wg, args) => {
      await wg.loadCustomOpSupport();
      const x = wg.tensor([1, 2, 3, 4]);
      const fine = wg.mul(x, 3);
      let error: { name: string; message: string } | null = null;
      try {
        const broken = wg.customOp({
          name: 'brokenOp', wgsl: args.wgsl.replace('select(params.slope * x[i], x[i], x[i] > 0.0)', 'x[i] + 1u'),
          inputs: { x }, output: { name: 'out', shape: [4] }, uniforms: { count: 4, slope: 0 },
        });
        await broken.data();
      } catch (e) {
        error = { name: (e as Error).name, message: (e as Error).message };
      }
      const alsoFine = wg.add(x, 1);
      return { error, fine: Array.from(await fine.data()), alsoFine: Array.from(await alsoFine.data()) };
    }, { wgsl: LEAKY_RELU_WGSL });
    expect(result.error?.name).toBe('KernelError');
    expect(result.error?.message).toMatch(/kernel 'brokenOp' failed to compile/);
    expect(result.error?.message).toMatch(/operator \+ \(f32, u32\)/);
    expect(result.fine).toEqual([3, 6, 9, 12]);
    expect(result.alsoFine).toEqual([2, 3, 4, 5]);
  });

  it('a WGSL parse error, a missing binding and an unknown uniform field are errors naming the kernel', async () => {
    const messages = await gpu.run(async (wg, args) => {
      await wg.loadCustomOpSupport();
      const x = wg.tensor([1, 2]);
      const attempt = (spec: Partial<Parameters<typeof wg.customOp>[0]>): string => {
        try {
          wg.customOp({ name: 'op', wgsl: args.wgsl, inputs: { x }, output: { name: 'out', shape: [2] }, uniforms: { count: 2, slope: 1 }, ...spec });
          return 'no error';
        } catch (e) {
          return `${(e as Error).name}: ${(e as Error).message}`;
        }
      };
      return {
        parse: attempt({ name: 'unparsable', wgsl: 'fn main( {' }),
        binding: attempt({ name: 'wrongInput', inputs: { y: x } }),
        uniform: attempt({ name: 'extraUniform', uniforms: { count: 2, slope: 1, gain: 3 } }),
        missingUniform: attempt({ name: 'missingUniform', uniforms: { count: 2 } }),
      };
    }, { wgsl: LEAKY_RELU_WGSL });
    expect(messages.parse).toMatch(/KernelError: kernel 'unparsable': WGSL parse error/);
    expect(messages.binding).toMatch(/kernel 'wrongInput'.*'x'/);
    expect(messages.uniform).toMatch(/extraUniform: the shader has no uniform field 'gain'/);
    expect(messages.missingUniform).toMatch(/missingUniform: uniform field 'slope' was not given a value/);
  });
});

describe('profiler and pool', () => {
  it('profile counts every dispatch and times each kernel with timestamp queries', async () => {
    const report = await gpu.run(async (wg) => {
      const a = wg.rand([64, 64]);
      const b = wg.rand([64, 64]);
      await wg.synchronize();
      const before = wg.commandStats().dispatches;
      const profiled = await wg.profile(async () => {
        const c = wg.matmul(a, b);
        const d = wg.relu(wg.add(c, 1));
        await d.data();
      });
      return { profiled, counted: wg.commandStats().dispatches - before, table: wg.formatProfile(profiled) };
    });
    expect(report.profiled.dispatches).toBe(report.counted);
    const dispatchesOf = (prefix: string): number =>
      report.profiled.kernels.filter((k) => k.kernel.startsWith(prefix)).reduce((total, k) => total + k.dispatches, 0);
    // The matmul variant (and so its kernel's name) is chosen per adapter and shape.
    expect(dispatchesOf('matmul')).toBe(1);
    expect(dispatchesOf('relu')).toBe(1);
    expect(report.profiled.kernels.reduce((total, k) => total + k.dispatches, 0)).toBe(report.profiled.dispatches);
    expect(report.profiled.gpuMs).toBeGreaterThan(0);
    expect(report.profiled.gpuMs).toBeLessThanOrEqual(report.profiled.wallMs);
    expect(report.table).toMatch(/\| matmul\w* \| 1 \|/);
  });

  it('released buffers return to the pool and are reused for the same size class', async () => {
    const stats = await gpu.run(async (wg) => {
      await wg.synchronize();
      const start = wg.memory();
      const t = wg.zeros([1000]);
      const whileAlive = wg.memory();
      t.dispose();
      const afterDispose = wg.memory();
      const again = wg.zeros([1000]);
      const afterReuse = wg.memory();
      again.dispose();
      return { start, whileAlive, afterDispose, afterReuse };
    });
    expect(stats.whileAlive.numTensors).toBe(stats.start.numTensors + 1);
    expect(stats.whileAlive.numBytes - stats.start.numBytes).toBe(4000);
    expect(stats.afterDispose.numTensors).toBe(stats.start.numTensors);
    // 4000 bytes round up to the 4096-byte size class, which the second tensor takes back.
    expect(stats.afterDispose.numBytesInPool - stats.whileAlive.numBytesInPool).toBe(4096);
    expect(stats.afterReuse.numBytesInPool).toBe(stats.whileAlive.numBytesInPool);
  });
});
