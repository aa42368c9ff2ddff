// Creating tensors: from CPU data (one upload) or filled on the GPU.
import fillSource from '../../shaders/fill.wgsl';
import arangeSource from '../../shaders/arange.wgsl';
import eyeSource from '../../shaders/eye.wgsl';
import { ShapeError, ValueError, formatShape } from '../errors';
import { encodeUpload } from '../runtime/commands';
import { Tensor, type DType, type NestedArray } from '../tensor';
import { assertValidShape, sizeOf, type Shape } from '../shape';
import { kernelOp, opKernel, type Dispatch } from './kernelOp';

const fillKernel = opKernel('fill', fillSource);

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
  return kernelOp('full', [], () => {
    assertValidShape('full', shape);
    return { output: { shape, dtype }, steps: (out) => [fillDispatch(out, value)] };
  });
}

/** Writes `value` into every element of `target` (a fresh tensor) and returns it. */
export function fillWith(target: Tensor, value: number): Tensor {
  return kernelOp('fill', [], () => ({ output: target, steps: (out) => [fillDispatch(out, value)] }));
}

/** The launch that writes `value` (as target's dtype) into every element of `target`. */
export function fillDispatch(target: Tensor, value: number): Dispatch {
  const bits = new Uint32Array(target.dtype === 'int32' ? Int32Array.of(value).buffer : Float32Array.of(value).buffer)[0];
  return { kernel: fillKernel, tensors: { out: target }, uniforms: { count: target.size, bits }, threads: target.size };
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

const arangeKernel = opKernel('arange', arangeSource);
const eyeKernel = opKernel('eye', eyeSource);

/**
 * Evenly spaced values in [start, stop), as NumPy's arange: arange(5) is 0, 1, 2, 3, 4 and
 * arange(1, 2, 0.25) is 1, 1.25, 1.5, 1.75. float32 by default; int32 needs whole-number arguments.
 */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  return kernelOp('arange', [], () => {
    const args = `arange(${from}, ${to}, ${step})`;
    if (![from, to, step].every(Number.isFinite)) throw new ValueError(`${args}: arguments must be finite numbers`);
    if (step === 0) throw new ValueError(`${args}: step must not be zero`);
    if (dtype === 'int32' && ![from, to, step].every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31)) {
      throw new ValueError(`${args}: int32 needs whole-number arguments within the int32 range`);
    }
    const length = Math.max(0, Math.ceil((to - from) / step));
    return {
      output: { shape: [length], dtype },
      steps: (out) => [{
        kernel: arangeKernel,
        tensors: { out },
        uniforms: { count: length, start: from, step },
        variant: { aliases: { Element: dtype === 'int32' ? 'i32' : 'f32' } },
        threads: length,
      }],
    };
  });
}

/** An [n, m] matrix with ones on the main diagonal and zeros elsewhere (m defaults to n). */
export function eye(n: number, m: number = n, dtype: DType = 'float32'): Tensor {
  return kernelOp('eye', [], () => {
    assertValidShape('eye', [n, m]);
    return {
      output: { shape: [n, m], dtype },
      steps: (out) => [{
        kernel: eyeKernel,
        tensors: { out },
        uniforms: { count: out.size, columns: m },
        variant: { aliases: { Element: dtype === 'int32' ? 'i32' : 'f32' } },
        threads: out.size,
      }],
    };
  });
}
