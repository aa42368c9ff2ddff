// Batches work into one command encoder: dispatches, uploads and copies are encoded in order and
// submitted together at a sync point (a readback) or when the uniform arena fills up. Each batch
// remembers what it read and wrote, so when the GPU rejects one, what it wrote (and whatever was
// computed from that) is marked poisoned instead of being read back as zeros.
import { KernelError, OutOfMemoryError } from '../errors';
import { activeCapture } from './capture';
import { checkErrorScope, explainFailure, getDevice, onDeviceLost, settleErrorChecks, takePendingGpuErrors, throwPendingGpuErrors } from './device';
import { BufferUsage, MapMode } from './gpuFlags';
import { isUnallocated, lifetimeOf, poison, poisonOf, poisonedReadError } from './poison';
import { returnStagingBuffer, takeStagingBuffer } from './stagingBuffers';

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
/** Set while encodeUpload copies from its staging buffer, which a trace records as an upload instead. */
let uploading = false;

/**
 * Buffers a batch read and wrote, each with the lifetime it had then (see poison.ts), and the
 * pool buffers created while it was open.
 */
interface Batch { reads: Map<GPUBuffer, number>; writes: Map<GPUBuffer, number>; created: GPUBuffer[] }
const newBatch = (): Batch => ({ reads: new Map(), writes: new Map(), created: [] });
let allocationFailed: ((buffers: readonly GPUBuffer[], error: OutOfMemoryError) => void) | null = null;
let batch = newBatch();
/** Submitted batches whose error check is pending, oldest first (checks settle in submit order). */
const unchecked: Batch[] = [];

onDeviceLost(() => {
  encoder = null;
  pass = null;
  uniformArena = null;
  uniformBytesUsed = 0;
  dispatchesPending = 0;
  buffersToDestroyAfterSubmit = [];
  batch = newBatch();
  unchecked.length = 0;
});

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

/**
 * The open batch's encoder. A batch opens a validation and an out-of-memory error scope that its
 * submit closes, so everything encoded and allocated for it (bind groups, buffers) is checked
 * once, not call by call: each check is a round trip to the GPU process.
 */
export function currentEncoder(): GPUCommandEncoder {
  if (!encoder) {
    const device = getDevice();
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    encoder = device.createCommandEncoder();
  }
  return encoder;
}

/**
 * Records a pool buffer created while the batch is open (open it first). An out-of-memory error in
 * the batch cannot be traced to one createBuffer, so `listener` hears every buffer created in it.
 */
export function noteCreated(buffer: GPUBuffer): void {
  batch.created.push(buffer);
}

export function onAllocationFailure(listener: (buffers: readonly GPUBuffer[], error: OutOfMemoryError) => void): void {
  allocationFailed = listener;
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
  const buffer = uniformArenaBuffer();
  const offset = uniformBytesUsed;
  uniformBytesUsed += slot;
  return { view: new DataView(uniformStaging, offset, byteSize), offset, buffer };
}

/**
 * The buffer every batch's uniforms are written to (one per device): compiled programs bind it for
 * the dispatches whose uniforms change per call, at offsets `reserveUniforms` gives them.
 */
export function uniformArenaBuffer(): GPUBuffer {
  uniformArena ??= getDevice().createBuffer({ size: UNIFORM_ARENA_BYTES, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  return uniformArena;
}

/**
 * Records what the next command reads and writes. Work reading a buffer already known to be
 * poisoned poisons what it writes; poison found later is spread when the error check settles.
 */
function noteAccess(reads: readonly GPUBuffer[], writes: readonly GPUBuffer[]): void {
  // A buffer known to have failed allocation would get the whole batch rejected: refuse the command.
  const unallocated = [...reads, ...writes].find(isUnallocated);
  if (unallocated) throw poisonedReadError('a GPU command', [poisonOf(unallocated) as Error]);
  let inherited: Error | null = null;
  for (const buffer of reads) {
    batch.reads.set(buffer, lifetimeOf(buffer));
    inherited ??= poisonOf(buffer);
  }
  for (const buffer of writes) {
    const lifetime = lifetimeOf(buffer);
    batch.writes.set(buffer, lifetime);
    if (inherited) poison(buffer, lifetime, inherited);
  }
}

/** Encodes one dispatch that reads `reads` and writes `writes` (a read_write binding is in both). */
export function encodeDispatch(
  label: string, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, dynamicOffsets: readonly number[], workgroups: readonly [number, number, number],
  reads: readonly GPUBuffer[], writes: readonly GPUBuffer[],
): void {
  noteAccess(reads, writes);
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
  if (!uploading) activeCapture()?.copy(source, sourceOffset, target, targetOffset, byteLength);
  noteAccess([source], [target]);
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
  const staging = getDevice().createBuffer({ size: paddedLength, usage: BufferUsage.COPY_SRC, mappedAtCreation: true });
  new Uint8Array(staging.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, byteLength));
  staging.unmap();
  // A trace records the bytes, not the staging buffer (destroyed after this submit).
  activeCapture()?.upload(target, new Uint8Array(data.buffer, data.byteOffset, byteLength).slice());
  uploading = true;
  try {
    encodeCopy(staging, 0, target, 0, paddedLength);
  } finally {
    uploading = false;
  }
  buffersToDestroyAfterSubmit.push(staging);
}

/** Submits everything encoded so far. */
export function flush(): void {
  if (!encoder) return;
  endPass();
  observer?.beforeSubmit(encoder);
  const device = getDevice();
  if (uniformArena && uniformBytesUsed > 0) device.queue.writeBuffer(uniformArena, 0, uniformStaging, 0, uniformBytesUsed);
  const submitted = batch;
  batch = newBatch();
  device.queue.submit([encoder.finish()]);
  unchecked.push(submitted);
  // The out-of-memory scope is the inner one: its check settles first, so a rejection caused by a
  // failed allocation is recognized as one.
  checkErrorScope((error) => {
    const bytes = submitted.created.reduce((total, buffer) => total + buffer.size, 0);
    const failure = new OutOfMemoryError(
      `the GPU could not allocate memory (${error.message}) while creating ${submitted.created.length} buffer(s) of ${bytes} bytes in all; ` +
      'they count as failed and the pool was released. Free memory (dispose tensors, smaller batches) and retry.',
    );
    allocationFailed?.(submitted.created, failure);
    return failure;
  });
  checkErrorScope((error) => describeRejection(submitted, error), (failure) => settle(submitted, failure));
  totalSubmits++;
  encoder = null;
  uniformBytesUsed = 0;
  dispatchesPending = 0;
  for (const buffer of buffersToDestroyAfterSubmit) buffer.destroy();
  buffersToDestroyAfterSubmit = [];
}

/** A rejected batch is blamed on a failed allocation when it used one, else on validation. */
function describeRejection(rejected: Batch, error: GPUError): Error {
  const touched = [...rejected.reads.keys(), ...rejected.writes.keys()];
  if (touched.some(isUnallocated)) {
    return new OutOfMemoryError(`a batch of GPU commands was rejected because it used a buffer the GPU could not allocate: ${error.message}`);
  }
  return new KernelError(`a batch of GPU commands was rejected: ${error.message}`);
}

/** A batch's check settled: if it failed, poison what it wrote and what later batches computed from that. */
function settle(checked: Batch, failure: Error | null): void {
  const index = unchecked.indexOf(checked);
  if (index >= 0) unchecked.splice(index, 1);
  if (!failure) return;
  for (const [buffer, lifetime] of checked.writes) poison(buffer, lifetime, failure);
  for (const later of [...unchecked, batch]) {
    let inherited: Error | null = null;
    for (const [buffer, lifetime] of later.reads) inherited ??= poisonOf(buffer, lifetime);
    if (inherited) for (const [buffer, lifetime] of later.writes) poison(buffer, lifetime, inherited);
  }
}

/** Destroys a buffer once the work already encoded (which may still use it) is submitted. */
export function destroyAfterSubmit(buffer: GPUBuffer): void {
  if (encoder) buffersToDestroyAfterSubmit.push(buffer);
  else buffer.destroy();
}

/**
 * Maps `buffer` for reading, which waits for the work before it; a device lost meanwhile is
 * reported as DeviceLostError rather than the raw AbortError mapAsync gives.
 */
async function mapForRead(device: GPUDevice, buffer: GPUBuffer, byteLength = buffer.size): Promise<void> {
  try {
    await buffer.mapAsync(MapMode.READ, 0, byteLength);
  } catch (failure) {
    throw await explainFailure(device, failure);
  }
}

/** A span of a buffer to read back: whole 4-byte words, as every tensor's are. */
export interface BufferRange { source: GPUBuffer; byteOffset: number; byteLength: number }

/**
 * Reads `byteLength` bytes of a buffer back to the CPU: the one place that waits for the GPU.
 * GPU errors surface where they matter: reading values that failed work never computed throws
 * (with every error reported so far); reading good values returns them, and errors that touched
 * nothing read here wait for a read they spoil or for `synchronize()`.
 */
export async function readBuffer(source: GPUBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
  const bytes = await readBuffers([{ source, byteOffset, byteLength }]);
  return byteLength % 4 === 0 ? bytes : bytes.slice(0, byteLength);
}

/**
 * Several spans read back in one wait, as readBuffer reads one: copied into one staging buffer,
 * in order, each padded to whole words. fit reads hundreds of epochs' logs this way, where one
 * concat op per epoch cost more JavaScript than the epoch's compiled training step.
 */
export async function readBuffers(ranges: readonly BufferRange[], isRetry = false): Promise<ArrayBuffer> {
  const capture = activeCapture();
  if (capture) throw capture.readError();
  const device = getDevice();
  const lifetimes = ranges.map(({ source }) => lifetimeOf(source));
  for (const { source } of ranges) {
    const knownPoison = poisonOf(source);
    if (knownPoison) throw poisonedRead(knownPoison);
  }
  const paddedLengths = ranges.map(({ byteLength }) => Math.ceil(byteLength / 4) * 4);
  const totalLength = paddedLengths.reduce((total, length) => total + length, 0);
  const mappedLength = Math.max(4, totalLength);
  const readback = takeStagingBuffer(mappedLength);
  let offset = 0;
  ranges.forEach(({ source, byteOffset }, k) => {
    if (paddedLengths[k] > 0) encodeCopy(source, byteOffset, readback, offset, paddedLengths[k]);
    offset += paddedLengths[k];
  });
  currentEncoder();
  flush();
  let values: ArrayBuffer | null = null;
  try {
    await mapForRead(device, readback, mappedLength);
    await settleErrorChecks();
    ranges.forEach(({ source }, k) => {
      const poisonedBy = poisonOf(source, lifetimes[k]);
      if (poisonedBy) throw poisonedRead(poisonedBy);
    });
    // Good values whose copy shared a batch with failed work: copy them again, on their own, once.
    const copyFailure = poisonOf(readback);
    if (copyFailure && isRetry) throw poisonedRead(copyFailure);
    if (copyFailure) return await readBuffers(ranges, true);
    values = readback.getMappedRange(0, mappedLength).slice(0, totalLength);
    return values;
  } finally {
    // Only a buffer that mapped and gave its values is reused; any failure discards it.
    if (values) returnStagingBuffer(readback);
    else readback.destroy();
  }
}

/** The error for reading values failed work never computed, carrying every error reported so far. */
function poisonedRead(cause: Error): Error {
  const reported = takePendingGpuErrors();
  if (!reported) return poisonedReadError('data', [cause]);
  return poisonedReadError('data', reported.message.includes(cause.message) ? [reported] : [reported, cause]);
}

/** Waits until every submitted command has run (and surfaces GPU errors and device loss). */
export async function synchronize(): Promise<void> {
  const device = getDevice();
  flush();
  await device.queue.onSubmittedWorkDone();
  // onSubmittedWorkDone resolves even on a lost device; a map does not, so it tells the two apart.
  const fence = device.createBuffer({ size: 4, usage: BufferUsage.COPY_DST | BufferUsage.MAP_READ });
  try {
    await mapForRead(device, fence);
  } finally {
    fence.destroy();
  }
  await throwPendingGpuErrors();
}

/** One dispatch of a compiled program (src/jit): everything prebuilt, bound as it will be every call. */
export interface RecordedDispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  dynamicOffsets: number[];
  workgroups: readonly [number, number, number];
}

/** A buffer-to-buffer copy of a compiled program. */
export interface RecordedCopy { source: GPUBuffer; sourceOffset: number; target: GPUBuffer; targetOffset: number; byteLength: number }

/**
 * Encodes a compiled program's steps in one go: its reads and writes are noted once (poison
 * tracking), and no submit splits it, since its per-call uniforms live in this batch's arena.
 */
export function encodeRecorded(steps: readonly (RecordedDispatch | RecordedCopy)[], dispatchCount: number, reads: readonly GPUBuffer[], writes: readonly GPUBuffer[]): void {
  noteAccess(reads, writes);
  for (const step of steps) {
    if ('pipeline' in step) {
      const timestampWrites = observer?.timestampWrites(step.label);
      if (timestampWrites) endPass();
      const target = timestampWrites ? currentEncoder().beginComputePass({ label: step.label, timestampWrites }) : (pass ??= currentEncoder().beginComputePass());
      target.setPipeline(step.pipeline);
      target.setBindGroup(0, step.bindGroup, step.dynamicOffsets);
      target.dispatchWorkgroups(step.workgroups[0], step.workgroups[1], step.workgroups[2]);
      if (timestampWrites) target.end();
    } else {
      endPass();
      currentEncoder().copyBufferToBuffer(step.source, step.sourceOffset, step.target, step.targetOffset, step.byteLength);
    }
  }
  dispatchesPending += dispatchCount;
  totalDispatches += dispatchCount;
}

/**
 * Submits what is queued when `dispatchCount` more dispatches would pass the per-submit limit: a
 * program calls it before reserving its per-call uniforms, which must share a batch with it.
 */
export function makeRoomForDispatches(dispatchCount: number): void {
  if (dispatchesPending + dispatchCount > MAX_DISPATCHES_PER_SUBMIT) flush();
}

/** The offset alignment of uniform bindings (minUniformBufferOffsetAlignment). */
export function uniformOffsetAlignment(): number {
  return getDevice().limits.minUniformBufferOffsetAlignment;
}

/** A buffer owned by a compiled program (its arena, input slots, baked constants and uniforms). */
export function createProgramBuffer(byteLength: number, usage: 'storage' | 'uniform'): GPUBuffer {
  currentEncoder();
  const flags = usage === 'uniform'
    ? BufferUsage.UNIFORM | BufferUsage.COPY_DST
    : BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
  return getDevice().createBuffer({ size: Math.max(16, Math.ceil(byteLength / 16) * 16), usage: flags });
}

/** Writes bytes into a buffer no queued command uses yet (a program's own, right after creating it). */
export function writeFreshBuffer(target: GPUBuffer, offset: number, bytes: Uint8Array<ArrayBuffer>): void {
  getDevice().queue.writeBuffer(target, offset, bytes);
}

export function commandStats(): { dispatches: number; submits: number } {
  return { dispatches: totalDispatches, submits: totalSubmits };
}
