// The Layer base: named weights created on build from the input shape, a forward `call`, and a config.
import { ValueError, formatShape, formatValue } from '../errors';
import { keep } from '../memory';
import type { TensorLike } from '../ops/operand';
import type { Tensor } from '../tensor';
import { sizeOf } from '../shape';
import { getInitializer, type Initializer, type InitializerName } from './initializers';
import { copyWeights, setWeightsOf, type NamedWeight } from './modelWeights';
import { SymbolicTensor, connect } from './functional/symbolic';

/** Shapes without the batch dimension (Keras's inputShape convention). */
export type SampleShape = readonly number[];

export interface LayerArgs {
  name?: string;
  inputShape?: SampleShape;
}

/** What a layer serializes to: its class name and constructor options. */
export interface LayerConfig {
  className: string;
  config: Record<string, unknown>;
}

/** A weight a layer creates on build, described without creating it (so loaders can check sizes first). */
export interface WeightSpec {
  name: string;
  shape: number[];
  initializer: Initializer;
  trainable: boolean;
}

export interface CallOptions {
  /** Training mode: dropout active, batch statistics updated. */
  training: boolean;
}

/**
 * What `apply` returns for layer type L: one tensor, or a list for a layer that declares
 * `returnsList: true` (an LSTM or GRU built with `returnState: true`); either where that is known
 * only at run time.
 */
export type LayerOutput<L, T> = L extends { readonly returnsList: true } ? T[]
  : L extends { readonly returnsList: false } ? T
    : L extends { readonly returnsList: boolean } ? T | T[] : T;

function unwrapOne<T>(outputs: readonly T[]): T | T[] {
  return outputs.length === 1 ? outputs[0] : [...outputs];
}

const nameCounters = new Map<string, number>();

/** Keras-style unique names: dense, dense_1, dense_2, … */
export function uniqueLayerName(base: string): string {
  const count = nameCounters.get(base) ?? 0;
  nameCounters.set(base, count + 1);
  return count === 0 ? base : `${base}_${count}`;
}

/**
 * How many times any layer's `trainable` flag has changed: a layer may behave differently when
 * frozen (BatchNormalization runs in inference mode) without its trainable weights changing, so
 * compiled training steps key their programs on this too.
 */
let trainableFlagChanges = 0;

export function trainableFlagVersion(): number {
  return trainableFlagChanges;
}

export abstract class Layer {
  readonly name: string;
  readonly inputShape?: SampleShape;
  /** Weights by short name ('kernel', 'bias'), in creation order. */
  readonly weights = new Map<string, Tensor>();
  private builtFor: SampleShape | null = null;
  /** Whether the subclass overrides build (and makes its weights there with addWeight). */
  private readonly buildsItself: boolean = false;
  private frozen = false;

  constructor(args: LayerArgs, baseName: string) {
    const { name, inputShape } = args as { name?: unknown; inputShape?: unknown };
    // Keras's rule: weights are addressed as '<layer>/<weight>', so a '/' in a name is ambiguous.
    if (name !== undefined && (typeof name !== 'string' || name === '' || name.includes('/'))) {
      throw new ValueError(`${baseName}: name must be a non-empty string without '/', got ${formatValue(name)}`);
    }
    if (inputShape !== undefined && inputShape !== null
      && (!Array.isArray(inputShape) || !inputShape.every((dim) => Number.isSafeInteger(dim) && dim > 0))) {
      throw new ValueError(`${name ?? baseName}: inputShape must be an array of positive integers (without the batch dimension), got ${formatValue(inputShape)}`);
    }
    this.name = name ?? uniqueLayerName(baseName);
    // Keras's way to write a layer: override build(inputShape) and call this.addWeight there. Such a
    // build is wrapped (as Keras's build wrapper does) so it runs once, with the same checks and
    // clean-up as the built-in layers' build.
    if (this.build !== Layer.prototype.build) {
      const ownBuild = this.build;
      this.buildsItself = true;
      this.build = (inputShape: SampleShape) => this.buildOnce(inputShape, () => ownBuild.call(this, inputShape));
    }
    this.inputShape = Array.isArray(inputShape) ? [...inputShape as number[]] : undefined;
  }

  /** The layer's output shape for an input shape (both without the batch dimension); validates the input. */
  abstract computeOutputShape(inputShape: SampleShape): number[];

  /** Forward pass on a batch. */
  abstract call(x: Tensor, options: CallOptions): Tensor;

  /** Constructor options, for save/load. */
  abstract getConfig(): Record<string, unknown>;

  /**
   * Keras's `layer(x)`: on symbolic tensors (from wg.input) records a node of a functional graph
   * and returns its symbolic output; on real tensors builds if needed and computes (inference mode
   * unless `options` says training). A list applies a layer that takes several inputs (Add, Concatenate).
   */
  apply<L extends Layer>(this: L, inputs: SymbolicTensor | readonly SymbolicTensor[]): LayerOutput<L, SymbolicTensor>;
  apply<L extends Layer>(this: L, inputs: Tensor | readonly Tensor[], options?: CallOptions): LayerOutput<L, Tensor>;
  apply(inputs: SymbolicTensor | Tensor | readonly (SymbolicTensor | Tensor)[], options: CallOptions = { training: false }): SymbolicTensor | Tensor | SymbolicTensor[] | Tensor[] {
    const list = Array.isArray(inputs) ? inputs as (SymbolicTensor | Tensor)[] : [inputs as SymbolicTensor | Tensor];
    const symbolic = list.filter((item) => item instanceof SymbolicTensor);
    if (symbolic.length === list.length) return unwrapOne(connect(this, symbolic));
    if (symbolic.length > 0) throw new ValueError(`${this.name}: apply takes all symbolic tensors (from wg.input) or all real tensors, not a mix`);
    const tensors = list as Tensor[];
    for (const t of tensors) t.assertAlive(`${this.name}.apply`);
    this.buildInputs(tensors.map((t) => t.shape.slice(1)));
    return unwrapOne(this.callAll(tensors, options));
  }

  /** How many tensors the layer returns (several for, e.g., an LSTM with returnState). */
  outputCount(): number {
    return 1;
  }

  /** The shape of each output for the shapes of the inputs (one output by default). */
  outputShapesFor(inputShapes: readonly SampleShape[]): number[][] {
    return [this.computeOutputShapes(inputShapes)];
  }

  /** The forward pass returning every output (one by default). */
  callAll(inputs: readonly Tensor[], options: CallOptions): Tensor[] {
    return [this.callInputs(inputs, options)];
  }

  /** The weights build makes for these input shapes: weightSpecs of the only input; none for several (merge layers). */
  weightSpecsFor(inputShapes: readonly SampleShape[]): WeightSpec[] {
    return inputShapes.length === 1 ? this.weightSpecs(inputShapes[0]) : [];
  }

  /** The output shape for the shapes of several inputs; a one-input layer takes exactly one. */
  computeOutputShapes(inputShapes: readonly SampleShape[]): number[] {
    return this.computeOutputShape(this.singleInput(inputShapes));
  }

  /** Builds for the shapes of several inputs; a one-input layer takes exactly one. */
  buildInputs(inputShapes: readonly SampleShape[]): void {
    this.build(this.singleInput(inputShapes));
  }

  /** The forward pass on several inputs; a one-input layer takes exactly one. */
  callInputs(inputs: readonly Tensor[], options: CallOptions): Tensor {
    return this.call(this.singleInput(inputs), options);
  }

  private singleInput<T>(inputs: readonly T[]): T {
    if (inputs.length !== 1) throw new ValueError(`${this.name}: ${this.className} takes one input, got ${inputs.length}`);
    return inputs[0];
  }

  /**
   * Creates the weights for `inputShape` (those weightSpecs describes); none are left if one fails.
   * A subclass may override it, Keras's way, to create its weights with `this.addWeight(name,
   * shape, initializer)`: it then still runs once per layer.
   */
  build(inputShape: SampleShape): void {
    this.buildOnce(inputShape, () => this.createWeights(inputShape));
  }

  /** Runs `create` unless built already (for the same shape), disposing what it made if it throws. */
  private buildOnce(inputShape: SampleShape, create: () => void): void {
    if (this.builtFor) {
      if (formatShape(this.builtFor) !== formatShape(inputShape)) {
        throw new ValueError(`${this.name}: already built for input ${formatShape(this.builtFor)}, cannot take ${formatShape(inputShape)}`);
      }
      return;
    }
    this.computeOutputShape(inputShape);
    try {
      create();
      // Loaders plan allocations from weightSpecs, so what build made must be exactly that.
      const made = [...this.weights].map(([name, weight]) => `${name} ${formatShape(weight.shape)}`).join(', ');
      const described = this.buildsItself && this.weightSpecs === Layer.prototype.weightSpecs
        ? made
        : this.weightSpecs(inputShape).map(({ name, shape }) => `${name} ${formatShape(shape)}`).join(', ');
      if (made !== described) {
        throw new ValueError(`${this.name}: build made weights [${made}] but weightSpecs describes [${described}]; a layer that overrides createWeights must describe the same weights in weightSpecs`);
      }
    } catch (error) {
      this.dispose();
      throw error;
    }
    this.builtFor = [...inputShape];
  }

  get built(): boolean {
    return this.builtFor !== null;
  }

  /**
   * The weights build(inputShape) creates, in order; none by default. A layer that builds itself
   * (overrides build) is described by building it: loaders then allocate its weights while they
   * plan, and dispose them if the file is refused.
   */
  weightSpecs(inputShape: SampleShape): WeightSpec[] {
    if (!this.buildsItself) return [];
    this.build(inputShape);
    return [...this.weights].map(([name, weight]) => ({
      name, shape: [...weight.shape], trainable: weight.trainable,
      initializer: () => {
        throw new ValueError(`${this.name}: builds its own weights in build(); weightSpecs only describes them`);
      },
    }));
  }

  protected createWeights(inputShape: SampleShape): void {
    for (const { name, shape, initializer, trainable } of this.weightSpecs(inputShape)) this.addWeight(name, initializer(shape), trainable);
  }

  /**
   * Registers a weight: kept alive outside every tidy, trainable unless said otherwise. Given a
   * shape, creates it with `initializer` (default 'glorotUniform', Keras's) — the form to use in
   * an overridden build.
   */
  protected addWeight(name: string, value: Tensor, trainable?: boolean): Tensor;
  protected addWeight(name: string, shape: readonly number[], initializer?: InitializerName | Initializer, trainable?: boolean): Tensor;
  protected addWeight(name: string, valueOrShape: Tensor | readonly number[], initializerOrTrainable?: InitializerName | Initializer | boolean, trainableIfShape = true): Tensor {
    if (typeof name !== 'string' || name === '' || this.weights.has(name)) {
      throw new ValueError(`${this.name}: addWeight needs a new, non-empty weight name, got ${formatValue(name)}${this.weights.has(name) ? ' (already a weight of this layer)' : ''}`);
    }
    let value: Tensor;
    let trainable: boolean;
    if (Array.isArray(valueOrShape)) {
      if (!valueOrShape.every((dim) => Number.isSafeInteger(dim) && dim > 0)) {
        throw new ValueError(`${this.name}: addWeight('${name}') needs a shape of positive integers, got ${formatValue(valueOrShape)}`);
      }
      const initializer = initializerOrTrainable === undefined || typeof initializerOrTrainable === 'boolean' ? 'glorotUniform' : initializerOrTrainable;
      value = getInitializer(initializer)(valueOrShape);
      trainable = trainableIfShape;
    } else {
      value = valueOrShape as Tensor;
      trainable = typeof initializerOrTrainable === 'boolean' ? initializerOrTrainable : true;
    }
    keep(value);
    value.trainable = trainable;
    this.weights.set(name, value);
    return value;
  }

  /**
   * Keras's `layer.trainable`: false freezes the layer (transfer learning): its weights leave
   * trainableWeights, so fit leaves them as they are and summary counts them as non-trainable.
   * As in Keras, it takes effect at the next training step.
   */
  get trainable(): boolean {
    return !this.frozen;
  }

  set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw new ValueError(`${this.name}: trainable must be true or false, got ${formatValue(value)}`);
    if (this.frozen === value) trainableFlagChanges++;
    this.frozen = !value;
  }

  get trainableWeights(): Tensor[] {
    return this.trainable ? [...this.weights.values()].filter((w) => w.trainable) : [];
  }

  /** Copies of this layer's weights in creation order, as Keras's `get_weights` (the caller owns them). */
  getWeights(): Tensor[] {
    return copyWeights(this.ownNamedWeights());
  }

  /** Overwrites this layer's weights in getWeights order; every shape is checked before anything changes. */
  setWeights(given: readonly TensorLike[]): void {
    setWeightsOf(this.ownNamedWeights(), given, `layer ${this.name}`);
  }

  private ownNamedWeights(): NamedWeight[] {
    return [...this.weights].map(([name, tensor]) => ({ name: `${this.name}/${name}`, tensor }));
  }

  countParams(): number {
    return [...this.weights.values()].reduce((total, w) => total + sizeOf(w.shape), 0);
  }

  /** The registered class name (explicit, so minified bundles still save and load). */
  abstract readonly className: string;

  serialize(): LayerConfig {
    return {
      className: this.className,
      config: { name: this.name, ...(this.inputShape ? { inputShape: [...this.inputShape] } : {}), ...(this.trainable ? {} : { trainable: false }), ...this.getConfig() },
    };
  }

  dispose(): void {
    for (const weight of this.weights.values()) weight.dispose();
    this.weights.clear();
    this.builtFor = null;
  }
}
