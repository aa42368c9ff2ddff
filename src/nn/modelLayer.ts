// A model used as a layer of another, as Keras nests a Functional or Sequential model: each
// application is one node of the outer graph (applied twice, its weights are shared), and the
// inner model's weights are listed under the names its own file gives them (dense/kernel,
// functional/dense/kernel), so the outer model trains, counts, saves and loads them as its own.
import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { Layer, type CallOptions, type LayerConfig, type SampleShape, type WeightSpec } from './layer';
import { fileWeights } from './weightFiles';

/** What a model offers to be used as a layer (Sequential and Model implement it). */
export interface NestableModel {
  readonly name: string;
  readonly className: 'Sequential' | 'Functional';
  readonly layers: readonly Layer[];
  trainable: boolean;
  readonly trainableWeights: Tensor[];
  /** Whether every weight exists (a Sequential without an input shape builds on its first input). */
  readonly isBuilt: boolean;
  /** The input shapes once known (a Sequential's before its first input may not be). */
  nestedInputShapes(): SampleShape[] | null;
  nestedOutputCount(): number;
  /** The output shapes for these input shapes; refuses shapes the model does not take. */
  outputShapesFor(op: string, inputShapes: readonly SampleShape[]): number[][];
  buildFor(inputShapes: readonly SampleShape[]): void;
  applyAll(xs: readonly Tensor[], options: CallOptions): Tensor[];
  /** The architecture (layers, and for a functional model its graph), nested in the outer model's file. */
  nestedConfig(): Record<string, unknown>;
  countParams(): number;
  dispose(): void;
}

export class ModelLayer extends Layer {
  readonly className: 'Sequential' | 'Functional';

  constructor(readonly model: NestableModel) {
    super({ name: model.name, inputShape: model.nestedInputShapes()?.length === 1 ? model.nestedInputShapes()?.[0] : undefined }, model.className.toLowerCase());
    this.className = model.className;
    this.refreshWeights();
  }

  /** A functional model with several outputs returns a list from apply. */
  get returnsList(): boolean {
    return this.outputCount() > 1;
  }

  /** The inner model's weights under their file names, as they are now (re-read after each build). */
  refreshWeights(): void {
    this.weights.clear();
    for (const { name, tensor } of fileWeights(this.model, 'position')) this.weights.set(name, tensor);
  }

  override get built(): boolean {
    return this.model.isBuilt;
  }

  /** The inner model's flag: setting it sets every inner layer's, as Keras's model.trainable does. */
  override get trainable(): boolean {
    return this.model.trainable;
  }

  override set trainable(value: boolean) {
    this.model.trainable = value;
  }

  override get trainableWeights(): Tensor[] {
    return this.model.trainableWeights;
  }

  override countParams(): number {
    return this.model.countParams();
  }

  override outputCount(): number {
    return this.model.nestedOutputCount();
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    return this.computeOutputShapes([inputShape]);
  }

  override computeOutputShapes(inputShapes: readonly SampleShape[]): number[] {
    const shapes = this.outputShapesFor(inputShapes);
    if (shapes.length !== 1) throw new ValueError(`${this.name}: the model has ${shapes.length} outputs; only the functional API (apply) takes a layer with several`);
    return shapes[0];
  }

  override outputShapesFor(inputShapes: readonly SampleShape[]): number[][] {
    return this.model.outputShapesFor(this.name, inputShapes);
  }

  override buildInputs(inputShapes: readonly SampleShape[]): void {
    if (inputShapes.length === 1) {
      super.buildInputs(inputShapes);
      return;
    }
    this.model.buildFor(inputShapes);
    this.refreshWeights();
  }

  override weightSpecsFor(inputShapes: readonly SampleShape[]): WeightSpec[] {
    if (inputShapes.length === 1) return this.weightSpecs(inputShapes[0]);
    this.buildInputs(inputShapes);
    return this.describeWeights();
  }

  /** Described by building the inner model (a loader has already planned and sized its weights). */
  override weightSpecs(inputShape: SampleShape): WeightSpec[] {
    this.createWeights(inputShape);
    return this.describeWeights();
  }

  protected override createWeights(inputShape: SampleShape): void {
    this.model.buildFor([inputShape]);
    this.refreshWeights();
  }

  private describeWeights(): WeightSpec[] {
    return [...this.weights].map(([name, weight]) => ({
      name, shape: [...weight.shape], trainable: weight.trainable,
      initializer: () => {
        throw new ValueError(`${this.name}: the weights of a nested model are its own; weightSpecs only describes them`);
      },
    }));
  }

  call(x: Tensor, options: CallOptions): Tensor {
    return this.callInputs([x], options);
  }

  override callInputs(inputs: readonly Tensor[], options: CallOptions): Tensor {
    return this.callAll(inputs, options)[0];
  }

  override callAll(inputs: readonly Tensor[], options: CallOptions): Tensor[] {
    return this.model.applyAll(inputs, options);
  }

  getConfig(): Record<string, unknown> {
    return this.model.nestedConfig();
  }

  /** Keras's nesting: { className: 'Functional' | 'Sequential', config: { name, layers, ... } }. */
  override serialize(): LayerConfig {
    return { className: this.className, config: { name: this.name, ...(this.trainable ? {} : { trainable: false }), ...this.getConfig() } };
  }

  /** Disposing the outer model disposes the inner one (its weights are the outer model's too). */
  override dispose(): void {
    this.model.dispose();
    this.weights.clear();
  }
}
