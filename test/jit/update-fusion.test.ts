// Optimizer updates fused into the kernels making their gradients (src/jit/fuseUpdate.ts): under
// wg.jit, Dense's dW matmul and db reduction apply the optimizer's rule where they would store the
// gradient, so the update groups' dispatches go away. The reference is the same loop run eagerly:
// the fused kernels do the update's float32 operations per element in the same order, so losses and
// weights must match bit for bit (toEqual on float32 values: -0 vs +0 and NaN vs a number both fail).
// Where a gradient is transformed first (clipping, accumulation) or used beyond the update, the
// update stays in its group, and the results match eager all the same.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

/** The describe() lines of fused updates (`fused(matmul+adam)`) and of update groups left as they were. */
/**
 * How many parameters the program updates inside their gradients' kernels (a fused(matmul+sum+…)
 * updates a weight and its bias, test/jit/bias-gradient.test.ts), and how many grouped update kernels remain.
 */
function updateKernels(text: string, optimizer: string): { fused: number; grouped: number } {
  const lines = text.split('\n');
  return {
    fused: lines.filter((line) => line.includes(`+${optimizer})`)).reduce((count, line) => count + (line.includes(`+sum+${optimizer})`) ? 2 : 1), 0),
    grouped: text.split('\n').filter((line) => new RegExp(`^\\s+\\d+\\. ${optimizer}(×\\d+)?\\s`).test(line)).length,
  };
}

interface Scenario {
  /** An optimizer by class name and options. */
  optimizer: string;
  options: Record<string, number | boolean>;
  /** What the step returns beside the loss: nothing, a gradient, a value made from a gradient, or a parameter read after the update. */
  extra?: 'gradient' | 'gradientSum' | 'paramAfter';
  /** Dense layer widths after the input's: [2, 1] is the reference model. */
  units?: number[];
  inputs?: number;
  /** Rows per batch (default 4). */
  batch?: number;
}

/**
 * Runs each scenario eagerly and under wg.jit for 5 steps of a Dense stack (sigmoid layers, BCE,
 * batch 4) from the same seed: losses, extras, weights, dispatches of a compiled call, describe().
 */
async function trainBoth(scenarios: Scenario[]) {
  return gpu.run(async (wg, list) => {
    const run = async (scenario: Scenario, compiled: boolean) => {
      wg.setSeed(42);
      const inputs = scenario.inputs ?? 2;
      const units = scenario.units ?? [2, 1];
      const batch = scenario.batch ?? 4;
      const model = new wg.Sequential(units.map((n, k) => new wg.layers.Dense(n, k === 0 ? { activation: 'sigmoid', inputShape: [inputs] } : { activation: 'sigmoid' })));
      const x = wg.tensor(Array.from({ length: batch * inputs }, (_, i) => ((i * 7) % 11) / 5 - 1), [batch, inputs]);
      const y = wg.tensor(Array.from({ length: batch * units[units.length - 1] }, (_, i) => (i * 5) % 3 === 0 ? 1 : 0), [batch, units[units.length - 1]]);
      model.predict(x).dispose();
      const optimizers = wg.optimizers as unknown as Record<string, new (options: Record<string, number | boolean>) => { applyGradients(p: Tensor[], g: Tensor[]): void }>;
      const optimizer = new optimizers[scenario.optimizer](scenario.options);
      const params = model.trainableWeights;
      const step = (x: Tensor, y: Tensor): Tensor[] => {
        const tape = new wg.Tape();
        const loss = tape.record(() => wg.losses.binaryCrossentropy(y, model.apply(x, { training: true })).mean());
        const grads = tape.gradient(loss, params);
        const extra = scenario.extra === 'gradient' ? [grads[0]] : scenario.extra === 'gradientSum' ? [wg.sum(wg.square(grads[3]))] : [];
        optimizer.applyGradients(params, grads);
        return [loss, ...extra, ...(scenario.extra === 'paramAfter' ? [wg.mul(params[0], 2)] : [])];
      };
      const stepFn = compiled ? wg.jit(step) : step;
      const losses: number[] = [];
      const extras: number[][] = [];
      for (let i = 0; i < 5; i++) {
        const [loss, ...rest] = stepFn(x, y);
        losses.push((await loss.data())[0]);
        for (const tensor of rest) extras.push(Array.from(await tensor.data()));
        for (const tensor of [loss, ...rest]) tensor.dispose();
      }
      await wg.synchronize();
      const before = wg.commandStats().dispatches;
      for (const tensor of stepFn(x, y)) tensor.dispose();
      const dispatches = wg.commandStats().dispatches - before;
      const weights = await Promise.all(params.map(async (p) => Array.from(await p.data())));
      return { losses, extras, weights, dispatches, text: compiled ? (stepFn as ReturnType<typeof wg.jit>).describe() : '' };
    };
    const results = [];
    for (const scenario of list) results.push({ eager: await run(scenario, false), compiled: await run(scenario, true) });
    return results;
  }, scenarios);
}

describe('optimizer updates fused into the kernels making the gradients', () => {
  it('the reference step (Adam): each layer\'s dW and db made and applied in one kernel, bit-identical to eager, 6 dispatches', async () => {
    const [{ eager, compiled }] = await trainBoth([{ optimizer: 'Adam', options: { learningRate: 0.01 } }]);
    expect(compiled.losses).toEqual(eager.losses);
    expect(compiled.weights).toEqual(eager.weights);
    expect(eager.losses[4]).toBeLessThan(eager.losses[0]);
    // 4 parameters: each layer's fused(matmul+sum) (dW and db, bias-gradient.test.ts) takes both
    // its updates; no adam×2 group is left.
    expect(compiled.text.match(/fused\(matmul\+sum\+adam\)/g)).toHaveLength(2);
    expect(updateKernels(compiled.text, 'adam')).toEqual({ fused: 4, grouped: 0 });
    // Forward 2 (matmul + bias + sigmoid each), the loss's mean with its gradient as a sibling
    // output, dX of layer 2 with sigmoid's gradient, and a fused(matmul+sum+adam) per layer.
    const perCall = Number(/-> (\d+) per call/.exec(compiled.text)?.[1]);
    expect(perCall).toBe(6);
    expect(compiled.dispatches).toBe(perCall);
  });

  it('SGD (plain, momentum, Nesterov), RMSprop (plain, centered with momentum), Adagrad and AdamW with AMSGrad fuse the same way, bit-identical to eager', async () => {
    const scenarios: Scenario[] = [
      { optimizer: 'SGD', options: { learningRate: 0.5 } },
      { optimizer: 'SGD', options: { learningRate: 0.5, momentum: 0.9 } },
      { optimizer: 'SGD', options: { learningRate: 0.5, momentum: 0.9, nesterov: true } },
      { optimizer: 'RMSprop', options: { learningRate: 0.01 } },
      { optimizer: 'RMSprop', options: { learningRate: 0.01, momentum: 0.5, centered: true } },
      { optimizer: 'Adagrad', options: { learningRate: 0.1 } },
      { optimizer: 'AdamW', options: { learningRate: 0.01, weightDecay: 0.1, amsgrad: true } },
    ];
    // Slots per parameter of each rule: centered RMSprop with momentum and AMSGrad keep three.
    const slots = [0, 1, 1, 1, 3, 1, 3];
    const results = await trainBoth(scenarios);
    const limit = await gpu.run((wg) => wg.getDevice().limits.maxStorageBuffersPerShaderStage);
    results.forEach(({ eager, compiled }, k) => {
      const name = scenarios[k].optimizer.toLowerCase();
      expect(compiled.losses, name).toEqual(eager.losses);
      expect(compiled.weights, name).toEqual(eager.weights);
      expect(eager.weights, name).not.toEqual(results[0].eager.weights.map((w) => w.map(() => 0)));
      // A layer's fused(matmul+sum+rule) binds A and B (their vec4 views and the unused bias slot
      // dropped when needed) and both parameters with their slots; past the device's limit (10 on
      // SwiftShader) the two updates stay in their groups (two ×2 dispatches), and dW and db in one
      // fused(matmul+sum).
      const fits = 2 + 2 * (1 + slots[k]) <= limit;
      expect(updateKernels(compiled.text, name), name).toEqual(fits ? { fused: 4, grouped: 0 } : { fused: 0, grouped: 2 });
      expect(compiled.dispatches, name).toBe(fits ? 6 : 8);
    });
  });

  it('stays in its group when the gradient is clipped or accumulated, returned, or read by another op; a parameter read after the update sees it', async () => {
    const scenarios: Scenario[] = [
      { optimizer: 'Adam', options: { learningRate: 0.01, clipnorm: 0.01 } },
      { optimizer: 'Adam', options: { learningRate: 0.01, gradientAccumulationSteps: 2 } },
      { optimizer: 'Adam', options: { learningRate: 0.01 }, extra: 'gradient' },
      { optimizer: 'Adam', options: { learningRate: 0.01 }, extra: 'gradientSum' },
      { optimizer: 'Adam', options: { learningRate: 0.01 }, extra: 'paramAfter' },
    ];
    const results = await trainBoth(scenarios);
    results.forEach(({ eager, compiled }, k) => {
      expect(compiled.losses, `scenario ${k}`).toEqual(eager.losses);
      expect(compiled.extras, `scenario ${k}`).toEqual(eager.extras);
      expect(compiled.weights, `scenario ${k}`).toEqual(eager.weights);
    });
    const counts = results.map(({ compiled }) => updateKernels(compiled.text, 'adam'));
    // Clipping and accumulation transform the gradient first: no update fuses.
    expect(counts[0].fused).toBe(0);
    expect(counts[1].fused).toBe(0);
    // The first weight's gradient is returned, the last bias's is squared and summed: those stay
    // grouped, and so does the other parameter whose gradient the same fused(matmul+sum) makes.
    expect(counts[2].fused).toBe(2);
    expect(counts[3].fused).toBe(2);
    // The fused kernel runs where the update ran, so a later read of the weight (2·W, compared with
    // eager's above) sees the updated weight as eager does.
    expect(counts[4].fused).toBe(4);
  });

  it('stays in its group when the kernel making one gradient reads a parameter the group updates (Σ A·B: dA = 1·Bᵀ reads B)', async () => {
    const out = await gpu.run(async (wg) => {
      const run = async (compiled: boolean) => {
        const a = wg.variable(wg.tensor([[0.5, -1], [2, 0.25]]));
        const b = wg.variable(wg.tensor([[1, 3], [-2, 0.5]]));
        const optimizer = new wg.optimizers.Adam({ learningRate: 0.1 });
        const step = () => {
          const { value, grads } = wg.valueAndGrad((a: Tensor, b: Tensor) => wg.sum(wg.matmul(a, b)))(a, b);
          optimizer.applyGradients([a, b], grads);
          return value;
        };
        const stepFn = compiled ? wg.jit(step) : step;
        const losses: number[] = [];
        for (let i = 0; i < 4; i++) {
          const value = stepFn();
          losses.push((await value.data())[0]);
          value.dispose();
        }
        return { losses, a: Array.from(await a.data()), b: Array.from(await b.data()), text: compiled ? (stepFn as ReturnType<typeof wg.jit>).describe() : '' };
      };
      return { eager: await run(false), compiled: await run(true) };
    });
    expect(updateKernels(out.compiled.text, 'adam')).toEqual({ fused: 0, grouped: 1 });
    expect(out.compiled.losses).toEqual(out.eager.losses);
    expect([out.compiled.a, out.compiled.b]).toEqual([out.eager.a, out.eager.b]);
  });

  it('an MLP with wider layers ([64,32] → [32,16] → [16,4]), and a batch of 2048 (db summed in two passes), compiled equal eager bit for bit', async () => {
    const [wide, tall] = await trainBoth([
      { optimizer: 'Adam', options: { learningRate: 0.01 }, inputs: 64, units: [32, 16, 4] },
      { optimizer: 'Adam', options: { learningRate: 0.01 }, batch: 2048 },
    ]);
    for (const { eager, compiled } of [wide, tall]) {
      expect(compiled.losses).toEqual(eager.losses);
      expect(compiled.weights).toEqual(eager.weights);
    }
    expect(updateKernels(wide.compiled.text, 'adam')).toEqual({ fused: 6, grouped: 0 });
    // A sum over 2048 rows folds chunks of 1024 into partials first; the pass over the partials takes the update.
    expect(updateKernels(tall.compiled.text, 'adam')).toEqual({ fused: 4, grouped: 0 });
    expect(tall.compiled.text).toMatch(/^\s+\d+\. reduce\s/m);
  });

  it('on CPU adapters a weight above 4,096 elements keeps its grouped update (the matmul stores dW); on GPUs it fuses; eager-equal either way', async () => {
    // Dense 128→40: W has 5,120 elements, b 40. src/jit/fuseUpdate.ts's CPU_MAX_MATMUL_UPDATE says
    // why (SwiftShader runs the per-element update in a matmul's tile slower than the vec4 group).
    const [big] = await trainBoth([{ optimizer: 'Adam', options: { learningRate: 0.01 }, inputs: 128, units: [40, 1] }]);
    expect(big.compiled.losses).toEqual(big.eager.losses);
    expect(big.compiled.weights).toEqual(big.eager.weights);
    const cpu = await gpu.run((wg) => {
      const info = wg.getAdapterInfo();
      return info.architecture === 'swiftshader' || /swiftshader|llvmpipe|lavapipe|warp/i.test(`${info.vendor} ${info.description}`);
    });
    const firstLayer = big.compiled.text.split('\n').filter((line) => /fused\(matmul\+sum/.test(line)).map((line) => line.replace(/^\s+\d+\. /, '').split(' ')[0]);
    // The second layer (40→1: 40 + 1 elements) fuses both updates everywhere.
    expect(firstLayer).toEqual(cpu ? ['fused(matmul+sum)', 'fused(matmul+sum+adam)'] : ['fused(matmul+sum+adam)', 'fused(matmul+sum+adam)']);
    // On the CPU W and b stay in update dispatches of their own (W's 5,120 elements exceed what one
    // CPU dispatch shares: src/optim/tensorGroups.ts), b because its kernel also stores dW.
    expect(updateKernels(big.compiled.text, 'adam')).toEqual(cpu ? { fused: 2, grouped: 2 } : { fused: 4, grouped: 0 });
  });

  it('a NaN in a gradient reaches the parameter as in eager: only the weight row of the NaN input', async () => {
    const out = await gpu.run(async (wg) => {
      const run = async (compiled: boolean) => {
        // dW = xᵀ·1 for Σ(x·W): row k of dW sums column k of x, so x[2][1] = NaN makes row 1 NaN only.
        const x = wg.tensor([[1, 2], [3, 4], [5, NaN], [7, 8]]);
        const w = wg.variable(wg.tensor([[0.5, -0.5, 1], [0.25, 2, -1]]));
        const optimizer = new wg.optimizers.Adam({ learningRate: 0.1 });
        const step = (x: Tensor) => {
          const { value, grads } = wg.valueAndGrad((w: Tensor) => wg.sum(wg.matmul(x, w)))(w);
          optimizer.applyGradients([w], grads);
          return value;
        };
        const stepFn = compiled ? wg.jit(step) : step;
        for (let i = 0; i < 3; i++) stepFn(x).dispose();
        return { w: Array.from(await w.data()), text: compiled ? (stepFn as ReturnType<typeof wg.jit>).describe() : '' };
      };
      return { eager: await run(false), compiled: await run(true) };
    });
    expect(out.compiled.text).toContain('fused(matmul+adam)');
    expect(out.compiled.w).toEqual(out.eager.w);
    expect(out.eager.w.map(Number.isNaN)).toEqual([false, false, false, true, true, true]);
  });
});
