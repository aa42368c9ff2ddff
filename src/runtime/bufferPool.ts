// Reuses released GPU buffers by size class instead of creating and destroying one per op, up to a
// byte limit past which the buffers released longest ago are destroyed.
import { OutOfMemoryError, ValueError } from '../errors';
import { activeCapture } from './capture';
import { currentEncoder, destroyAfterSubmit, noteCreated, onAllocationFailure } from './commands';
import { getDevice, onDeviceLost } from './device';
import { BufferUsage } from './gpuFlags';
import { isUnallocated, markUnallocated, startLifetime } from './poison';
import { releaseStagingBuffer } from './stagingBuffers';

const MIN_BUFFER_BYTES = 16;
const DEFAULT_POOL_LIMIT_BYTES = 256 * 2 ** 20;

const freeBuffers = new Map<number, GPUBuffer[]>();
/** Every pooled buffer, in the order it was released: eviction takes the oldest first. */
const releaseOrder = new Set<GPUBuffer>();
/** Buffers of the current device; a lost device's buffers are never pooled or counted. */
let ownBuffers = new WeakSet<GPUBuffer>();
let bytesInPool = 0;
let bytesInUse = 0;
let poolLimitBytes = DEFAULT_POOL_LIMIT_BYTES;
let placeholder: GPUBuffer | null = null;
/** Buffers acquired and not yet released (what a compiled program checks its captured buffers against). */
let held = new WeakSet<GPUBuffer>();

onDeviceLost(() => {
  freeBuffers.clear();
  releaseOrder.clear();
  ownBuffers = new WeakSet();
  bytesInPool = 0;
  bytesInUse = 0;
  placeholder = null;
  held = new WeakSet();
});

/**
 * Rounds a request up to its size class: powers of two up to 1 MiB, then quarter steps between
 * powers of two, so reuse is likely and no buffer wastes more than a quarter of its size past 1 MiB.
 */
export function sizeClass(byteLength: number): number {
  const bytes = Math.max(MIN_BUFFER_BYTES, byteLength);
  const power = 2 ** Math.ceil(Math.log2(bytes));
  if (power <= 1 << 20) return power;
  const quarter = power / 8;
  return Math.ceil(bytes / quarter) * quarter;
}

/** The largest buffer a kernel can bind: both the buffer and its storage binding are limited. */
export function maxBufferBytes(): number {
  const { limits } = getDevice();
  return Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
}

/**
 * Throws OutOfMemoryError before anything is allocated when `byteLength` bytes (for a tensor of
 * `what`, e.g. "zeros [268435472] float32") exceed what the device can bind.
 */
export function assertAllocatable(byteLength: number, what: string): void {
  const limit = maxBufferBytes();
  if (byteLength > limit) {
    throw new OutOfMemoryError(
      `${what} needs ${byteLength} bytes, more than this device's largest storage buffer (${limit} bytes: ` +
      'the smaller of maxBufferSize and maxStorageBufferBindingSize)',
    );
  }
}

/**
 * A storage buffer of at least `byteLength` bytes, from the pool when one is free. A GPU that
 * cannot allocate it reports OutOfMemoryError at the next sync point; the buffer (with the others
 * created in the same batch) then counts as failed and never enters the pool.
 */
export function acquireBuffer(byteLength: number): GPUBuffer {
  const device = getDevice();
  assertAllocatable(byteLength, 'a buffer');
  // Size classes round up; near the limit, fall back to the exact (4-byte aligned) size.
  let size = sizeClass(byteLength);
  if (size > maxBufferBytes()) size = Math.ceil(byteLength / 4) * 4;
  const reusable = freeBuffers.get(size)?.pop();
  if (reusable) {
    releaseOrder.delete(reusable);
    bytesInPool -= size;
  }
  const buffer = reusable ?? createBuffer(device, size);
  bytesInUse += size;
  startLifetime(buffer);
  held.add(buffer);
  activeCapture()?.acquired(buffer);
  return buffer;
}

function createBuffer(device: GPUDevice, size: number): GPUBuffer {
  // Created inside the open batch's out-of-memory error scope (see commands.ts).
  currentEncoder();
  const buffer = device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
  noteCreated(buffer);
  ownBuffers.add(buffer);
  return buffer;
}

onAllocationFailure((buffers, error) => {
  for (const buffer of buffers) {
    markUnallocated(buffer, error);
    forget(buffer);
  }
  releasePool();
});

/** Takes a buffer out of the pool's books (it failed to allocate: it holds no memory). */
function forget(buffer: GPUBuffer): void {
  if (!releaseOrder.delete(buffer)) return;
  const list = freeBuffers.get(buffer.size);
  list?.splice(list.indexOf(buffer), 1);
  bytesInPool -= buffer.size;
}

/**
 * Returns a buffer to the pool. Safe while commands that read it are still queued: every later
 * use is encoded after them, and uploads go through the same command stream (see commands.ts).
 */
export function releaseBuffer(buffer: GPUBuffer): void {
  if (!ownBuffers.has(buffer)) return;
  held.delete(buffer);
  activeCapture()?.released(buffer);
  bytesInUse -= buffer.size;
  if (isUnallocated(buffer)) {
    destroyAfterSubmit(buffer);
    return;
  }
  bytesInPool += buffer.size;
  releaseOrder.add(buffer);
  const list = freeBuffers.get(buffer.size);
  if (list) list.push(buffer);
  else freeBuffers.set(buffer.size, [buffer]);
  evictOver(poolLimitBytes);
}

/** Destroys the buffers released longest ago until the pool holds at most `limit` bytes. */
function evictOver(limit: number): number {
  let freed = 0;
  for (const buffer of releaseOrder) {
    if (bytesInPool <= limit) break;
    forget(buffer);
    freed += buffer.size;
    destroyAfterSubmit(buffer);
  }
  return freed;
}

/**
 * Destroys every pooled buffer (tensors in use are untouched) and the staging buffer kept for reads
 * back, and returns the bytes freed, like PyTorch's `torch.cuda.empty_cache()`.
 */
export function releasePool(): number {
  return evictOver(0) + releaseStagingBuffer();
}

/**
 * Sets how many bytes of released buffers the pool keeps for reuse (default 256 MiB); the excess,
 * oldest first, is destroyed now and whenever a release goes past it.
 */
export function setPoolLimit(bytes: number): void {
  if (!(bytes >= 0)) throw new ValueError(`setPoolLimit: the limit must be a number of bytes ≥ 0, got ${bytes}`);
  poolLimitBytes = bytes;
  evictOver(bytes);
}

/** Whether `buffer` is acquired (owned by a tensor) rather than free in the pool or destroyed. */
export function isHeld(buffer: GPUBuffer): boolean {
  return held.has(buffer);
}

/** A 16-byte buffer bound where a kernel's optional input is absent (a binding cannot be left empty). */
export function placeholderBuffer(): GPUBuffer {
  placeholder ??= acquireBuffer(MIN_BUFFER_BYTES);
  return placeholder;
}

export function poolStats(): { numBytesInPool: number; numBytesInUse: number; poolLimitBytes: number } {
  return { numBytesInPool: bytesInPool, numBytesInUse: bytesInUse, poolLimitBytes };
}
