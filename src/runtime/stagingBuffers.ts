// The staging buffers (MAP_READ | COPY_DST) that reads back copy into. One is kept between reads:
// creating one per read cost about 2 ms of a 4 MiB read on SwiftShader (6.0–7.4 ms with a fresh
// buffer against 3.3–5.3 ms reusing one, same page). At most one is kept, of at most 16 MiB, so an
// idle program holds little; `releasePool()` drops it, and a lost device's is never reused.
import { getDevice, isInitialized } from './device';
import { BufferUsage } from './gpuFlags';
import { startLifetime } from './poison';

const MAX_KEPT_BYTES = 16 * 2 ** 20;
/** Staging sizes are powers of two from 256 bytes, so reads of similar sizes share the kept one. */
const MIN_STAGING_BYTES = 256;

let kept: GPUBuffer | null = null;
/**
 * Which device made each staging buffer: one of a lost device is never reused (checked when taken
 * and when handed back, so nothing runs at import and a lost device needs no listener).
 */
const owners = new WeakMap<GPUBuffer, GPUDevice>();

/** A mappable buffer of at least `byteLength` bytes, the kept one where it is large enough. */
export function takeStagingBuffer(byteLength: number): GPUBuffer {
  const device = getDevice();
  if (kept && owners.get(kept) !== device) kept = null;
  if (kept && kept.size >= byteLength) {
    const buffer = kept;
    kept = null;
    // A new owner: poison found late for the previous read never applies to this one.
    startLifetime(buffer);
    return buffer;
  }
  const size = Math.max(MIN_STAGING_BYTES, 2 ** Math.ceil(Math.log2(Math.max(1, byteLength))));
  const buffer = device.createBuffer({ size, usage: BufferUsage.COPY_DST | BufferUsage.MAP_READ });
  owners.set(buffer, device);
  return buffer;
}

/**
 * Hands back a buffer from takeStagingBuffer after a read that succeeded (unmapped here): kept when
 * it belongs to the current device and is small enough and larger than the one kept, else
 * destroyed. A read that failed destroys its buffer.
 */
export function returnStagingBuffer(buffer: GPUBuffer): void {
  buffer.unmap();
  const current = isInitialized() ? getDevice() : null;
  if (owners.get(buffer) !== current || buffer.size > MAX_KEPT_BYTES || (kept && kept.size >= buffer.size)) {
    buffer.destroy();
    return;
  }
  kept?.destroy();
  kept = buffer;
}

/** Destroys the kept buffer; returns its bytes. */
export function releaseStagingBuffer(): number {
  const bytes = kept?.size ?? 0;
  kept?.destroy();
  kept = null;
  return bytes;
}
