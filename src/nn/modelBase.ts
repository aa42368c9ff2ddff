// What Sequential and functional models share: the name, the activity guard, compile and the
// compiled pieces, the weights (get, set, count) and dispose. Subclasses say which layers they hold
// and how their outputs are named.
import { ValueError, formatValue } from '../errors';
import type { Tensor } from '../tensor';
import type { Optimizer } from '../optim';
import type { TensorLike } from '../ops/operand';
import type { CallOptions, Layer, SampleShape } from './layer';
import { ModelLayer } from './modelLayer';
import { ModelActivity } from './activity';
import { compileTraining, type CompileArgs, type CompiledTraining } from './compiled';
import { describeCompiled, disposeCompiled } from './compiledFunctions';
import { copyWeights, layerWeights, setWeightsOf, type NamedWeight } from './modelWeights';

export abstract class ModelBase {
  readonly name: string;
  /** Set by a callback (or the user) to stop fit after the current batch. */
  stopTraining = false;
  /** The fit / evaluate / trainOnBatch calls in progress (a second fit, or dispose mid-fit, is refused). */
  readonly activity: ModelActivity;
  private training: CompiledTraining | null = null;
  private frozen = false;
  private nested: ModelLayer | null = null;

  /** 'Sequential' or 'Functional' (Keras's class names, as a nested model's summary row and file show them). */
  abstract readonly className: 'Sequential' | 'Functional';

  /** Each layer once, in model order. */
  abstract readonly layers: Layer[];
  /** The names of the outputs (the layers making them): the keys of per-output losses and the prefixes of their logs. */
  abstract readonly outputNames: string[];

  constructor(name: string) {
    this.name = name;
    this.activity = new ModelActivity(name);
  }

  compile(args: CompileArgs): void {
    this.activity.assertUsable('compile');
    this.activity.assertNotTraining('compile');
    const training = compileTraining('compile', args, this.outputNames);
    this.training?.optimizer.dispose();
    disposeCompiled(this.training);
    this.training = training;
  }

  /** compile's `jit` setting; true before any compile (what predict runs by default). */
  compiledJit(): boolean {
    return this.training?.jit ?? true;
  }

  /**
   * The compiled programs behind fit / trainOnBatch, evaluate and predict (wg.jit's describe for
   * each made so far): cache counts, then per batch shape the ops, fused kernels and dispatches.
   */
  describeCompiled(): string {
    return describeCompiled(this, this.training);
  }

  /** The compiled optimizer, losses and metrics; throws when compile has not been called. */
  compiled(op: string): CompiledTraining {
    if (!this.training) throw new ValueError(`${op}: call model.compile({ optimizer, loss }) first`);
    return this.training;
  }

  get optimizer(): Optimizer | null {
    return this.training?.optimizer ?? null;
  }

  /**
   * Keras's model.trainable: setting it sets every layer's (so a frozen base model can have a
   * layer unfrozen again); while false the model has no trainable weights.
   */
  get trainable(): boolean {
    return !this.frozen;
  }

  set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw new ValueError(`${this.name}: trainable must be true or false, got ${formatValue(value)}`);
    for (const layer of this.layers) layer.trainable = value;
    this.frozen = !value;
  }

  /** Sets the model's own flag only, its layers keeping theirs (as a loaded config restores them). */
  restoreTrainable(value: boolean): void {
    this.frozen = !value;
  }

  get trainableWeights(): Tensor[] {
    return this.trainable ? this.layers.flatMap((layer) => layer.trainableWeights) : [];
  }

  /** The model as a layer of another model (one per model, so applying it twice shares its weights). */
  asLayer(): ModelLayer {
    this.nested ??= new ModelLayer(this);
    this.nested.refreshWeights();
    return this.nested;
  }

  abstract readonly isBuilt: boolean;
  abstract nestedInputShapes(): SampleShape[] | null;
  abstract nestedOutputCount(): number;
  abstract outputShapesFor(op: string, inputShapes: readonly SampleShape[]): number[][];
  abstract buildFor(inputShapes: readonly SampleShape[]): void;
  abstract applyAll(xs: readonly Tensor[], options: CallOptions): Tensor[];
  abstract nestedConfig(): Record<string, unknown>;

  /**
   * Every weight once (a shared layer's once), in layer order, named as save() names them:
   * `<layer key>/<weight>`, the key being the layer's class numbered within this model (dense/kernel,
   * dense_1/bias), so the same architecture gives the same names however many models came before.
   */
  namedWeights(): NamedWeight[] {
    return layerWeights(this.layers);
  }

  /** Copies of every weight, in layer order (the caller owns them). */
  getWeights(): Tensor[] {
    return copyWeights(this.namedWeights());
  }

  /** Overwrites every weight, in getWeights order; all shapes are checked before anything changes. */
  setWeights(given: readonly TensorLike[]): void {
    setWeightsOf(this.namedWeights(), given);
  }

  countParams(): number {
    return this.layers.reduce((total, layer) => total + layer.countParams(), 0);
  }

  /** Releases every weight and the optimizer; refused while a fit, evaluate or trainOnBatch runs. */
  dispose(): void {
    this.activity.markDisposed();
    for (const layer of this.layers) layer.dispose();
    this.training?.optimizer.dispose();
    disposeCompiled(this.training, this);
    this.training = null;
  }
}
