// A compiled program: the traced steps bound once to buffers the program owns (an arena planned by
// liveness, one slot per argument, baked uploads and uniforms) with every bind group prebuilt. A
// replay copies the arguments in, rewrites the uniforms that change per call, encodes the prebuilt
// dispatch list and copies the results out into fresh tensors: no op's JavaScript runs.
import { isHeld } from '../runtime/bufferPool';
import {
  createProgramBuffer, destroyAfterSubmit, encodeCopy, encodeRecorded, flush, makeRoomForDispatches, reserveUniforms,
  uniformArenaBuffer, uniformOffsetAlignment, writeFreshBuffer, type RecordedCopy, type RecordedDispatch,
} from '../runtime/commands';
import type { CompiledKernel } from '../runtime/kernel';
import { createBindGroup } from '../runtime/launch';
import { lifetimeOf } from '../runtime/poison';
import { packUniforms, type UniformLayout, type UniformValues } from '../runtime/uniforms';
import { BYTES_PER_ELEMENT, Tensor, type DType } from '../tensor';
import type { Step, Value } from './trace';

/** One distinct argument buffer: the program copies it into a slot of its own on every call. */
export interface ProgramInput { value: Value; byteLength: number }
export interface ProgramOutput { value: Value; shape: readonly number[]; dtype: DType }

type PerCallAction =
  | { callback: () => void }
  | { refresh: () => UniformValues; layout: UniformLayout; offset: number; dispatch: RecordedDispatch };

/** What describe() shows of a program. */
export interface ProgramSummary {
  /** Dispatches the trace recorded (one per kernel an op launched). */
  tracedDispatches: number;
  dispatches: number;
  copies: number;
  /** Each step in order: a kernel name (`fused(...)` for fused ones) or `copy`. */
  steps: { label: string; reads: number[]; writes: number[] }[];
  fusedKernels: string[];
  arenaBuffers: number;
  arenaBytes: number;
  /** Bytes of intermediates and outputs the trace allocated, before the arena reused them by liveness. */
  tracedBytes: number;
  inputBytes: number;
  capturedTensors: number;
  perCallUniforms: number;
  perCallCallbacks: number;
}

export class Program {
  readonly summary: ProgramSummary;
  private readonly recorded: (RecordedDispatch | RecordedCopy)[] = [];
  private readonly perCall: PerCallAction[] = [];
  private readonly captured: { buffer: GPUBuffer; lifetime: number }[] = [];
  private readonly inputSlots: GPUBuffer[];
  private readonly writtenInputs: number[] = [];
  private readonly outputBuffers: GPUBuffer[];
  private readonly owned: GPUBuffer[] = [];
  private readonly reads: GPUBuffer[];
  private readonly writes: GPUBuffer[];
  private readonly kernels = new Set<CompiledKernel>();
  private readonly dispatchCount: number;
  private dynamicBytes = 0;

  constructor(steps: readonly Step[], tracedDispatches: number, private readonly inputs: readonly ProgramInput[], private readonly outputs: readonly ProgramOutput[]) {
    const inputSlot = new Map<Value, GPUBuffer>();
    this.inputSlots = inputs.map((input) => {
      const slot = this.own(createProgramBuffer(input.value.buffer.size, 'storage'));
      inputSlot.set(input.value, slot);
      return slot;
    });
    const outputValues = new Set(outputs.map((output) => output.value));
    const inArena = (value: Value): boolean => value.origin === 'trace' && !inputSlot.has(value) && (!value.heldAtEnd || outputValues.has(value));
    const arena = this.planArena(steps, inArena);
    const capturedValues = new Set<Value>();
    const resolve = (value: Value): GPUBuffer => {
      const buffer = inputSlot.get(value) ?? arena.slots.get(value);
      if (buffer) return buffer;
      capturedValues.add(value);
      return value.buffer;
    };
    const reads = new Set<GPUBuffer>();
    const writes = new Set<GPUBuffer>();
    const written = new Set<Value>();
    const alignment = uniformOffsetAlignment();
    const staticBuffer = this.bakeUniforms(steps, alignment);
    let dispatchCount = 0;
    const summarySteps: ProgramSummary['steps'] = [];
    for (const step of steps) {
      if (step.kind === 'callback') {
        this.perCall.push({ callback: step.callback });
      } else if (step.kind === 'dispatch') {
        const buffers = step.bindings.map(resolve);
        buffers.forEach((buffer, k) => (step.writes[k] ? writes : reads).add(buffer));
        step.bindings.forEach((value, k) => { if (step.writes[k]) written.add(value); });
        const layout = step.kernel.signature.uniform?.layout;
        const dynamic = Boolean(layout && step.refresh);
        const uniformBuffer = layout ? (dynamic ? uniformArenaBuffer() : staticBuffer?.buffer ?? null) : null;
        const dispatch: RecordedDispatch = {
          label: step.label,
          pipeline: step.kernel.pipeline,
          bindGroup: createBindGroup(step.kernel, buffers, uniformBuffer),
          dynamicOffsets: layout ? [dynamic ? 0 : staticBuffer?.offsets.get(step) ?? 0] : [],
          workgroups: step.workgroups,
        };
        if (layout && step.refresh) {
          this.perCall.push({ refresh: step.refresh, layout, offset: this.dynamicBytes, dispatch });
          this.dynamicBytes += Math.ceil(layout.byteSize / alignment) * alignment;
        }
        this.kernels.add(step.kernel);
        this.recorded.push(dispatch);
        dispatchCount++;
        summarySteps.push({ label: step.label, reads: step.bindings.filter((_, k) => !step.writes[k]).map((v) => v.id), writes: step.bindings.filter((_, k) => step.writes[k]).map((v) => v.id) });
      } else {
        const source = step.kind === 'copy' ? resolve(step.source) : this.constantBuffer(step.bytes);
        const target = resolve(step.target);
        reads.add(source);
        writes.add(target);
        written.add(step.target);
        const byteLength = step.kind === 'copy' ? step.byteLength : source.size;
        this.recorded.push({ source, sourceOffset: step.kind === 'copy' ? step.sourceOffset : 0, target, targetOffset: step.kind === 'copy' ? step.targetOffset : 0, byteLength });
        summarySteps.push({ label: step.kind, reads: step.kind === 'copy' ? [step.source.id] : [], writes: [step.target.id] });
      }
    }
    this.outputBuffers = outputs.map((output) => resolve(output.value));
    inputs.forEach((input, k) => { if (written.has(input.value)) this.writtenInputs.push(k); });
    for (const value of capturedValues) this.captured.push({ buffer: value.buffer, lifetime: value.lifetime });
    this.reads = [...reads, ...this.inputSlots];
    this.writes = [...writes];
    this.dispatchCount = dispatchCount;
    const fusedKernels = steps.flatMap((step) => (step.kind === 'dispatch' && step.fusedOps ? [step.label] : []));
    this.summary = {
      tracedDispatches,
      dispatches: this.dispatchCount,
      copies: this.recorded.length - this.dispatchCount,
      steps: summarySteps,
      fusedKernels,
      arenaBuffers: arena.buffers.length,
      arenaBytes: arena.buffers.reduce((total, buffer) => total + buffer.size, 0),
      tracedBytes: arena.tracedBytes,
      inputBytes: this.inputSlots.reduce((total, buffer) => total + buffer.size, 0),
      capturedTensors: this.captured.length,
      perCallUniforms: this.perCall.filter((action) => 'refresh' in action).length,
      perCallCallbacks: this.perCall.filter((action) => 'callback' in action).length,
    };
  }

  /** The uniforms that never change, packed once into one buffer of the program's, at aligned offsets. */
  private bakeUniforms(steps: readonly Step[], alignment: number): { buffer: GPUBuffer; offsets: Map<Step, number> } | null {
    const offsets = new Map<Step, number>();
    let byteSize = 0;
    for (const step of steps) {
      if (step.kind !== 'dispatch' || step.refresh || !step.uniformBytes) continue;
      offsets.set(step, byteSize);
      byteSize += Math.ceil(step.uniformBytes.byteLength / alignment) * alignment;
    }
    if (byteSize === 0) return null;
    const buffer = this.own(createProgramBuffer(byteSize, 'uniform'));
    const bytes = new Uint8Array(buffer.size);
    for (const [step, offset] of offsets) if (step.kind === 'dispatch' && step.uniformBytes) bytes.set(step.uniformBytes, offset);
    writeFreshBuffer(buffer, 0, bytes);
    return { buffer, offsets };
  }

  private own(buffer: GPUBuffer): GPUBuffer {
    this.owned.push(buffer);
    return buffer;
  }

  private constantBuffer(bytes: Uint8Array<ArrayBuffer>): GPUBuffer {
    const buffer = this.own(createProgramBuffer(bytes.byteLength, 'storage'));
    const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
    padded.set(bytes);
    writeFreshBuffer(buffer, 0, padded);
    return buffer;
  }

  /**
   * Liveness-based placement: each arena value gets a buffer from the first step that touches it
   * to the last (outputs: to the end, when they are copied out); a buffer whose value died is
   * reused by the next value it fits, smallest fit first.
   */
  private planArena(steps: readonly Step[], inArena: (value: Value) => boolean): { slots: Map<Value, GPUBuffer>; buffers: GPUBuffer[]; tracedBytes: number } {
    const first = new Map<Value, number>();
    const last = new Map<Value, number>();
    const touch = (value: Value, index: number): void => {
      if (!inArena(value)) return;
      if (!first.has(value)) first.set(value, index);
      last.set(value, index);
    };
    steps.forEach((step, index) => {
      if (step.kind === 'dispatch') step.bindings.forEach((value) => touch(value, index));
      else if (step.kind === 'copy') { touch(step.source, index); touch(step.target, index); }
      else if (step.kind === 'upload') touch(step.target, index);
    });
    for (const output of this.outputs) {
      if (!inArena(output.value)) continue;
      if (!first.has(output.value)) first.set(output.value, 0);
      last.set(output.value, steps.length);
    }
    const starting = new Map<number, Value[]>();
    const ending = new Map<number, Value[]>();
    for (const [value, index] of first) starting.set(index, [...(starting.get(index) ?? []), value]);
    for (const [value, index] of last) ending.set(index, [...(ending.get(index) ?? []), value]);
    const slots = new Map<Value, GPUBuffer>();
    const buffers: GPUBuffer[] = [];
    const free: GPUBuffer[] = [];
    let tracedBytes = 0;
    for (let index = 0; index <= steps.length; index++) {
      for (const value of starting.get(index) ?? []) {
        const size = value.buffer.size;
        tracedBytes += size;
        let best = -1;
        free.forEach((buffer, k) => { if (buffer.size >= size && (best < 0 || buffer.size < free[best].size)) best = k; });
        const buffer = best >= 0 ? free.splice(best, 1)[0] : this.own(createProgramBuffer(size, 'storage'));
        if (best < 0) buffers.push(buffer);
        slots.set(value, buffer);
      }
      for (const value of ending.get(index) ?? []) free.push(slots.get(value) as GPUBuffer);
    }
    return { slots, buffers, tracedBytes };
  }

  /**
   * Runs the program on `args` (one tensor per ProgramInput, in order) and returns fresh output
   * tensors; null when a captured tensor was disposed (or its buffer reused) since the trace.
   */
  replay(args: readonly Tensor[]): Tensor[] | null {
    for (const { buffer, lifetime } of this.captured) if (!isHeld(buffer) || lifetimeOf(buffer) !== lifetime) return null;
    const argBuffers = args.map((arg) => arg.buffer);
    let isolate = false;
    for (const kernel of this.kernels) {
      // As launch: a pipeline known to be invalid is refused, and a new (fused) pipeline's first
      // dispatch goes in a submit of its own, so a compile error rejects only that.
      if (kernel.failure) throw kernel.failure;
      isolate ||= !kernel.submitted;
    }
    if (isolate) flush();
    makeRoomForDispatches(this.dispatchCount);
    const block = this.dynamicBytes > 0 ? reserveUniforms(this.dynamicBytes) : null;
    for (const action of this.perCall) {
      if ('callback' in action) action.callback();
      else if (block) {
        packUniforms(action.layout, action.refresh(), block.view, action.offset, action.dispatch.label);
        action.dispatch.dynamicOffsets[0] = block.offset + action.offset;
      }
    }
    argBuffers.forEach((buffer, k) => encodeCopy(buffer, 0, this.inputSlots[k], 0, this.inputs[k].byteLength));
    encodeRecorded(this.recorded, this.dispatchCount, this.reads, this.writes);
    // An argument the function updated in place (assign, an optimizer step) gets its new values back.
    for (const k of this.writtenInputs) encodeCopy(this.inputSlots[k], 0, argBuffers[k], 0, this.inputs[k].byteLength);
    const results = this.outputs.map((output, k) => {
      const result = Tensor.empty(output.shape, output.dtype);
      encodeCopy(this.outputBuffers[k], 0, result.buffer, 0, result.size * BYTES_PER_ELEMENT);
      return result;
    });
    if (isolate) {
      flush();
      for (const kernel of this.kernels) kernel.submitted = true;
    }
    return results;
  }

  /** Frees the program's own buffers (after the work already queued that uses them). */
  dispose(): void {
    for (const buffer of this.owned) destroyAfterSubmit(buffer);
    this.owned.length = 0;
  }
}
