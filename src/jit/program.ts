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
import { bufferId, createBindGroup } from '../runtime/launch';
import { lifetimeOf } from '../runtime/poison';
import { packUniforms, type UniformLayout, type UniformValues } from '../runtime/uniforms';
import { BYTES_PER_ELEMENT, Tensor, type DType } from '../tensor';
import { valuesWritten, type Step, type Value } from './trace';

/** One distinct argument buffer: the program copies it into a slot of its own on every call. */
export interface ProgramInput { value: Value; byteLength: number }
export interface ProgramOutput { value: Value; shape: readonly number[]; dtype: DType }

type PerCallAction =
  | { callback: () => void }
  | { refresh: () => UniformValues; layout: UniformLayout; offset: number; dispatch: RecordedDispatch };

/** Points a step at this call's buffers: a cached bind group, or a copy's source and target. */
function bindPerCall(binding: PerCallBinding, callBuffers: readonly GPUBuffer[]): void {
  for (const { binding: index, slot } of binding.slots) binding.buffers[index] = callBuffers[slot];
  const { step, kernel } = binding;
  if (!('pipeline' in step)) {
    step.source = binding.buffers[0];
    step.target = binding.buffers[1];
    return;
  }
  let key = '';
  for (const { slot } of binding.slots) key += `${bufferId(callBuffers[slot])},`;
  let bindGroup = binding.bindGroups.get(key);
  if (!bindGroup) {
    if (binding.bindGroups.size >= MAX_CACHED_BIND_GROUPS) binding.bindGroups.clear();
    bindGroup = createBindGroup(kernel as CompiledKernel, binding.buffers, binding.uniformBuffer);
    binding.bindGroups.set(key, bindGroup);
  }
  step.bindGroup = bindGroup;
}

/** What describe() shows of a program. */
export interface ProgramSummary {
  /** Dispatches the trace recorded (one per kernel an op launched). */
  tracedDispatches: number;
  /** Dispatches dropped because nothing read what they wrote (src/jit/prune.ts). */
  deadDispatches: number;
  dispatches: number;
  copies: number;
  /** Each step in order: a kernel name (`fused(...)` for fused ones) or `copy`. */
  steps: { label: string; reads: number[]; writes: number[] }[];
  fusedKernels: string[];
  /** The steps folded into constants (src/jit/fold.ts): run once when the program was built, never per call. */
  folded: { label: string; reads: number[]; writes: number[] }[];
  arenaBuffers: number;
  arenaBytes: number;
  /** Bytes of intermediates and outputs the trace allocated, before the arena reused them by liveness. */
  tracedBytes: number;
  inputBytes: number;
  capturedTensors: number;
  perCallUniforms: number;
  perCallCallbacks: number;
}

/**
 * A dispatch or copy that binds a buffer chosen per call: an argument read in place, or the fresh
 * tensor a result is written into. Its bind groups are cached by those buffers; the pool hands
 * back the same few buffers call after call, so a steady loop reuses them — also one that keeps
 * its results a while, as fit keeps each epoch's loss until it reads 100 epochs' logs at once.
 */
interface PerCallBinding {
  step: RecordedDispatch | RecordedCopy;
  /** Storage-binding index (a copy: 0 source, 1 target) → call slot. */
  slots: { binding: number; slot: number }[];
  buffers: GPUBuffer[];
  kernel: CompiledKernel | null;
  uniformBuffer: GPUBuffer | null;
  bindGroups: Map<string, GPUBindGroup>;
}

/** Bind groups kept per binding: above fit's 100 deferred epochs of results, so its loop hits the cache. */
const MAX_CACHED_BIND_GROUPS = 256;

export class Program {
  readonly summary: ProgramSummary;
  private readonly recorded: (RecordedDispatch | RecordedCopy)[] = [];
  private readonly perCall: PerCallAction[] = [];
  private readonly perCallBindings: PerCallBinding[] = [];
  private readonly captured: { buffer: GPUBuffer; lifetime: number }[] = [];
  /** Arguments the program writes get a buffer of their own, copied in and back out each call. */
  private readonly ownSlots = new Map<number, GPUBuffer>();
  /** Per argument: its call slot when read in place (-1 when copied into an own slot). */
  private readonly argumentSlots: number[];
  /** Per result: its call slot when written in place, else the buffer it is copied from. */
  private readonly resultSources: ({ slot: number } | { buffer: GPUBuffer } | { copyOf: number })[] = [];
  private readonly owned: GPUBuffer[] = [];
  private readonly reads: GPUBuffer[];
  private readonly writes: GPUBuffer[];
  private readonly kernels = new Set<CompiledKernel>();
  private readonly dispatchCount: number;
  private readonly callSlots: number;
  private dynamicBytes = 0;

  /**
   * `once`: steps folded into constants (src/jit/fold.ts), encoded here a single time into buffers
   * of the program's that `steps` then read on every call.
   */
  constructor(steps: readonly Step[], once: readonly Step[], traced: { dispatches: number; dead: number }, private readonly inputs: readonly ProgramInput[], private readonly outputs: readonly ProgramOutput[]) {
    const written = new Set<Value>(steps.flatMap(valuesWritten));
    let callSlots = 0;
    const slotOf = new Map<Value, number>();
    const inputValues = new Map<Value, GPUBuffer>();
    this.argumentSlots = inputs.map((input, k) => {
      if (written.has(input.value)) {
        const own = this.own(createProgramBuffer(input.value.buffer.size, 'storage'));
        this.ownSlots.set(k, own);
        inputValues.set(input.value, own);
        return -1;
      }
      const slot = slotOf.get(input.value) ?? callSlots++;
      slotOf.set(input.value, slot);
      return slot;
    });
    const isDirectResult = (value: Value): boolean => value.origin === 'trace' && value.heldAtEnd && !slotOf.has(value) && !inputValues.has(value);
    const firstResult = new Map<Value, number>();
    outputs.forEach((output, k) => {
      if (isDirectResult(output.value) && !firstResult.has(output.value)) {
        firstResult.set(output.value, k);
        slotOf.set(output.value, callSlots++);
      }
    });
    this.callSlots = callSlots;
    const outputValues = new Set(outputs.map((output) => output.value));
    const constants = new Map<Value, GPUBuffer>();
    for (const step of once) {
      for (const value of valuesWritten(step)) if (!constants.has(value)) constants.set(value, this.own(createProgramBuffer(value.buffer.size, 'storage')));
    }
    const inArena = (value: Value): boolean => value.origin === 'trace' && !value.heldAtEnd && !outputValues.has(value) && !constants.has(value);
    const arena = this.planArena(steps, inArena);
    const capturedValues = new Set<Value>();
    /** The buffer bound for `value`, or its call slot. */
    const resolve = (value: Value): GPUBuffer | number => {
      const slot = slotOf.get(value);
      if (slot !== undefined) return slot;
      const buffer = inputValues.get(value) ?? arena.slots.get(value) ?? constants.get(value);
      if (buffer) return buffer;
      capturedValues.add(value);
      return value.buffer;
    };
    outputs.forEach((output, k) => {
      const first = firstResult.get(output.value);
      const source = resolve(output.value);
      this.resultSources.push(first === k ? { slot: source as number } : first !== undefined ? { copyOf: first } : typeof source === 'number' ? { copyOf: -1 - source } : { buffer: source });
    });
    let reads = new Set<GPUBuffer>();
    let writes = new Set<GPUBuffer>();
    const alignment = uniformOffsetAlignment();
    const staticBuffer = this.bakeUniforms([...once, ...steps], alignment);
    let dispatchCount = 0;
    let recorded = this.recorded;
    let summarySteps: ProgramSummary['steps'] = [];
    /** Static buffers as they are, call slots as placeholders (the value's trace buffer) noted in `slots`. */
    const bind = (values: readonly Value[], isWrite: (k: number) => boolean): { buffers: GPUBuffer[]; slots: PerCallBinding['slots'] } => {
      const slots: PerCallBinding['slots'] = [];
      const buffers = values.map((value, k) => {
        const resolved = resolve(value);
        if (typeof resolved === 'number') {
          slots.push({ binding: k, slot: resolved });
          return value.buffer;
        }
        (isWrite(k) ? writes : reads).add(resolved);
        return resolved;
      });
      return { buffers, slots };
    };
    const recordStep = (step: Step): void => {
      if (step.kind === 'callback') {
        this.perCall.push({ callback: step.callback });
      } else if (step.kind === 'dispatch') {
        const { buffers, slots } = bind(step.bindings, (k) => step.writes[k]);
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
        if (slots.length > 0) this.perCallBindings.push({ step: dispatch, slots, buffers, kernel: step.kernel, uniformBuffer, bindGroups: new Map() });
        if (layout && step.refresh) {
          this.perCall.push({ refresh: step.refresh, layout, offset: this.dynamicBytes, dispatch });
          this.dynamicBytes += Math.ceil(layout.byteSize / alignment) * alignment;
        }
        this.kernels.add(step.kernel);
        recorded.push(dispatch);
        dispatchCount++;
        summarySteps.push({ label: step.label, reads: step.bindings.filter((_, k) => !step.writes[k]).map((v) => v.id), writes: step.bindings.filter((_, k) => step.writes[k]).map((v) => v.id) });
      } else {
        const constant = step.kind === 'upload' ? this.constantBuffer(step.bytes) : null;
        const { buffers, slots } = step.kind === 'copy' ? bind([step.source, step.target], (k) => k === 1) : bind([step.target], () => true);
        const [source, target] = constant ? [constant, buffers[0]] : buffers;
        if (constant) reads.add(constant);
        const copy: RecordedCopy = step.kind === 'copy'
          ? { source, sourceOffset: step.sourceOffset, target, targetOffset: step.targetOffset, byteLength: step.byteLength }
          : { source, sourceOffset: 0, target, targetOffset: 0, byteLength: source.size };
        const copySlots = constant ? slots.map((slot) => ({ binding: 1, slot: slot.slot })) : slots;
        if (copySlots.length > 0) this.perCallBindings.push({ step: copy, slots: copySlots, buffers: [source, target], kernel: null, uniformBuffer: null, bindGroups: new Map() });
        recorded.push(copy);
        summarySteps.push({ label: step.kind, reads: step.kind === 'copy' ? [step.source.id] : [], writes: [step.target.id] });
      }
    };
    // The folded steps first, encoded once now; their dispatches are not the program's per call.
    const initial: (RecordedDispatch | RecordedCopy)[] = [];
    recorded = initial;
    once.forEach(recordStep);
    const folded = summarySteps;
    const initialDispatches = dispatchCount;
    if (initial.length > 0) {
      // A new (fused) pipeline's first dispatch goes in a submit of its own, as in replay.
      const fresh = once.flatMap((step) => (step.kind === 'dispatch' && !step.kernel.submitted ? [step.kernel] : []));
      if (fresh.length > 0) flush();
      encodeRecorded(initial, initialDispatches, [...reads], [...writes]);
      if (fresh.length > 0) {
        flush();
        for (const kernel of fresh) kernel.submitted = true;
      }
    }
    reads = new Set<GPUBuffer>();
    writes = new Set<GPUBuffer>();
    recorded = this.recorded;
    summarySteps = [];
    dispatchCount = 0;
    steps.forEach(recordStep);
    for (const value of capturedValues) this.captured.push({ buffer: value.buffer, lifetime: value.lifetime });
    this.reads = [...reads, ...this.ownSlots.values()];
    this.writes = [...writes];
    this.dispatchCount = dispatchCount;
    const fusedKernels = steps.flatMap((step) => (step.kind === 'dispatch' && step.fusedOps ? [step.label] : []));
    this.summary = {
      tracedDispatches: traced.dispatches,
      deadDispatches: traced.dead,
      dispatches: this.dispatchCount,
      copies: this.recorded.length - this.dispatchCount,
      steps: summarySteps,
      fusedKernels,
      folded,
      arenaBuffers: arena.buffers.length,
      arenaBytes: arena.buffers.reduce((total, buffer) => total + buffer.size, 0),
      tracedBytes: arena.tracedBytes,
      inputBytes: [...this.ownSlots.values()].reduce((total, buffer) => total + buffer.size, 0),
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
   * Liveness-based placement: each intermediate gets a buffer from the first step that touches it
   * to the last; a buffer whose value died is reused by the next value it fits, smallest fit
   * first. (Results are written straight into the fresh tensors returned, arguments read in place.)
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
    const results = this.outputs.map((output) => Tensor.empty(output.shape, output.dtype));
    const callBuffers = new Array<GPUBuffer>(this.callSlots);
    this.argumentSlots.forEach((slot, k) => { if (slot >= 0) callBuffers[slot] = argBuffers[k]; });
    const resultWrites: GPUBuffer[] = [];
    this.resultSources.forEach((source, k) => {
      if ('slot' in source) {
        callBuffers[source.slot] = results[k].buffer;
        resultWrites.push(results[k].buffer);
      }
    });
    for (const binding of this.perCallBindings) bindPerCall(binding, callBuffers);
    for (const [k, own] of this.ownSlots) encodeCopy(argBuffers[k], 0, own, 0, this.inputs[k].byteLength);
    encodeRecorded(this.recorded, this.dispatchCount, [...this.reads, ...argBuffers], [...this.writes, ...resultWrites]);
    // An argument the function updated in place (assign, an optimizer step) gets its new values back.
    for (const [k, own] of this.ownSlots) encodeCopy(own, 0, argBuffers[k], 0, this.inputs[k].byteLength);
    this.resultSources.forEach((source, k) => {
      if ('slot' in source) return;
      const from = 'buffer' in source ? source.buffer : source.copyOf >= 0 ? results[source.copyOf].buffer : callBuffers[-1 - source.copyOf];
      encodeCopy(from, 0, results[k].buffer, 0, results[k].size * BYTES_PER_ELEMENT);
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
