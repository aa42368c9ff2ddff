// The optimizer base: checks parameters against gradients and hyperparameters against their ranges,
// keeps per-parameter slot state (moments, accumulators) on the GPU, applies the decoupled weight
// decay, counts steps, evaluates the learning-rate schedule and reports the config. An optimizer
// itself is data: its hyperparameters and its UpdateRule (slots, double-precision constants, WGSL
// body) for the one kernel template, behind the gradient part every optimizer shares
// (gradientTransform.ts: accumulation and clipping). One dispatch updates a group of parameters.
import { noGrad } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { keep, tidy } from '../memory';
import { full } from '../ops/creation';
import { onEachCall, type UpdateSite } from '../runtime/capture';
import { launch } from '../runtime/launch';
import { shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { checkGradientOptions, gradientConfig, gradientKernelPart, gradientUniforms, squaredNorms, type GradientOptions, type GradientTransform } from './gradientTransform';
import { LearningRateSchedule, serialize, type SerializedSchedule } from './schedules';
import { tensorGroups } from './tensorGroups';
import { groupBuffers, groupEnds, perTensorBindings, sharedBindings, updateKernel, type UpdateRule } from './updateKernel';

/** Options every optimizer takes, as Keras's base optimizer does. */
export interface OptimizerOptions extends GradientOptions {
  /** A number, or a schedule evaluated at every step (see schedules.ts). */
  learningRate?: number | LearningRateSchedule;
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

/** getConfig's result: numbers and switches, the learning rate possibly a serialized schedule. */
export type OptimizerConfig = Record<string, number | boolean | SerializedSchedule>;

export abstract class Optimizer {
  readonly name: string;
  weightDecay: number;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly gradientAccumulationSteps: number | null;
  private readonly transform: GradientTransform;
  private fixedLearningRate = 0;
  private schedule: LearningRateSchedule | null = null;
  /**
   * applyGradients calls so far, accumulating ones included (Keras's `_iterations`): the step a
   * schedule sees, as Keras's "real" iterations.
   */
  private calls = 0;
  private readonly slots = new Map<Tensor, Map<string, Tensor>>();

  constructor(defaults: OptimizerDefaults, options: OptimizerOptions) {
    this.name = defaults.name;
    this.learningRate = options.learningRate ?? defaults.learningRate;
    this.weightDecay = options.weightDecay ?? defaults.weightDecay ?? 0;
    this.transform = checkGradientOptions(this.name, options);
    ({ clipnorm: this.clipnorm, clipvalue: this.clipvalue, globalClipnorm: this.globalClipnorm, gradientAccumulationSteps: this.gradientAccumulationSteps } = this.transform);
  }

  /**
   * Updates applied so far (Keras's `iterations`): with gradient accumulation, the applyGradients
   * calls divided by gradientAccumulationSteps, rounded down. Adam's bias correction uses iterations + 1.
   */
  get iterations(): number {
    const steps = this.gradientAccumulationSteps;
    return steps === null ? this.calls : Math.floor(this.calls / steps);
  }

  /**
   * The learning rate of the next step: the schedule's value at the steps taken so far, or the fixed
   * value. Read on every step, so a number may be changed between steps (ReduceLROnPlateau does);
   * assigning a schedule replaces the rate. An optimizer made with a schedule refuses a number
   * (TypeError, as Keras).
   */
  get learningRate(): number {
    return this.schedule ? this.schedule.call(this.calls) : this.fixedLearningRate;
  }

  set learningRate(value: number | LearningRateSchedule) {
    if (value instanceof LearningRateSchedule) {
      this.schedule = value;
      return;
    }
    if (this.schedule) {
      throw new TypeError(`${this.name}: this optimizer was created with a ${this.schedule.className} schedule as its learningRate, so its learning rate cannot be set to ${value}; create it with a number to set the rate`);
    }
    this.fixedLearningRate = value;
  }

  /** The schedule the learning rate follows, or null for a fixed rate. */
  get learningRateSchedule(): LearningRateSchedule | null {
    return this.schedule;
  }

  /** This optimizer's own numeric hyperparameters with their ranges, checked on every step (they are mutable). */
  protected abstract hyperparameters(): Record<string, Ranged>;

  /** Its switches (nesterov, amsgrad, centered), fixed at construction. */
  protected abstract flags(): Record<string, boolean>;

  /** What step `step` (1-based) does: slots, constants for this step, WGSL body. */
  protected abstract rule(step: number): UpdateRule;

  /**
   * One update of every parameter in place, from its gradient (same shape, float32): one dispatch
   * per group of parameters, as many per group as the device's storage bindings allow
   * (tensorGroups.ts). Validates everything before launching anything; reads nothing back to the
   * CPU. With gradient accumulation, every step launches the same kernels: all but every N-th only
   * add the gradient to the accumulator (a uniform says which), so a recorded step replays unchanged.
   */
  applyGradients(params: readonly Tensor[], grads: readonly Tensor[]): void {
    this.checkHyperparameters();
    if (params.length !== grads.length) {
      throw new ValueError(`${this.name}.applyGradients: ${params.length} parameters but ${grads.length} gradients`);
    }
    params.forEach((param, k) => this.checkPair(param, grads[k]));
    const steps = this.gradientAccumulationSteps;
    // Keras: the update runs when (_iterations + 1) % N == 0, with iterations = _iterations // N.
    const apply = steps === null || (this.calls + 1) % steps === 0;
    const rule = this.rule(this.iterations + 1);
    const part = gradientKernelPart(this.transform);
    let uniforms = this.stepUniforms(rule, apply);
    // Under wg.jit a replay redoes this CPU part per call: whether the call applies or only
    // accumulates, the step's constants (bias corrections, the scheduled learning rate), then the
    // call count, in the order an eager call does them.
    onEachCall(() => {
      this.checkHyperparameters();
      const applies = steps === null || (this.calls + 1) % steps === 0;
      uniforms = this.stepUniforms(this.rule(this.iterations + 1), applies);
    });
    noGrad(() => tidy(() => {
      const accumulators = steps === null ? null : params.map((param) => this.slot(param, 'gradientAccumulator', 0));
      const norms = squaredNorms(this.transform, grads, accumulators);
      const own = perTensorBindings(rule, part);
      const tensors = params.map((param, k) => {
        const buffers: Record<string, GPUBuffer> = { param: param.buffer, grad: grads[k].buffer };
        if (accumulators) buffers.gradientAccumulator = accumulators[k].buffer;
        if (norms) buffers.squaredNorm = norms[k].buffer;
        for (const [name, initialValue] of Object.entries(rule.slots)) buffers[name] = this.slot(param, name, initialValue).buffer;
        return { named: buffers, buffers: own.map((name) => buffers[name]), vec4Count: Math.ceil(param.size / 4), size: param.size };
      });
      const groupLaunch = (group: readonly (typeof tensors)[number][]) => {
        const ends = groupEnds(group.map(({ vec4Count }) => vec4Count));
        const threads = group.reduce((total, { vec4Count }) => total + vec4Count, 0);
        const buffers = groupBuffers(rule, part, group.map(({ named }) => named));
        return { kernel: updateKernel(this.name, rule, part, group.length), buffers, threads, refresh: () => ({ ...ends, ...uniforms }) };
      };
      // Only a rule that sees the gradient as it is can run where the gradient is made (src/jit/fuseUpdate.ts).
      const plain = part.storage.length === 0 && part.uniforms.length === 0;
      for (const group of tensorGroups(tensors, own.length, sharedBindings(part).length)) {
        const { kernel, buffers, threads, refresh } = groupLaunch(group);
        const update: UpdateSite = {
          name: this.name, slots: Object.keys(rule.slots), constants: Object.keys(rule.constants), body: rule.body,
          tensors: group.map(({ named, size }) => ({ param: named.param, grad: named.grad, slots: Object.fromEntries(Object.keys(rule.slots).map((slot) => [slot, named[slot]])), size })),
          values: () => uniforms,
          regroup: plain ? (keep) => groupLaunch(keep.map((k) => group[k])) : null,
        };
        launch(kernel, { buffers, uniforms: refresh(), threads, refresh, update });
      }
    }));
    this.calls++;
    onEachCall(() => { this.calls++; });
  }

  /**
   * A step's uniforms, in double precision like every constant: decay is the fraction of each
   * weight removed; the gradient options' values (and whether this call applies the rule).
   */
  private stepUniforms(rule: UpdateRule, apply: boolean): Record<string, number> {
    return { decay: this.learningRate * this.weightDecay, ...rule.constants, ...gradientUniforms(this.transform, apply) };
  }

  /**
   * Keras's config: learning rate (a serialized schedule when there is one), this optimizer's
   * hyperparameters and switches, weight decay, and the gradient options that are set.
   */
  getConfig(): OptimizerConfig {
    const values = Object.entries(this.hyperparameters()).map(([option, [value]]) => [option, value]);
    const learningRate = this.schedule ? serialize(this.schedule) : this.fixedLearningRate;
    return { learningRate, ...Object.fromEntries(values), ...this.flags(), weightDecay: this.weightDecay, ...gradientConfig(this.transform) };
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

  /** applyGradients calls so far (accumulating ones included): what a saved model records to train on as before. */
  get appliedSteps(): number {
    return this.calls;
  }

  /** `param`'s slots by name (none before its first step): what a saved model records beside it. */
  slotsOf(param: Tensor): ReadonlyMap<string, Tensor> {
    return this.slots.get(param) ?? new Map();
  }

  /** The names of the slots a step keeps for each parameter (the gradient accumulator included). */
  slotNames(): string[] {
    return [...Object.keys(this.rule(this.iterations + 1).slots), ...(this.gradientAccumulationSteps === null ? [] : ['gradientAccumulator'])];
  }

  /** Restores saved state on a fresh optimizer: the calls so far and slot values (taken over: kept, and disposed with it). */
  restoreState(calls: number, slots: readonly { param: Tensor; name: string; value: Tensor }[]): void {
    this.dispose();
    this.calls = calls;
    for (const { param, name, value } of slots) {
      if (!this.slots.has(param)) this.slots.set(param, new Map());
      (this.slots.get(param) as Map<string, Tensor>).set(name, keep(value));
    }
  }

  /** Frees every slot (gradient accumulators included) and resets `iterations`: the next step starts from fresh state. */
  dispose(): void {
    for (const slots of this.slots.values()) for (const state of slots.values()) state.dispose();
    this.slots.clear();
    this.calls = 0;
  }
}
