// The Tensor: a shape and dtype over a GPU buffer. Data reaches the CPU only through data()/array().
import { DisposedTensorError, ShapeError, ValueError, formatShape } from './errors';
import { acquireBuffer, assertAllocatable, releaseBuffer } from './runtime/bufferPool';
import { markConstantBuffer } from './runtime/capture';
import { encodeCopy, readBuffer, readBuffers } from './runtime/commands';
import { assertDeviceAlive, deviceGeneration } from './runtime/device';
import { poisonOf } from './runtime/poison';
import { trackBytes, trackTensor, untrackTensor } from './memory';
import { sizeOf, type Shape } from './shape';
import type { GeluOptions } from './ops/gelu';
import type { MatmulOptions } from './ops/matmul';
import type { ElementwiseMethods } from './ops/methods';
import type { TensorLike } from './ops/operand';
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
  /** Why a later use fails, when something other than the user disposed it (see `retire`). */
  private retiredBecause: ((op: string) => Error) | null = null;

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
    const storage = allocate(shape, dtype);
    markConstantBuffer(storage.buffer);
    return new Tensor(shape, dtype, storage, true);
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
      if (this.retiredBecause) throw this.retiredBecause(op);
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

  /** Several tensors' values in one wait for the GPU, as `data()` reads each (fit's logs). */
  static async dataOfAll(tensors: readonly Tensor[]): Promise<(Float32Array | Int32Array)[]> {
    const ranges = tensors.map((t) => ({ source: t.liveStorage('data').buffer, byteOffset: 0, byteLength: t.size * BYTES_PER_ELEMENT }));
    const bytes = await readBuffers(ranges);
    let offset = 0;
    return tensors.map((t) => {
      const values = t.dtype === 'int32' ? new Int32Array(bytes, offset, t.size) : new Float32Array(bytes, offset, t.size);
      offset += t.size * BYTES_PER_ELEMENT;
      return values;
    });
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

  /**
   * Disposes a tensor its maker owns (wg.jit, for a traced function's intermediates); a later use
   * by `op` throws `because(op)` instead of DisposedTensorError.
   */
  retire(because: (op: string) => Error): void {
    this.retiredBecause = because;
    this.dispose();
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

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype})`;
  }
}

/**
 * Every op as a method where that reads naturally: a.add(b).relu().sum(). Declared here so the
 * type is whole wherever Tensor is (the elementwise ones derived from the op table's rows flagged
 * `method`); installed on the prototype by src/ops/methods.ts, so this module imports no op (the
 * ops import it).
 */
export interface TensorMethods extends ElementwiseMethods {
  gelu(options?: GeluOptions): Tensor;
  clip(lo: number, hi: number): Tensor;
  sum(axes?: Axes, keepDims?: boolean): Tensor;
  mean(axes?: Axes, keepDims?: boolean): Tensor;
  max(axes?: Axes, keepDims?: boolean): Tensor;
  min(axes?: Axes, keepDims?: boolean): Tensor;
  argmax(axis?: number, keepDims?: boolean): Tensor;
  softmax(axis?: number): Tensor;
  logSoftmax(axis?: number): Tensor;
  matmul(other: TensorLike, options?: MatmulOptions): Tensor;
  reshape(shape: readonly number[]): Tensor;
  transpose(perm?: readonly number[]): Tensor;
  broadcastTo(shape: readonly number[]): Tensor;
  slice(begin: readonly number[], size?: readonly number[]): Tensor;
  gather(indices: TensorLike, axis?: number, batchDims?: number): Tensor;
  cast(dtype: DType): Tensor;
}
// Merges the methods into the class's type.
export interface Tensor extends TensorMethods {}

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
