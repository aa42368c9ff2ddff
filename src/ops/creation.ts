// Creating tensors: from CPU data (one upload) or filled on the GPU.
import fillSource from '../../shaders/fill.wgsl';
import { ShapeError, ValueError, formatShape } from '../errors';
import { defineKernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { encodeUpload } from '../runtime/commands';
import { Tensor, type DType, type NestedArray } from '../tensor';
import { assertValidShape, sizeOf, type Shape } from '../shape';

const fillKernel = defineKernel('fill', fillSource);

export type TensorData = NestedArray | Float32Array | Int32Array | Uint8Array | readonly number[];

/** A tensor from nested arrays or a typed array; `shape` defaults to the nesting. */
export function tensor(data: TensorData, shape?: Shape, dtype?: DType): Tensor {
  const resolvedDtype: DType = dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
  const flat = flatten(data);
  const resolvedShape = shape ?? inferShape(data);
  assertValidShape('tensor', resolvedShape);
  if (sizeOf(resolvedShape) !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values cannot fill shape ${formatShape(resolvedShape)} (${sizeOf(resolvedShape)} elements)`);
  }
  const values = resolvedDtype === 'int32' ? Int32Array.from(flat, (v) => Math.trunc(v)) : Float32Array.from(flat);
  const result = Tensor.empty(resolvedShape, resolvedDtype);
  encodeUpload(result.buffer, values);
  return result;
}

function flatten(data: TensorData): ArrayLike<number> {
  if (typeof data === 'number') return [data];
  if (ArrayBuffer.isView(data)) return data;
  const out: number[] = [];
  const visit = (value: NestedArray | number): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'number') out.push(value);
    else throw new ValueError(`tensor: expected numbers or nested arrays of numbers, found ${typeof value}`);
  };
  visit(data as NestedArray);
  return out;
}

function inferShape(data: TensorData): number[] {
  if (typeof data === 'number') return [];
  if (ArrayBuffer.isView(data)) return [data.length];
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  checkRagged(data as NestedArray, shape, 0);
  return shape;
}

function checkRagged(value: NestedArray, shape: number[], depth: number): void {
  if (depth === shape.length) return;
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    throw new ShapeError(`tensor: nested arrays are ragged at depth ${depth} (expected length ${shape[depth]})`);
  }
  for (const item of value) checkRagged(item, shape, depth + 1);
}

/** A tensor with every element equal to `value`, written on the GPU. */
export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  assertValidShape('full', shape);
  const result = Tensor.empty(shape, dtype);
  const bits = new Uint32Array(dtype === 'int32' ? Int32Array.of(value).buffer : Float32Array.of(value).buffer)[0];
  launch(fillKernel, { buffers: { out: result.buffer }, uniforms: { count: result.size, bits }, threads: result.size });
  return result;
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t.dtype);
}

export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, t.dtype);
}
