// Sequential: a stack of layers with Keras's compile / fit / evaluate / predict / summary.
import { ShapeError, ValueError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { shapesEqual } from '../shape';
import type { Optimizer } from '../optim';
import type { LossFunction } from '../losses';
import type { MetricFunction } from '../metrics';
import type { Layer, SampleShape } from './layer';
import { uniqueLayerName } from './layer';
import { fitModel, evaluateModel, predictModel, trainOnBatch, type EvaluateOptions, type FitOptions, type PredictOptions } from './training';
import type { History, Logs } from './callbacks';
import type { TrainableModel } from './compiled';
import { formatSummary } from './summary';
import { ModelBase } from './modelBase';
import { Conversions, type TensorLike } from '../ops/operand';
import type { ModelArtifacts } from '../io/modelJson';
import { saveModel, type SaveOptions } from './saveModel';
import { SymbolicTensor } from './functional/symbolic';
import type { Element } from '../data/element';
import { isStream } from './datasetBatches';
import { evaluateStream, fitStream, streamFitOptions, type EvaluateDatasetOptions, type FitDatasetOptions } from './fitDataset';

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string | LossFunction;
  metrics?: (string | MetricFunction)[];
}

export type { CompiledTraining } from './compiled';

type SequentialFitOptions = Omit<FitOptions, 'validationData'> & { validationData?: [TensorLike, TensorLike] };

/**
 * Keras's rule: two layers of one model may not share a name (weights are addressed by it, so
 * the second would shadow the first).
 */
export function assertUniqueLayerNames(modelName: string, layers: readonly { name: string }[]): void {
  const counts = new Map<string, number>();
  for (const { name } of layers) counts.set(name, (counts.get(name) ?? 0) + 1);
  const repeated = [...counts].find(([, count]) => count > 1);
  if (repeated) throw new ValueError(`${modelName}: the name "${repeated[0]}" is used ${repeated[1]} times in the model. All layer names should be unique.`);
}

export class Sequential extends ModelBase implements TrainableModel {
  readonly className = 'Sequential';
  readonly layers: Layer[] = [];
  private sampleShape: SampleShape | null = null;

  /** Layers, or models used as layers (a Sequential or functional model is one row of this stack, as in Keras). */
  constructor(layers: (Layer | ModelBase)[] = [], args: { name?: string } = {}) {
    super(args.name ?? uniqueLayerName('sequential'));
    for (const layer of layers) this.add(layer);
  }

  /** Keras's output_names: the last layer's name. */
  get outputNames(): string[] {
    return [this.layers[this.layers.length - 1]?.name ?? this.name];
  }

  /** Appends a layer (or a model, as a layer); with a known input shape it is built now, so shape errors surface here. */
  add(item: Layer | ModelBase): void {
    if (item === this) throw new ValueError(`${this.name}: a model cannot be a layer of itself`);
    const layer = item instanceof ModelBase ? item.asLayer() : item;
    if (this.layers.includes(layer)) throw new ValueError(`${this.name}: layer '${layer.name}' was already added`);
    if (layer.outputCount() !== 1) {
      throw new ValueError(`${this.name}: layer '${layer.name}' returns ${layer.outputCount()} tensors; a Sequential model passes one from layer to layer (use the functional API, wg.model, for layers with several outputs)`);
    }
    assertUniqueLayerNames(this.name, [...this.layers, layer]);
    if (this.layers.length === 0 && layer.inputShape) this.sampleShape = [...layer.inputShape];
    else if (layer.inputShape && this.outputShape && !shapesEqual(layer.inputShape, this.outputShape)) {
      throw new ShapeError(`${this.name}: layer '${layer.name}' expects input ${formatShape(layer.inputShape)}, but the previous layer outputs ${formatShape(this.outputShape)}`);
    }
    const previousOutput = this.outputShape;
    if (previousOutput) layer.build(previousOutput);
    this.layers.push(layer);
  }

  /** The input shape without the batch dimension, once known. */
  get inputShape(): SampleShape | null {
    return this.sampleShape;
  }

  /** The output shape without the batch dimension, once the input shape is known. */
  get outputShape(): number[] | null {
    return this.sampleShape ? this.outputShapesFor(this.name, [this.sampleShape])[0] : null;
  }

  /** Builds every layer for samples of `sampleShape` (called by the first fit/predict when needed). */
  build(sampleShape: SampleShape): void {
    if (this.sampleShape && !shapesEqual(this.sampleShape, sampleShape)) {
      throw new ShapeError(`${this.name}: expected samples of shape ${formatShape(this.sampleShape)}, got ${formatShape(sampleShape)}`);
    }
    this.sampleShape = [...sampleShape];
    let shape: number[] = [...sampleShape];
    for (const layer of this.layers) {
      layer.build(shape);
      shape = layer.computeOutputShape(shape);
    }
  }

  /** Checks a batch's sample shape against the model's input and builds on first use. */
  assertInput(op: string, x: Tensor): void {
    this.activity.assertUsable(op);
    x.assertAlive(op);
    const sampleShape = x.shape.slice(1);
    if (x.rank === 0) throw new ShapeError(`${op}: inputs need a batch dimension, got a scalar`);
    if (this.sampleShape && !shapesEqual(sampleShape, this.sampleShape)) {
      throw new ShapeError(`${op}: the model expects inputs of shape [batch,${this.sampleShape.join(',')}], got ${formatShape(x.shape)}`);
    }
    if (!this.layers.every((layer) => layer.built) || !this.sampleShape) this.build(sampleShape);
  }

  /**
   * The forward pass on one batch (recorded when a tape is recording); on a symbolic tensor, the
   * model applied as a layer of a functional graph (Keras's `model(x)`).
   */
  apply(x: SymbolicTensor): SymbolicTensor;
  apply(x: Tensor, options?: { training: boolean }): Tensor;
  apply(x: Tensor | SymbolicTensor, options: { training: boolean } = { training: false }): Tensor | SymbolicTensor {
    if (x instanceof SymbolicTensor) return this.asLayer().apply(x) as SymbolicTensor;
    this.assertInput('apply', x);
    return this.layers.reduce((activations, layer) => layer.call(activations, options), x);
  }

  assertInputs(op: string, xs: readonly Tensor[]): void {
    if (xs.length !== 1) throw new ValueError(`${op}: ${this.name} takes one input array, got ${xs.length}`);
    this.assertInput(op, xs[0]);
  }

  applyAll(xs: readonly Tensor[], options: { training: boolean }): Tensor[] {
    return [this.apply(xs[0], options)];
  }

  outputShapes(): SampleShape[] {
    return [this.outputShape ?? []];
  }

  get isBuilt(): boolean {
    return this.sampleShape !== null && this.layers.every((layer) => layer.built);
  }

  nestedInputShapes(): SampleShape[] | null {
    return this.sampleShape ? [[...this.sampleShape]] : null;
  }

  nestedOutputCount(): number {
    return 1;
  }

  outputShapesFor(op: string, inputShapes: readonly SampleShape[]): number[][] {
    if (inputShapes.length !== 1) throw new ValueError(`${op}: the Sequential model '${this.name}' takes one input, got ${inputShapes.length}`);
    if (this.sampleShape && !shapesEqual(this.sampleShape, inputShapes[0])) {
      throw new ShapeError(`${op}: the Sequential model '${this.name}' expects input ${formatShape(this.sampleShape)}, got ${formatShape(inputShapes[0])}`);
    }
    return [this.layers.reduce<number[]>((shape, layer) => layer.computeOutputShape(shape), [...inputShapes[0]])];
  }

  buildFor(inputShapes: readonly SampleShape[]): void {
    this.outputShapesFor(this.name, inputShapes);
    this.build(inputShapes[0]);
  }

  nestedConfig(): Record<string, unknown> {
    return { inputShape: this.sampleShape ? [...this.sampleShape] : null, layers: this.layers.map((layer) => layer.serialize()) };
  }

  inputConsumers(): Layer[][] {
    return [this.layers.slice(0, 1)];
  }

  /**
   * Keras's fit. x and y may be TensorLike (nested or typed arrays), converted once for the call
   * and disposed after; or x is a dataset yielding { xs, ys } batches and y is left out (Keras 3's
   * fit(dataset); see fitDataset).
   */
  fit(dataset: AsyncIterable<Element>, options?: FitDatasetOptions<TensorLike>): Promise<History>;
  fit(x: TensorLike, y: TensorLike, options?: SequentialFitOptions): Promise<History>;
  fit(x: TensorLike | AsyncIterable<Element>, y?: TensorLike | FitDatasetOptions<TensorLike>, options?: SequentialFitOptions): Promise<History> {
    if (isStream(x)) return this.fitOnStream('fit', x, streamFitOptions('fit', y, options));
    const data = new Conversions('fit');
    const given = (options ?? {}).validationData;
    return data.around(() => {
      const validationData: [Tensor[], Tensor[]] | undefined = given && [[data.convert(given[0], 'validationData[0]')], [data.convert(given[1], 'validationData[1]')]];
      return fitModel(this, [data.convert(x, 'x')], [data.convert(y, 'y')], { ...options, validationData });
    });
  }

  /** TF.js's fitDataset: trains on a stream of { xs, ys } (or [x, y]) batches, each freed after its step. */
  fitDataset(dataset: AsyncIterable<Element>, options: FitDatasetOptions<TensorLike> = {}): Promise<History> {
    return this.fitOnStream('fitDataset', dataset, options);
  }

  /** TF.js's evaluateDataset: the mean loss and metrics over one pass of a stream. */
  evaluateDataset(dataset: AsyncIterable<Element>, options: EvaluateDatasetOptions = {}): Promise<Logs> {
    return evaluateStream(this, 'evaluateDataset', dataset, { inputs: null, outputs: this.outputNames }, options);
  }

  /** fitDataset's body; `op` names the call (fit or fitDataset) in errors. */
  private fitOnStream(op: string, dataset: AsyncIterable<Element>, options: FitDatasetOptions<TensorLike>): Promise<History> {
    const data = new Conversions(op);
    return data.around(() => {
      const given = options.validationData;
      const pair: [Tensor[], Tensor[]] | null = Array.isArray(given) ? [[data.convert(given[0], 'validationData[0]')], [data.convert(given[1], 'validationData[1]')]] : null;
      return fitStream(this, op, dataset, { inputs: null, outputs: this.outputNames }, options, pair);
    });
  }

  evaluate(x: TensorLike, y: TensorLike, options: EvaluateOptions = {}): Promise<Logs> {
    const data = new Conversions('evaluate');
    return data.around(() => evaluateModel(this, [data.convert(x, 'x')], [data.convert(y, 'y')], options));
  }

  /** Predictions for `x` as a Tensor (inference mode: dropout off, nothing recorded). */
  predict(x: TensorLike, options: PredictOptions = {}): Tensor {
    const data = new Conversions('predict');
    return data.around(() => predictModel(this, [data.convert(x, 'x')], options)[0]);
  }

  trainOnBatch(x: TensorLike, y: TensorLike): Promise<Logs> {
    const data = new Conversions('trainOnBatch');
    return data.around(() => trainOnBatch(this, [data.convert(x, 'x')], [data.convert(y, 'y')]));
  }

  /** The architecture as JSON and the weights as safetensors bytes (see wg.loadModel). */
  save(options: SaveOptions = {}): Promise<ModelArtifacts> {
    return saveModel(this, options);
  }

  /** A Keras-style table: layer name and type, output shape, parameter count, totals. */
  summary(): string {
    return formatSummary(this);
  }

}
