// The Tensor: a shape and dtype over a GPU buffer. Data reaches the CPU only through data()/array().
import { DisposedTensorError, ShapeError, ValueError, formatShape } from './errors';
import { acquireBuffer, assertAllocatable, releaseBuffer } from './runtime/bufferPool';
import { encodeCopy, readBuffer } from './runtime/commands';
import { assertDeviceAlive, deviceGeneration } from './runtime/device';
import { poisonOf } from './runtime/poison';
import { trackBytes, trackTensor, untrackTensor } from './memory';
import { sizeOf, type Shape } from './shape';
import * as binaryOps from './ops/binary';
import * as unaryOps from './ops/unary';
import { gelu, type GeluOptions } from './ops/gelu';
import * as compareOps from './ops/compare';
import * as reduceOps from './ops/reduce';
import * as softmaxOps from './ops/softmax';
import * as movementOps from './ops/movement';
import * as indexingOps from './ops/indexing';
import { matmul, type MatmulOptions } from './ops/matmul';
import { cast } from './ops/cast';
import { asTensor, withOperand, type TensorLike } from './ops/operand';
import type { Axes } from './ops/reduce';

export type DType = 'float32' | 'int32';
const DTYPES: readonly DType[] = ['float32', 'int32'];
export type TypedArrayFor<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;
export type NestedArray = number | NestedArray[];

export const BYTES_PER_ELEMENT = 4;

/** A GPU buffer shared by a tensor and its reshaped views; released when the last one goes. */
class Storage {
  private refs = 0;
  /** The device it lives on (see `assertDeviceAlive`). */
  readonly generation = deviceGeneration();
  constructor(readonly buffer: GPUBuffer, readonly byteLength: number) {}
  retain(): void { this.refs++; }
  release(): void {
    if (--this.refs === 0) {
      releaseBuffer(this.buffer);
      if (this.isCurrent) trackBytes(-this.byteLength);
    }
  }
  /** Made on the current device; memory() stopped counting a lost device's tensors. */
  get isCurrent(): boolean {
    return this.generation === deviceGeneration();
  }
}

let nextTensorId = 0;

export class Tensor {
  readonly id = nextTensorId++;
  readonly shape: readonly number[];
  readonly size: number;
  /** Whether optimizers update this tensor (see `variable`). */
  trainable = false;
  private storage: Storage | null;
  private userDisposed = false;
  /** Tapes that saved this tensor for a backward pass; disposal waits for them. */
  private tapeHolds = 0;

  /**
   * @param isConstant an op-internal constant (a cached scalar such as the 2 in `mul(x, 2)`): not
   * counted by `memory()`, not owned by any tidy, and never disposed or overwritten.
   */
  private constructor(shape: Shape, readonly dtype: DType, storage: Storage, readonly isConstant = false) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.storage = storage;
    storage.retain();
    if (!isConstant) trackTensor(this);
  }

  /** A new tensor with fresh (uninitialized) GPU memory. Ops write it before anyone reads it. */
  static empty(shape: Shape, dtype: DType = 'float32'): Tensor {
    const storage = allocate(shape, dtype);
    trackBytes(storage.byteLength);
    return new Tensor(shape, dtype, storage);
  }

  /** Uninitialized memory for an op-internal constant (see `isConstant`); the caller fills it once. */
  static emptyConstant(shape: Shape, dtype: DType = 'float32'): Tensor {
    return new Tensor(shape, dtype, allocate(shape, dtype), true);
  }

  /** A tensor of another shape over the same buffer (no copy); the caller checks the sizes match. */
  static view(source: Tensor, shape: Shape, dtype: DType = source.dtype): Tensor {
    return new Tensor(shape, dtype, source.liveStorage('reshape'));
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.userDisposed;
  }

  /** Whether the GPU work that computed this tensor failed, so reading it throws that failure. */
  get isPoisoned(): boolean {
    return this.storage !== null && poisonOf(this.storage.buffer) !== null;
  }

  /** Whether the GPU device holding this tensor was lost (its values are gone; see DeviceLostError). */
  get isDeviceLost(): boolean {
    return this.storage !== null && !this.storage.isCurrent;
  }

  /** The GPU buffer, for kernels and research code that binds it directly. Row-major, 4 bytes an element. */
  get buffer(): GPUBuffer {
    return this.liveStorage('buffer').buffer;
  }

  /** Throws DisposedTensorError naming `op` when the tensor can no longer be used. */
  assertAlive(op: string): void {
    this.liveStorage(op);
  }

  private liveStorage(op: string): Storage {
    if (!this.storage || (this.userDisposed && this.tapeHolds === 0)) {
      throw new DisposedTensorError(`${op}: tensor #${this.id} ${formatShape(this.shape)} was disposed and cannot be used`);
    }
    assertDeviceAlive(this.storage.generation, `${op}: tensor #${this.id} ${formatShape(this.shape)}`);
    return this.storage;
  }

  /** Copies the values to the CPU; the only call that waits for the GPU. */
  async data(): Promise<Float32Array | Int32Array> {
    const bytes = await readBuffer(this.liveStorage('data').buffer, 0, this.size * BYTES_PER_ELEMENT);
    return this.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
  }

  /** The values as nested arrays shaped like the tensor (a number for a scalar). */
  async array(): Promise<NestedArray> {
    return nest(Array.from(await this.data()), this.shape);
  }

  /**
   * Overwrites this tensor's values with `value`'s, in place (how optimizers update variables).
   * Not recorded on any tape.
   */
  assign(value: Tensor): void {
    if (this.isConstant) throw new ShapeError('assign: cannot overwrite an op-internal constant');
    if (value.dtype !== this.dtype || value.size !== this.size) {
      throw new ShapeError(`assign: cannot write ${formatShape(value.shape)} ${value.dtype} into ${formatShape(this.shape)} ${this.dtype}`);
    }
    encodeCopy(value.liveStorage('assign').buffer, 0, this.liveStorage('assign').buffer, 0, this.size * BYTES_PER_ELEMENT);
  }

  /** Releases the GPU memory (deferred while a tape still needs this tensor for backward). */
  dispose(): void {
    if (this.userDisposed || this.isConstant) return;
    this.userDisposed = true;
    if (this.tapeHolds === 0) this.releaseStorage();
  }

  /** A tape saved this tensor for its backward pass. */
  holdForTape(): void {
    this.tapeHolds++;
  }

  releaseFromTape(): void {
    if (--this.tapeHolds === 0 && this.userDisposed) this.releaseStorage();
  }

  private releaseStorage(): void {
    const counted = this.storage?.isCurrent ?? false;
    this.storage?.release();
    this.storage = null;
    if (counted) untrackTensor();
  }

  // Every op as a method where that reads naturally: a.add(b).relu().sum().
  add(other: TensorLike): Tensor { return withOperand('add', other, 'other', (b) => binaryOps.add(this, b)); }
  sub(other: TensorLike): Tensor { return withOperand('sub', other, 'other', (b) => binaryOps.sub(this, b)); }
  mul(other: TensorLike): Tensor { return withOperand('mul', other, 'other', (b) => binaryOps.mul(this, b)); }
  div(other: TensorLike): Tensor { return withOperand('div', other, 'other', (b) => binaryOps.div(this, b)); }
  pow(other: TensorLike): Tensor { return withOperand('pow', other, 'other', (b) => binaryOps.pow(this, b)); }
  maximum(other: TensorLike): Tensor { return withOperand('maximum', other, 'other', (b) => binaryOps.maximum(this, b)); }
  minimum(other: TensorLike): Tensor { return withOperand('minimum', other, 'other', (b) => binaryOps.minimum(this, b)); }
  neg(): Tensor { return unaryOps.neg(this); }
  abs(): Tensor { return unaryOps.abs(this); }
  exp(): Tensor { return unaryOps.exp(this); }
  log(): Tensor { return unaryOps.log(this); }
  sqrt(): Tensor { return unaryOps.sqrt(this); }
  rsqrt(): Tensor { return unaryOps.rsqrt(this); }
  square(): Tensor { return unaryOps.square(this); }
  sin(): Tensor { return unaryOps.sin(this); }
  cos(): Tensor { return unaryOps.cos(this); }
  relu(): Tensor { return unaryOps.relu(this); }
  sigmoid(): Tensor { return unaryOps.sigmoid(this); }
  tanh(): Tensor { return unaryOps.tanh(this); }
  gelu(options?: GeluOptions): Tensor { return gelu(this, options); }
  softplus(): Tensor { return unaryOps.softplus(this); }
  equal(other: TensorLike): Tensor { return withOperand('equal', other, 'other', (b) => compareOps.equal(this, b)); }
  greater(other: TensorLike): Tensor { return withOperand('greater', other, 'other', (b) => compareOps.greater(this, b)); }
  greaterEqual(other: TensorLike): Tensor { return withOperand('greaterEqual', other, 'other', (b) => compareOps.greaterEqual(this, b)); }
  less(other: TensorLike): Tensor { return withOperand('less', other, 'other', (b) => compareOps.less(this, b)); }
  lessEqual(other: TensorLike): Tensor { return withOperand('lessEqual', other, 'other', (b) => compareOps.lessEqual(this, b)); }
  clip(lo: number, hi: number): Tensor { return compareOps.clip(this, lo, hi); }
  sum(axes?: Axes, keepDims = false): Tensor { return reduceOps.sum(this, axes, keepDims); }
  mean(axes?: Axes, keepDims = false): Tensor { return reduceOps.mean(this, axes, keepDims); }
  max(axes?: Axes, keepDims = false): Tensor { return reduceOps.max(this, axes, keepDims); }
  min(axes?: Axes, keepDims = false): Tensor { return reduceOps.min(this, axes, keepDims); }
  argmax(axis?: number, keepDims = false): Tensor { return reduceOps.argmax(this, axis, keepDims); }
  softmax(axis = -1): Tensor { return softmaxOps.softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return softmaxOps.logSoftmax(this, axis); }
  matmul(other: TensorLike, options?: MatmulOptions): Tensor { return withOperand('matmul', other, 'other', (b) => matmul(this, asTensor('matmul', b), options)); }
  reshape(shape: readonly number[]): Tensor { return movementOps.reshape(this, shape); }
  transpose(perm?: readonly number[]): Tensor { return movementOps.transpose(this, perm); }
  broadcastTo(shape: readonly number[]): Tensor { return movementOps.broadcastTo(this, shape); }
  slice(begin: readonly number[], size?: readonly number[]): Tensor { return movementOps.slice(this, begin, size); }
  gather(indices: TensorLike, axis = 0, batchDims = 0): Tensor { return withOperand('gather', indices, 'indices', (i) => indexingOps.gather(this, asTensor('gather', i, 'int32'), axis, batchDims), 'int32'); }
  cast(dtype: DType): Tensor { return cast(this, dtype); }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }
}

/** GPU memory for a tensor, refused before allocating when the dtype is unknown or the size past the device's limits. */
function allocate(shape: Shape, dtype: DType): Storage {
  if (!DTYPES.includes(dtype)) {
    throw new ValueError(`unknown dtype '${String(dtype)}' for a ${formatShape(shape)} tensor: webgrad supports ${DTYPES.map((d) => `'${d}'`).join(', ')}`);
  }
  const byteLength = sizeOf(shape) * BYTES_PER_ELEMENT;
  assertAllocatable(byteLength, `a ${formatShape(shape)} ${dtype} tensor`);
  return new Storage(acquireBuffer(byteLength), byteLength);
}

function nest(flat: number[], shape: Shape): NestedArray {
  if (shape.length === 0) return flat[0];
  const [first, ...rest] = shape;
  const chunk = sizeOf(rest);
  return Array.from({ length: first }, (_, i) => nest(flat.slice(i * chunk, (i + 1) * chunk), rest));
}
