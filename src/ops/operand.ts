// Turning what users pass (tensors, numbers, nested arrays, typed arrays) into tensors, and checking
// them, for every op.
import { ValueError } from '../errors';
import { Tensor, type DType, type NestedArray } from '../tensor';
import { fillWith, tensor } from './creation';

/** Numeric typed arrays an op accepts in place of a tensor (BigInt arrays are not numbers). */
export type NumericArray =
  | Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray;

/**
 * Anything an op accepts where a tensor is expected, as TF.js's convertToTensor: a number becomes a
 * scalar, a nested array a tensor of its nesting's shape, a typed array a 1-D tensor.
 */
export type TensorLike = Tensor | number | NumericArray | NestedArray | readonly NestedArray[];

/** Integer typed arrays become int32 (as TF.js infers); float ones and plain arrays float32. */
const INTEGER_ARRAYS = [Int32Array, Int16Array, Int8Array, Uint16Array, Uint8Array, Uint8ClampedArray];
const NUMERIC_ARRAYS = [...INTEGER_ARRAYS, Float32Array, Float64Array, Uint32Array];

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 20))}` : `a ${typeof value}`;
}

/**
 * A tensor for `value`. A number becomes a scalar of `dtype` (the other operand's dtype) when it
 * is an integer, else float32; an array becomes a new tensor (int32 when `dtype` asks for it, as for
 * indices, or for an integer typed array). Anything else is a TypeError naming the op and `argument`.
 * A tensor made here is the caller's to dispose.
 */
export function asTensor(op: string, value: unknown, dtype: DType = 'float32', argument?: string): Tensor {
  const what = argument ? `argument '${argument}'` : 'an argument';
  if (value instanceof Tensor) {
    value.assertAlive(op);
    return value;
  }
  if (typeof value === 'number') {
    const scalarDtype = dtype === 'int32' && Number.isInteger(value) ? 'int32' : 'float32';
    return scalarConstant(value, scalarDtype);
  }
  const typed = NUMERIC_ARRAYS.some((kind) => value instanceof kind);
  if (!typed && !Array.isArray(value)) {
    throw new TypeError(`${op}: ${what} must be a Tensor, a number, a typed array or a nested array of numbers, got ${describeValue(value)}`);
  }
  const arrayDtype: DType = INTEGER_ARRAYS.some((kind) => value instanceof kind) || (!typed && dtype === 'int32') ? 'int32' : 'float32';
  const values = typed ? (value as NumericArray) : (value as NestedArray[]);
  try {
    if (arrayDtype === 'int32' && !typed) assertIntegers(values as NestedArray[]);
    return tensor(values instanceof Float32Array || values instanceof Int32Array || Array.isArray(values) ? values : Float32Array.from(values), undefined, arrayDtype);
  } catch (error) {
    throw new TypeError(`${op}: ${what} is not a valid tensor value: ${(error as Error).message}`);
  }
}

function assertIntegers(values: NestedArray[]): void {
  const visit = (v: NestedArray): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'number' && !Number.isInteger(v)) throw new ValueError(`expected integers (int32 indices), found ${v}`);
  };
  values.forEach(visit);
}

/**
 * Numbers in ops (`mul(x, 2)`, `sub(1, y)`) become cached constant scalars: a training step
 * reuses the same few, so each is filled on the GPU once instead of once per use.
 */
const scalarConstants = new Map<string, Tensor>();
const MAX_SCALAR_CONSTANTS = 4096;

function scalarConstant(value: number, dtype: DType): Tensor {
  const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
  let constant = scalarConstants.get(key);
  // A constant made on a device since lost, or filled by work the GPU rejected, is made again.
  if (!constant || constant.isDeviceLost || constant.isPoisoned) {
    if (scalarConstants.size >= MAX_SCALAR_CONSTANTS) return fillWith(Tensor.empty([], dtype), value);
    constant = fillWith(Tensor.emptyConstant([], dtype), value);
    scalarConstants.set(key, constant);
  }
  return constant;
}

/** WGSL element type for a dtype, for rebinding a kernel's `Element` alias. */
export function wgslType(dtype: DType): 'f32' | 'i32' {
  return dtype === 'int32' ? 'i32' : 'f32';
}

export function assertFloat(op: string, tensor: Tensor): void {
  if (tensor.dtype !== 'float32') throw new ValueError(`${op}: expects a float32 tensor, got ${tensor.dtype}; cast it first`);
}

/**
 * The tensors one call made from its TensorLike arguments: `convert` each argument, then `release`
 * once the call is over (after its promise settles, for async calls such as fit).
 */
export class Conversions {
  private readonly made: Tensor[] = [];

  constructor(private readonly op: string) {}

  convert(value: unknown, argument: string, dtype: DType = 'float32'): Tensor {
    const converted = asTensor(this.op, value, value instanceof Tensor ? value.dtype : dtype, argument);
    if (converted !== value) this.made.push(converted);
    return converted;
  }

  /** Disposes what was made, except tensors that are (or are fields of) the call's result. */
  release(result?: unknown): void {
    const kept = result instanceof Tensor ? [result] : typeof result === 'object' && result !== null ? Object.values(result) : [];
    for (const tensor of this.made) if (!kept.includes(tensor)) tensor.dispose();
    this.made.length = 0;
  }

  /** Runs `call`, then releases; a promise releases when it settles. */
  around<R>(call: () => R): R {
    let result: R | undefined;
    try {
      result = call();
    } finally {
      if (!(result instanceof Promise)) this.release(result);
    }
    return result instanceof Promise ? (result.finally(() => this.release()) as R) : result;
  }
}

/**
 * `call` with `value` as a tensor, for Tensor methods (`x.add([1, 2])`); numbers stay numbers, for
 * the elementwise dtype rules. What was made is disposed after the call.
 */
export function withOperand<R>(op: string, value: unknown, argument: string, call: (operand: Tensor | number) => R, dtype: DType = 'float32'): R {
  if (typeof value === 'number') return call(value);
  const conversions = new Conversions(op);
  return conversions.around(() => call(conversions.convert(value, argument, dtype)));
}
