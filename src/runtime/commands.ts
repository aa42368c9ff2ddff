// Batches work into one command encoder: dispatches, uploads and copies are encoded in order and
// submitted together at a sync point (a readback) or when the uniform arena fills up.
import { checkErrorScope, getDevice, throwPendingGpuErrors } from './device';

const UNIFORM_ARENA_BYTES = 1 << 18;
const MAX_DISPATCHES_PER_SUBMIT = 2048;

let encoder: GPUCommandEncoder | null = null;
let pass: GPUComputePassEncoder | null = null;
let uniformArena: GPUBuffer | null = null;
const uniformStaging = new ArrayBuffer(UNIFORM_ARENA_BYTES);
let uniformBytesUsed = 0;
let dispatchesPending = 0;
let buffersToDestroyAfterSubmit: GPUBuffer[] = [];
let totalDispatches = 0;
let totalSubmits = 0;

/** Hooks the profiler uses to wrap each dispatch in timestamp writes. */
export interface DispatchObserver {
  /** Called per dispatch; returning timestamp writes gives the dispatch its own timed pass. */
  timestampWrites(label: string): GPUComputePassTimestampWrites | undefined;
  /** Called with the encoder just before it is finished and submitted (to resolve queries). */
  beforeSubmit(encoder: GPUCommandEncoder): void;
}
let observer: DispatchObserver | null = null;
export function setDispatchObserver(next: DispatchObserver | null): void {
  flush();
  observer = next;
}

function currentEncoder(): GPUCommandEncoder {
  encoder ??= getDevice().createCommandEncoder();
  return encoder;
}

function endPass(): void {
  pass?.end();
  pass = null;
}

/**
 * Reserves a slot in this batch's uniform arena and returns the view to write into and the offset
 * to bind. The arena buffer is rewritten once per submit: queue order makes that safe to reuse.
 */
export function reserveUniforms(byteSize: number): { view: DataView; offset: number; buffer: GPUBuffer } {
  const device = getDevice();
  const alignment = device.limits.minUniformBufferOffsetAlignment;
  const slot = Math.ceil(byteSize / alignment) * alignment;
  if (uniformBytesUsed + slot > UNIFORM_ARENA_BYTES) flush();
  uniformArena ??= device.createBuffer({ size: UNIFORM_ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const offset = uniformBytesUsed;
  uniformBytesUsed += slot;
  return { view: new DataView(uniformStaging, offset, byteSize), offset, buffer: uniformArena };
}

/** Encodes one dispatch. */
export function encodeDispatch(
  label: string, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, dynamicOffsets: readonly number[], workgroups: readonly [number, number, number],
): void {
  const timestampWrites = observer?.timestampWrites(label);
  if (timestampWrites) {
    endPass();
    const timed = currentEncoder().beginComputePass({ label, timestampWrites });
    timed.setPipeline(pipeline);
    timed.setBindGroup(0, bindGroup, dynamicOffsets);
    timed.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    timed.end();
  } else {
    pass ??= currentEncoder().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup, dynamicOffsets);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
  }
  dispatchesPending++;
  totalDispatches++;
  if (dispatchesPending >= MAX_DISPATCHES_PER_SUBMIT) flush();
}

/** Copies bytes between buffers, in order with the dispatches around it. */
export function encodeCopy(source: GPUBuffer, sourceOffset: number, target: GPUBuffer, targetOffset: number, byteLength: number): void {
  if (byteLength === 0) return;
  endPass();
  currentEncoder().copyBufferToBuffer(source, sourceOffset, target, targetOffset, byteLength);
}

/**
 * Uploads CPU data into a buffer through a staging copy in the command stream, so it lands after
 * every queued command that still reads the buffer's previous (pooled) contents.
 */
export function encodeUpload(target: GPUBuffer, data: ArrayBufferView): void {
  const byteLength = data.byteLength;
  if (byteLength === 0) return;
  const paddedLength = Math.ceil(byteLength / 4) * 4;
  const staging = getDevice().createBuffer({ size: paddedLength, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
  new Uint8Array(staging.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, byteLength));
  staging.unmap();
  encodeCopy(staging, 0, target, 0, paddedLength);
  buffersToDestroyAfterSubmit.push(staging);
}

/** Submits everything encoded so far. */
export function flush(): void {
  if (!encoder) return;
  endPass();
  observer?.beforeSubmit(encoder);
  const device = getDevice();
  if (uniformArena && uniformBytesUsed > 0) device.queue.writeBuffer(uniformArena, 0, uniformStaging, 0, uniformBytesUsed);
  device.pushErrorScope('validation');
  device.queue.submit([encoder.finish()]);
  checkErrorScope((error) => `a batch of GPU commands was rejected: ${error.message}`);
  totalSubmits++;
  encoder = null;
  uniformBytesUsed = 0;
  dispatchesPending = 0;
  for (const buffer of buffersToDestroyAfterSubmit) buffer.destroy();
  buffersToDestroyAfterSubmit = [];
}

/** Reads `byteLength` bytes of a buffer back to the CPU: the one place that waits for the GPU. */
export async function readBuffer(source: GPUBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
  const paddedLength = Math.max(4, Math.ceil(byteLength / 4) * 4);
  const readback = getDevice().createBuffer({ size: paddedLength, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  if (byteLength > 0) encodeCopy(source, byteOffset, readback, 0, paddedLength);
  currentEncoder();
  flush();
  try {
    await readback.mapAsync(GPUMapMode.READ);
    await throwPendingGpuErrors();
    return readback.getMappedRange().slice(0, byteLength);
  } finally {
    readback.destroy();
  }
}

/** Waits until every submitted command has run (and surfaces GPU errors). */
export async function synchronize(): Promise<void> {
  flush();
  await getDevice().queue.onSubmittedWorkDone();
  await throwPendingGpuErrors();
}

export function commandStats(): { dispatches: number; submits: number } {
  return { dispatches: totalDispatches, submits: totalSubmits };
}
