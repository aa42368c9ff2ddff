// The optimizer base: checks parameters against gradients and hyperparameters against their ranges,
// keeps per-parameter slot state (moments, accumulators) on the GPU, applies the decoupled weight
// decay, counts steps and reports the config. An optimizer itself is data: its hyperparameters and
// its UpdateRule (slots, double-precision constants, WGSL body) for the one kernel template.
import { noGrad } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { keep } from '../memory';
import { full } from '../ops/creation';
import { onEachCall } from '../runtime/capture';
import { launch } from '../runtime/launch';
import { shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { updateKernel, type UpdateRule } from './updateKernel';

/** Options every optimizer takes, as Keras's base optimizer does. */
export interface OptimizerOptions {
  learningRate?: number;
  /**
   * Decoupled weight decay: before each update, p ← p − p·learningRate·weightDecay (Keras's
   * `weight_decay`). 0 turns it off; AdamW defaults to 0.004.
   */
  weightDecay?: number;
}

/** A hyperparameter's value and the closed range it must lie in. */
export type Ranged = readonly [value: number, low: number, high: number];

/** Keras's name of an optimizer and the defaults of the options every optimizer shares. */
export interface OptimizerDefaults {
  name: string;
  learningRate: number;
  weightDecay?: number;
}

export abstract class Optimizer {
  readonly name: string;
  /** Read on every step, so it may be changed between steps (learning-rate schedules). */
  learningRate: number;
  weightDecay: number;
  /** Steps applied so far (Keras's `iterations`); Adam's bias correction uses iterations + 1. */
  iterations = 0;
  private readonly slots = new Map<Tensor, Map<string, Tensor>>();

  constructor(defaults: OptimizerDefaults, options: OptimizerOptions) {
    this.name = defaults.name;
    this.learningRate = options.learningRate ?? defaults.learningRate;
    this.weightDecay = options.weightDecay ?? defaults.weightDecay ?? 0;
  }

  /** This optimizer's own numeric hyperparameters with their ranges, checked on every step (they are mutable). */
  protected abstract hyperparameters(): Record<string, Ranged>;

  /** Its switches (nesterov, amsgrad, centered), fixed at construction. */
  protected abstract flags(): Record<string, boolean>;

  /** What step `step` (1-based) does: slots, constants for this step, WGSL body. */
  protected abstract rule(step: number): UpdateRule;

  /**
   * One update of every parameter in place, one kernel each, from its gradient (same shape, float32).
   * Validates everything before launching anything; reads nothing back to the CPU.
   */
  applyGradients(params: readonly Tensor[], grads: readonly Tensor[]): void {
    this.checkHyperparameters();
    if (params.length !== grads.length) {
      throw new ValueError(`${this.name}.applyGradients: ${params.length} parameters but ${grads.length} gradients`);
    }
    params.forEach((param, k) => this.checkPair(param, grads[k]));
    const rule = this.rule(this.iterations + 1);
    const kernel = updateKernel(this.name, rule);
    let uniforms = this.stepUniforms(rule);
    // Under wg.jit a replay redoes this CPU part per call: the step's constants (bias corrections,
    // a changed learning rate), then the step count, in the order an eager call does them.
    onEachCall(() => {
      this.checkHyperparameters();
      uniforms = this.stepUniforms(this.rule(this.iterations + 1));
    });
    noGrad(() =>
      params.forEach((param, k) => {
        const buffers: Record<string, GPUBuffer> = { param: param.buffer, grad: grads[k].buffer };
        for (const [name, initialValue] of Object.entries(rule.slots)) buffers[name] = this.slot(param, name, initialValue).buffer;
        const count = Math.ceil(param.size / 4);
        launch(kernel, { buffers, uniforms: { count, ...uniforms }, threads: count, refresh: () => ({ count, ...uniforms }) });
      }),
    );
    this.iterations++;
    onEachCall(() => { this.iterations++; });
  }

  /** A step's uniforms, in double precision like every constant: decay is the fraction of each weight removed. */
  private stepUniforms(rule: UpdateRule): Record<string, number> {
    return { decay: this.learningRate * this.weightDecay, ...rule.constants };
  }

  /** Keras's config: learning rate, this optimizer's hyperparameters and switches, weight decay. */
  getConfig(): Record<string, number | boolean> {
    const values = Object.entries(this.hyperparameters()).map(([option, [value]]) => [option, value]);
    return { learningRate: this.learningRate, ...Object.fromEntries(values), ...this.flags(), weightDecay: this.weightDecay };
  }

  /** Throws ValueError for a hyperparameter out of range. */
  protected checkHyperparameters(): void {
    const ranges: Record<string, Ranged> = { learningRate: [this.learningRate, 0, Infinity], weightDecay: [this.weightDecay, 0, Infinity], ...this.hyperparameters() };
    for (const [option, [value, low, high]] of Object.entries(ranges)) {
      if (typeof value !== 'number' || !(value >= low && value <= high)) {
        throw new ValueError(`${this.name}: ${option} must be a number in [${low}, ${high}], got ${value}`);
      }
    }
  }

  private checkPair(param: Tensor, grad: Tensor): void {
    const op = `${this.name}.applyGradients`;
    if (!(param instanceof Tensor) || !(grad instanceof Tensor)) throw new ValueError(`${op}: parameters and gradients must be Tensors`);
    param.assertAlive(op);
    grad.assertAlive(op);
    if (param.dtype !== 'float32' || grad.dtype !== 'float32') {
      throw new ValueError(`${op}: parameters and gradients must be float32, got a ${param.dtype} parameter and a ${grad.dtype} gradient`);
    }
    if (!shapesEqual(param.shape, grad.shape)) {
      throw new ShapeError(`${op}: gradient ${formatShape(grad.shape)} does not match parameter #${param.id} ${formatShape(param.shape)}`);
    }
    if (param.buffer === grad.buffer) {
      throw new ValueError(`${op}: the gradient of parameter #${param.id} shares its memory; pass a separate tensor`);
    }
  }

  /** Slot `name` of `param` (shaped like it), created on first use filled with `initialValue`, kept outside every tidy. */
  private slot(param: Tensor, name: string, initialValue: number): Tensor {
    let slots = this.slots.get(param);
    if (!slots) {
      slots = new Map();
      this.slots.set(param, slots);
    }
    let state = slots.get(name);
    if (!state) {
      state = keep(full(param.shape, initialValue));
      slots.set(name, state);
    }
    return state;
  }

  /** Frees every slot and resets `iterations`: the next step starts from fresh state. */
  dispose(): void {
    for (const slots of this.slots.values()) for (const state of slots.values()) state.dispose();
    this.slots.clear();
    this.iterations = 0;
  }
}
