// The optimizer base: checks parameters against gradients, keeps per-parameter slot state (moments,
// accumulators) on the GPU, and counts steps. Each subclass launches one fused kernel per parameter.
import { noGrad } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { keep } from '../memory';
import { full } from '../ops/creation';
import { shapesEqual } from '../shape';
import { Tensor } from '../tensor';

/** Options every optimizer takes, as Keras's base optimizer does. */
export interface OptimizerOptions {
  learningRate?: number;
  /**
   * Decoupled weight decay: before each update, p ← p − p·learningRate·weightDecay (Keras's
   * `weight_decay`). 0 turns it off; AdamW defaults to 0.004.
   */
  weightDecay?: number;
}

export abstract class Optimizer {
  abstract readonly name: string;
  /** Read on every step, so it may be changed between steps (learning-rate schedules). */
  learningRate: number;
  weightDecay: number;
  /** Steps applied so far (Keras's `iterations`); Adam's bias correction uses iterations + 1. */
  iterations = 0;
  private readonly slots = new Map<Tensor, Map<string, Tensor>>();
  private readonly unusedSlots = new Map<string, Tensor>();

  constructor(defaultLearningRate: number, options: OptimizerOptions, defaultWeightDecay = 0) {
    this.learningRate = options.learningRate ?? defaultLearningRate;
    this.weightDecay = options.weightDecay ?? defaultWeightDecay;
  }

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
    noGrad(() => params.forEach((param, k) => this.updateParameter(param, grads[k])));
    this.iterations++;
  }

  /** Launches this optimizer's kernel for one parameter (step number: this.iterations + 1). */
  protected abstract updateParameter(param: Tensor, grad: Tensor): void;

  abstract getConfig(): Record<string, number | boolean>;

  /** Throws ValueError for a hyperparameter out of range (called on every step: they are mutable). */
  protected checkHyperparameters(): void {
    this.checkRange('learningRate', this.learningRate, 0, Infinity);
    this.checkRange('weightDecay', this.weightDecay, 0, Infinity);
  }

  protected checkRange(option: string, value: number, lo: number, hi: number): void {
    if (typeof value !== 'number' || !(value >= lo && value <= hi)) {
      throw new ValueError(`${this.name}: ${option} must be a number in [${lo}, ${hi}], got ${value}`);
    }
  }

  /** The uniform value of the decoupled weight decay: the fraction of each weight removed this step. */
  protected get decayFactor(): number {
    return this.learningRate * this.weightDecay;
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
  protected slot(param: Tensor, name: string, initialValue = 0): Tensor {
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

  /**
   * A one-element stand-in for a slot these options do not use: a kernel binds every buffer its WGSL
   * declares, and two writable bindings may not share a buffer, so each slot name gets its own.
   */
  protected unusedSlot(name: string): Tensor {
    let stand = this.unusedSlots.get(name);
    if (!stand) {
      stand = keep(full([1], 0));
      this.unusedSlots.set(name, stand);
    }
    return stand;
  }

  /** Frees every slot and resets `iterations`: the next step starts from fresh state. */
  dispose(): void {
    for (const slots of this.slots.values()) for (const state of slots.values()) state.dispose();
    for (const stand of this.unusedSlots.values()) stand.dispose();
    this.slots.clear();
    this.unusedSlots.clear();
    this.iterations = 0;
  }
}
