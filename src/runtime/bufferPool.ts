// Reuses released GPU buffers by size class instead of creating and destroying one per op.
import { getDevice } from './device';

const MIN_BUFFER_BYTES = 16;

const freeBuffers = new Map<number, GPUBuffer[]>();
let bytesInPool = 0;
let bytesInUse = 0;

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

/** A storage buffer of at least `byteLength` bytes, from the pool when one is free. */
export function acquireBuffer(byteLength: number): GPUBuffer {
  const size = sizeClass(byteLength);
  bytesInUse += size;
  const reusable = freeBuffers.get(size)?.pop();
  if (reusable) {
    bytesInPool -= size;
    return reusable;
  }
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  return getDevice().createBuffer({ size, usage });
}

/**
 * Returns a buffer to the pool. Safe while commands that read it are still queued: every later
 * use is encoded after them, and uploads go through the same command stream (see commands.ts).
 */
export function releaseBuffer(buffer: GPUBuffer): void {
  bytesInUse -= buffer.size;
  bytesInPool += buffer.size;
  const list = freeBuffers.get(buffer.size);
  if (list) list.push(buffer);
  else freeBuffers.set(buffer.size, [buffer]);
}

/** Destroys every pooled buffer (the ones in use are untouched). */
export function drainPool(): void {
  for (const list of freeBuffers.values()) for (const buffer of list) buffer.destroy();
  freeBuffers.clear();
  bytesInPool = 0;
}

export function poolStats(): { numBytesInPool: number; numBytesInUse: number } {
  return { numBytesInPool: bytesInPool, numBytesInUse: bytesInUse };
}
