// batch()'s stacking: the values found at the same place in n elements become one tensor with a
// leading batch dimension of n. Host values (numbers, typed arrays, nested arrays) are packed into
// one typed array and uploaded once; tensors are stacked on the GPU.
import { ShapeError, ValueError, formatShape } from '../errors';
import { noGrad } from '../autograd/recorder';
import { tidy } from '../memory';
import { Tensor, type DType } from '../tensor';
import { tensor } from '../ops/creation';
import { concat, reshape } from '../ops/movement';
import { rememberUploaded } from './uploaded';
import { disposeElement, isNumericArray, mapValues, structureOf, valuesOf, type DataValue, type Element } from './element';

/** Integer typed arrays batch to int32, as webgrad converts them everywhere (TF.js's inference). */
const INTEGER_ARRAYS = [Int32Array, Int16Array, Int8Array, Uint16Array, Uint8Array, Uint8ClampedArray];

/**
 * One element whose values are tensors [n, ...] from `elements` (which it consumes: their tensors
 * are disposed, also on an error). Errors name the batch as `batchIndex + 1` (the first is batch 1).
 */
export function collate(elements: readonly Element[], batchIndex: number): Element {
  try {
    const structure = structureOf(elements[0]);
    elements.forEach((element, i) => {
      if (structureOf(element) !== structure) {
        throw new ValueError(`batch: element ${i} of batch ${batchIndex + 1} is laid out as ${structureOf(element)} but element 0 as ${structure}`);
      }
    });
    const columns = elements.map((element) => valuesOf(element));
    const made: Tensor[] = [];
    let column = 0;
    try {
      return mapValues(elements[0], (_, path) => {
        const stacked = stack(columns.map((values) => values[column].value), batchIndex, path);
        column++;
        made.push(stacked);
        return stacked;
      });
    } catch (error) {
      made.forEach((t) => t.dispose());
      throw error;
    }
  } finally {
    elements.forEach((element) => disposeElement(element));
  }
}

function stack(values: readonly DataValue[], batchIndex: number, path: string): Tensor {
  const where = `batch ${batchIndex + 1}${path ? `, ${path}` : ''}`;
  const shapes = values.map(shapeOf);
  const dtypes = values.map(dtypeOf);
  values.forEach((value, i) => {
    if ((value instanceof Tensor) !== (values[0] instanceof Tensor)) {
      throw new ValueError(`batch: ${where}: element ${i} holds ${value instanceof Tensor ? 'a tensor' : 'a host array'} where element 0 holds ${values[0] instanceof Tensor ? 'a tensor' : 'a host array'}`);
    }
    if (shapes[i].join(',') !== shapes[0].join(',')) {
      throw new ShapeError(`batch: ${where}: element ${i} has shape ${formatShape(shapes[i])} but element 0 has ${formatShape(shapes[0])}`);
    }
    if (dtypes[i] !== dtypes[0]) throw new ValueError(`batch: ${where}: element ${i} is ${dtypes[i]} but element 0 is ${dtypes[0]}`);
  });
  if (values[0] instanceof Tensor) {
    const tensors = values as readonly Tensor[];
    tensors.forEach((t) => t.assertAlive('batch'));
    return noGrad(() => tidy(() => concat(tensors.map((t) => reshape(t, [1, ...t.shape])), 0)));
  }
  const size = shapes[0].reduce((product, dim) => product * dim, 1);
  const packed = dtypes[0] === 'int32' ? new Int32Array(size * values.length) : new Float32Array(size * values.length);
  values.forEach((value, i) => {
    if (typeof value === 'number') packed[i * size] = value;
    else if (isNumericArray(value)) packed.set(value, i * size);
    else packed.set((value as unknown[]).flat(Infinity) as number[], i * size);
  });
  const stacked = tensor(packed, [values.length, ...shapes[0]], dtypes[0]);
  rememberUploaded(stacked, packed);
  return stacked;
}

function shapeOf(value: DataValue): number[] {
  if (value instanceof Tensor) return [...value.shape];
  if (typeof value === 'number') return [];
  if (isNumericArray(value)) return [value.length];
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  return shape;
}

function dtypeOf(value: DataValue): DType {
  if (value instanceof Tensor) return value.dtype;
  return INTEGER_ARRAYS.some((kind) => value instanceof kind) ? 'int32' : 'float32';
}
