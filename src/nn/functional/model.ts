// wg.model({ inputs, outputs }): Keras's functional model, a graph of layers between symbolic
// inputs and outputs, with the same compile / fit / evaluate / predict / summary as Sequential
// (one training loop serves both: see compiled.ts).
import { ShapeError, ValueError, formatShape } from '../../errors';
import { Tensor } from '../../tensor';
import { shapesEqual } from '../../shape';
import { Conversions, type TensorLike } from '../../ops/operand';
import type { Layer, SampleShape } from '../layer';
import { uniqueLayerName } from '../layer';
import { assertUniqueLayerNames } from '../sequential';
import { ModelBase } from '../modelBase';
import type { History, Logs } from '../callbacks';
import type { TrainableModel } from '../compiled';
import { evaluateModel, fitModel, predictModel, trainOnBatch, type EvaluateOptions, type FitOptions, type PredictOptions } from '../training';
import { functionalGraph, saveModel, type SaveOptions } from '../saveModel';
import type { Element } from '../../data/element';
import { isStream } from '../datasetBatches';
import { evaluateStream, fitStream, streamFitOptions, type EvaluateDatasetOptions, type FitDatasetOptions } from '../fitDataset';
import type { FunctionalArtifacts } from '../../io/functionalJson';
import { graphLayers, graphNodes, runGraph } from './graph';
import { formatFunctionalSummary } from './summary';
import { SymbolicTensor, type GraphNode } from './symbolic';

export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

/** Data for several inputs (or outputs): one array each, in order, or an object keyed by input (output) name. */
export type ModelData = TensorLike | TensorLike[] | Record<string, TensorLike>;

type ModelFitOptions = Omit<FitOptions, 'validationData'> & { validationData?: [ModelData, ModelData] };

export class Model extends ModelBase implements TrainableModel {
  readonly className = 'Functional';
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  /** Every node, each after the nodes feeding it (inputs first). */
  readonly nodes: GraphNode[];
  /** Each distinct layer once (a shared layer appears once), in the order of its first node. */
  readonly layers: Layer[];

  constructor(args: ModelArgs) {
    super(args.name ?? uniqueLayerName('functional'));
    this.inputs = symbolicList(this.name, 'inputs', args.inputs);
    this.outputs = symbolicList(this.name, 'outputs', args.outputs);
    const notInput = this.inputs.find((t) => t.node.inputs.length > 0);
    if (notInput) throw new ValueError(`${this.name}: inputs must come from wg.input(), but '${notInput.name}' is the output of a ${notInput.layer.className} layer`);
    for (const [what, list] of [['inputs', this.inputs], ['outputs', this.outputs]] as const) {
      const names = list.map((t) => t.name);
      const repeated = names.find((name, i) => names.indexOf(name) !== i);
      if (repeated !== undefined) throw new ValueError(`${this.name}: ${what} holds two tensors of layer '${repeated}'; each ${what === 'inputs' ? 'input' : 'output'} needs its own layer (its name labels the data and the logs)`);
    }
    this.nodes = graphNodes(this.name, this.inputs, this.outputs);
    this.layers = graphLayers(this.nodes);
    assertUniqueLayerNames(this.name, this.layers);
  }

  get inputNames(): string[] {
    return this.inputs.map((t) => t.name);
  }

  /** Keras's output names: the names of the layers that make the outputs (prefixes of the logs). */
  get outputNames(): string[] {
    return this.outputs.map((t) => t.name);
  }

  assertInputs(op: string, xs: readonly Tensor[]): void {
    this.activity.assertUsable(op);
    if (xs.length !== this.inputs.length) throw new ValueError(`${op}: ${this.name} takes ${this.inputs.length} input arrays (${this.inputNames.join(', ')}), got ${xs.length}`);
    xs.forEach((x, i) => {
      x.assertAlive(op);
      if (x.rank === 0) throw new ShapeError(`${op}: inputs need a batch dimension, got a scalar for '${this.inputs[i].name}'`);
      if (!shapesEqual(x.shape.slice(1), this.inputs[i].shape)) {
        throw new ShapeError(`${op}: input '${this.inputs[i].name}' expects shape [batch,${this.inputs[i].shape.join(',')}], got ${formatShape(x.shape)}`);
      }
    });
  }

  applyAll(xs: readonly Tensor[], options: { training: boolean }): Tensor[] {
    return runGraph(this.nodes, this.inputs, this.outputs, xs, options);
  }

  /**
   * The forward pass on one batch (recorded when a tape is recording): a tensor, or one per output.
   * On symbolic tensors (one per input), the model applied as a layer of another functional graph
   * (Keras's `model(x)`): a symbolic tensor, or one per output.
   */
  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor | SymbolicTensor[];
  apply(x: Tensor | readonly Tensor[], options?: { training: boolean }): Tensor | Tensor[];
  apply(x: Tensor | SymbolicTensor | readonly (Tensor | SymbolicTensor)[], options: { training: boolean } = { training: false }): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const xs: unknown[] = Array.isArray(x) ? [...x] : [x];
    if (xs.every((item) => item instanceof SymbolicTensor)) return this.asLayer().apply(xs as SymbolicTensor[]);
    if (!xs.every((item) => item instanceof Tensor)) {
      throw new ValueError(`apply: ${this.name} takes real tensors, or symbolic tensors (to use the model as a layer), not a mix`);
    }
    this.assertInputs('apply', xs as Tensor[]);
    return this.unwrap(this.applyAll(xs as Tensor[], options));
  }

  readonly isBuilt = true;

  nestedInputShapes(): SampleShape[] {
    return this.inputs.map((t) => [...t.shape]);
  }

  nestedOutputCount(): number {
    return this.outputs.length;
  }

  outputShapesFor(op: string, inputShapes: readonly SampleShape[]): number[][] {
    if (inputShapes.length !== this.inputs.length) throw new ValueError(`${op}: the model '${this.name}' takes ${this.inputs.length} inputs (${this.inputNames.join(', ')}), got ${inputShapes.length}`);
    inputShapes.forEach((shape, i) => {
      if (!shapesEqual(shape, this.inputs[i].shape)) {
        throw new ShapeError(`${op}: input '${this.inputs[i].name}' of the model '${this.name}' expects ${formatShape(this.inputs[i].shape)}, got ${formatShape(shape)}`);
      }
    });
    return this.outputs.map((t) => [...t.shape]);
  }

  /** Built when made: only checks the shapes. */
  buildFor(inputShapes: readonly SampleShape[]): void {
    this.outputShapesFor(this.name, inputShapes);
  }

  nestedConfig(): Record<string, unknown> {
    return { ...functionalGraph(this) };
  }

  outputShapes(): SampleShape[] {
    return this.outputs.map((t) => [...t.shape]);
  }

  inputConsumers(): Layer[][] {
    return this.inputs.map((input) => this.nodes.filter((node) => node.inputs.includes(input)).map((node) => node.layer));
  }

  /** Keras's fit: x one array per input (or keyed by input name), y one per output (or keyed by output name); or fit(dataset, options). */
  fit(dataset: AsyncIterable<Element>, options?: FitDatasetOptions<ModelData>): Promise<History>;
  fit(x: ModelData, y: ModelData, options?: ModelFitOptions): Promise<History>;
  fit(x: ModelData | AsyncIterable<Element>, y?: ModelData | FitDatasetOptions<ModelData>, options?: ModelFitOptions): Promise<History> {
    if (isStream(x)) return this.fitOnStream('fit', x, streamFitOptions('fit', y, options));
    const data = new Conversions('fit');
    const given = (options ?? {}).validationData;
    return data.around(() => {
      const validationData: [Tensor[], Tensor[]] | undefined = given && [this.inputArrays('fit', data, given[0], 'validationData[0]'), this.outputArrays('fit', data, given[1], 'validationData[1]')];
      return fitModel(this, this.inputArrays('fit', data, x, 'x'), this.outputArrays('fit', data, y as ModelData, 'y'), { ...options, validationData });
    });
  }

  /** TF.js's fitDataset: trains on a stream of { xs, ys } (or [x, y]) batches, xs and ys per input and output as in fit. */
  fitDataset(dataset: AsyncIterable<Element>, options: FitDatasetOptions<ModelData> = {}): Promise<History> {
    return this.fitOnStream('fitDataset', dataset, options);
  }

  /** TF.js's evaluateDataset: the mean loss and metrics over one pass of a stream. */
  evaluateDataset(dataset: AsyncIterable<Element>, options: EvaluateDatasetOptions = {}): Promise<Logs> {
    return evaluateStream(this, 'evaluateDataset', dataset, { inputs: this.inputNames, outputs: this.outputNames }, options);
  }

  /** fitDataset's body; `op` names the call (fit or fitDataset) in errors. */
  private fitOnStream(op: string, dataset: AsyncIterable<Element>, options: FitDatasetOptions<ModelData>): Promise<History> {
    const data = new Conversions(op);
    return data.around(() => {
      const given = options.validationData;
      const pair: [Tensor[], Tensor[]] | null = Array.isArray(given) ? [this.inputArrays(op, data, given[0] as ModelData, 'validationData[0]'), this.outputArrays(op, data, given[1] as ModelData, 'validationData[1]')] : null;
      return fitStream(this, op, dataset, { inputs: this.inputNames, outputs: this.outputNames }, options, pair);
    });
  }

  evaluate(x: ModelData, y: ModelData, options: EvaluateOptions = {}): Promise<Logs> {
    const data = new Conversions('evaluate');
    return data.around(() => evaluateModel(this, this.inputArrays('evaluate', data, x, 'x'), this.outputArrays('evaluate', data, y, 'y'), options));
  }

  /** Predictions (inference mode): a tensor for one output, a list in output order for several. */
  predict(x: ModelData, options: PredictOptions = {}): Tensor | Tensor[] {
    const data = new Conversions('predict');
    return data.around(() => this.unwrap(predictModel(this, this.inputArrays('predict', data, x, 'x'), options)));
  }

  trainOnBatch(x: ModelData, y: ModelData): Promise<Logs> {
    const data = new Conversions('trainOnBatch');
    return data.around(() => trainOnBatch(this, this.inputArrays('trainOnBatch', data, x, 'x'), this.outputArrays('trainOnBatch', data, y, 'y')));
  }

  /** The graph as JSON and the weights as safetensors bytes (see wg.loadModel). */
  save(options: SaveOptions = {}): Promise<FunctionalArtifacts> {
    return saveModel(this, options);
  }

  /** Keras's functional summary: layer and type, output shape, parameters, and the layers each node reads. */
  summary(): string {
    return formatFunctionalSummary(this);
  }

  private unwrap(outputs: Tensor[]): Tensor | Tensor[] {
    return this.outputs.length === 1 ? outputs[0] : outputs;
  }

  private inputArrays(op: string, data: Conversions, value: ModelData, what: string): Tensor[] {
    return toArrays(op, data, value, what, this.inputNames, 'input', this.inputs.map((t) => t.dtype));
  }

  private outputArrays(op: string, data: Conversions, value: ModelData, what: string): Tensor[] {
    return toArrays(op, data, value, what, this.outputNames, 'output', this.outputs.map(() => 'float32'));
  }
}

/** Keras's `keras.Model(inputs, outputs)` as TF.js spells it: `wg.model({ inputs, outputs, name })`. */
export function model(args: ModelArgs): Model {
  return new Model(args);
}

function symbolicList(modelName: string, what: string, value: unknown): SymbolicTensor[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((item) => item instanceof SymbolicTensor)) {
    throw new ValueError(`${modelName}: ${what} must be a symbolic tensor (from wg.input() or layer.apply) or a non-empty list of them`);
  }
  return list as SymbolicTensor[];
}

/**
 * The arrays for `names` (the inputs or the outputs) from data given as one array (one name), a
 * list in order, or an object keyed by name. A nested number array is one array, never a list.
 */
function toArrays(op: string, data: Conversions, value: ModelData, what: string, names: readonly string[], kind: string, dtypes: readonly ('float32' | 'int32')[]): Tensor[] {
  const isList = Array.isArray(value) && value.length === names.length && (names.length > 1 || value[0] instanceof Tensor);
  if (isList) return (value as TensorLike[]).map((item, i) => data.convert(item, `${what}[${i}]`, dtypes[i]));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const byName = value as Record<string, TensorLike>;
    const unknown = Object.keys(byName).find((key) => !names.includes(key));
    if (unknown !== undefined) throw new ValueError(`${op}: ${what} names ${kind} '${unknown}'; the ${kind}s are ${names.join(', ')}`);
    const missing = names.find((name) => !Object.hasOwn(byName, name));
    if (missing !== undefined) throw new ValueError(`${op}: ${what} has no array for ${kind} '${missing}'`);
    return names.map((name, i) => data.convert(byName[name], `${what}.${name}`, dtypes[i]));
  }
  if (names.length > 1) {
    throw new ValueError(`${op}: ${what} must be a list of ${names.length} arrays (one per ${kind}: ${names.join(', ')}) or an object keyed by ${kind} name`);
  }
  return [data.convert(value, what, dtypes[0])];
}
