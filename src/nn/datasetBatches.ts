// fit's batches from a stream (a wg.data Dataset or any async iterable of { xs, ys } / [x, y]):
// each pulled, turned into the model's arrays, checked, used by one step and freed, so only the
// batches in flight occupy GPU memory and data larger than it trains.
import { ShapeError, ValueError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { flush } from '../runtime/commands';
import { Conversions } from '../ops/operand';
import { describe, disposeElement, isPlainObject, isValue, type Element } from '../data/element';
import type { Batch, BatchSource, EpochBatches } from './batchSource';
import { checkShapes, checkValues } from './dataChecks';
import type { CompiledTraining, TrainableModel } from './compiled';

/** Names a stream's keyed arrays may use: the model's inputs (null: a Sequential's one unnamed input) and outputs. */
export interface DataNames {
  inputs: readonly string[] | null;
  outputs: readonly string[];
}

export interface StreamSettings {
  /** Batches per epoch; undefined: one full pass of the stream per epoch. */
  limit: number | undefined;
  /** Keep one pass open across epochs (fitDataset's batchesPerEpoch), warning when it runs dry. */
  continuing: boolean;
}

/** A Dataset, an async generator, or any other async iterable. */
export function isStream(value: unknown): value is AsyncIterable<Element> {
  return typeof value === 'object' && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

export function streamBatches(op: string, stream: AsyncIterable<Element>, model: TrainableModel, training: CompiledTraining, names: DataNames, settings: StreamSettings): BatchSource {
  let open: AsyncIterator<Element> | null = null;
  let dry = false;
  let epochs = 0;
  let first: { dtypes: string; shapes: string } | null = null;
  const close = async (): Promise<void> => {
    const iterator = open;
    open = null;
    if (iterator && !dry) await iterator.return?.();
  };
  return {
    batchesPerEpoch: null,
    epoch(): EpochBatches {
      const epoch = epochs++;
      let pulled = 0;
      if (!settings.continuing) {
        open = null;
        dry = false;
      }
      return {
        async next(): Promise<Batch | null> {
          if (dry || (settings.limit !== undefined && pulled >= settings.limit)) return null;
          // Submit the queued step now, so the GPU runs it while the stream makes the next batch.
          flush();
          open ??= stream[Symbol.asyncIterator]();
          const result = await open.next();
          if (result.done) {
            dry = true;
            if (epoch === 0 && pulled === 0) throw new ValueError(`${op}: the dataset yielded no batches`);
            if (settings.continuing || pulled === 0) {
              console.warn(`${op}: the dataset ran out of data after ${pulled} batches of epoch ${epoch + 1}; training stops. Make sure it can yield batchesPerEpoch × epochs batches (repeat() it).`);
            }
            return null;
          }
          const where = `${op} (epoch ${epoch + 1}, batch ${pulled + 1})`;
          pulled++;
          const { arrays, owned } = modelArrays(where, result.value, names);
          try {
            const signature = { dtypes: [...arrays[0], ...arrays[1]].map((t) => t.dtype).join(','), shapes: [...arrays[0], ...arrays[1]].map((t) => formatShape(t.shape)).join(' ') };
            first ??= signature;
            if (signature.dtypes !== first.dtypes) {
              throw new ValueError(`${where}: the arrays ${signature.shapes} are ${signature.dtypes} but the first batch's ${first.shapes} were ${first.dtypes}`);
            }
            checkShapes(where, model, training, arrays[0], arrays[1]);
            await checkValues(where, model, training, arrays[0], arrays[1]);
          } catch (error) {
            owned.forEach((t) => t.dispose());
            throw error;
          }
          return { size: arrays[0][0].shape[0], arrays: () => arrays, release: () => owned.forEach((t) => t.dispose()) };
        },
        dispose: () => (settings.continuing ? undefined : close()),
      };
    },
    close,
  };
}

/** The inputs and labels of one streamed element, and every tensor fit now owns (to free after the step). */
function modelArrays(where: string, element: Element, names: DataNames): { arrays: [Tensor[], Tensor[]]; owned: Tensor[] } {
  const pair = isPlainObject(element) && Object.keys(element).sort().join() === 'xs,ys' ? [element.xs, element.ys]
    : Array.isArray(element) && !isValue(element) && (element as readonly Element[]).length === 2 ? element as readonly Element[] : null;
  if (!pair) {
    disposeElement(element);
    throw new ValueError(`${where}: a dataset for training yields { xs, ys } or [x, y], got ${describeElement(element)}`);
  }
  const conversions = new Conversions(where);
  const given: Tensor[] = [];
  try {
    const x = arraysOf(where, 'xs', pair[0], names.inputs, 'input', conversions, given);
    const y = arraysOf(where, 'ys', pair[1], names.outputs, 'output', conversions, given);
    return { arrays: [x, y], owned: [...new Set([...given, ...x, ...y])] };
  } catch (error) {
    conversions.release();
    disposeElement(element);
    throw error;
  }
}

/** One part of a pair as one tensor per model input (output): a value, a list, or an object keyed by name. */
function arraysOf(where: string, what: string, part: Element, names: readonly string[] | null, kind: string, conversions: Conversions, given: Tensor[]): Tensor[] {
  const convert = (value: Element, label: string): Tensor => {
    if (!isValue(value)) throw new ValueError(`${where}: ${label} must be a tensor or an array of numbers, got ${describeElement(value)}`);
    const tensor = conversions.convert(value, label);
    given.push(tensor);
    return tensor;
  };
  if (isValue(part)) return [convert(part, what)];
  if (Array.isArray(part)) return (part as readonly Element[]).map((item, i) => convert(item, `${what}[${i}]`));
  if (isPlainObject(part) && names) {
    const unknown = Object.keys(part).find((key) => !names.includes(key));
    if (unknown !== undefined) throw new ValueError(`${where}: ${what} names ${kind} '${unknown}'; the ${kind}s are ${names.join(', ')}`);
    return names.map((name) => {
      if (!Object.hasOwn(part, name)) throw new ValueError(`${where}: ${what} has no array for ${kind} '${name}'`);
      return convert(part[name], `${what}.${name}`);
    });
  }
  throw new ShapeError(`${where}: ${what} must be a tensor${names ? `, a list or an object keyed by ${kind} name` : ''}, got ${describeElement(part)}`);
}

function describeElement(element: unknown): string {
  if (isPlainObject(element)) return `an object with keys ${Object.keys(element).join(', ') || '(none)'}`;
  return describe(element);
}
