// A trace: while a jitted function runs eagerly once, the runtime reports every dispatch, copy,
// upload and buffer acquisition here (src/runtime/capture.ts). Buffers are turned into values:
// one value per owner's lifetime of a buffer, so a pooled buffer that served three intermediates
// in turn is three values, which the program later places in its own arena by liveness.
import { JitError } from '../errors';
import type { CaptureHooks, CapturedDispatch, ElementwiseRow, MatmulEpilogueSite, ReductionPass, UpdateSite } from '../runtime/capture';
import type { CompiledKernel } from '../runtime/kernel';
import { lifetimeOf } from '../runtime/poison';
import type { UniformValues } from '../runtime/uniforms';

/** A buffer's contents over one owner's lifetime. */
export interface Value {
  readonly id: number;
  /** The buffer it had during the trace. */
  readonly buffer: GPUBuffer;
  /** 'trace': acquired while tracing; 'external': existed before (a weight, an optimizer slot, an argument). */
  readonly origin: 'trace' | 'external';
  /** The buffer's pool lifetime then (src/runtime/poison.ts): a replay checks a captured buffer still has it. */
  readonly lifetime: number;
  /** Still acquired when the trace ended: returned, or kept as state past the call. */
  heldAtEnd: boolean;
}

/** An elementwise dispatch's row with the values it reads (input k) and writes. */
export interface RowBinding { row: ElementwiseRow; inputs: Value[]; out: Value }

/** A reduce pass with the values it reads its terms from and writes its results to. */
export interface ReductionBinding { pass: ReductionPass; input: Value; out: Value }

export interface DispatchStep {
  kind: 'dispatch';
  /** The kernel name shown in profiles and describe(): the op's, or `fused(a+b+c)`. */
  label: string;
  kernel: CompiledKernel;
  /** Values in the order of the kernel's storage bindings. */
  bindings: Value[];
  writes: boolean[];
  uniformBytes: Uint8Array<ArrayBuffer> | null;
  workgroups: readonly [number, number, number];
  /** The uniform values it was launched with, by name. */
  uniforms?: UniformValues;
  refresh?: () => UniformValues;
  row?: RowBinding;
  /** A matmul whose epilogue the ops reading its output may join (src/jit/fuseMatmul.ts). */
  matmul?: MatmulEpilogueSite;
  reduction?: ReductionBinding;
  /** An optimizer's grouped update, whose tensors' shares may join their gradients' producers (src/jit/fuseUpdate.ts). */
  update?: UpdateSite;
  /** The ops a fused kernel computes, in order (absent for an unfused dispatch). */
  fusedOps?: string[];
  /**
   * A product that also stores its B operand's column sums (src/jit/fuseBiasGradient.ts): its
   * `out` rows through `matrixStoreOutput(index, j, v)`, the sums into `columnSums` through `storeColumnSum(j, v)`.
   */
  columnSums?: boolean;
}

export interface CopyStep { kind: 'copy'; source: Value; sourceOffset: number; target: Value; targetOffset: number; byteLength: number }
export interface UploadStep { kind: 'upload'; target: Value; bytes: Uint8Array<ArrayBuffer> }
export interface CallbackStep { kind: 'callback'; callback: () => void }
export type Step = DispatchStep | CopyStep | UploadStep | CallbackStep;

/** The values a step reads: a dispatch's read-only bindings, a copy's source. */
export function valuesRead(step: Step): Value[] {
  if (step.kind === 'dispatch') return step.bindings.filter((_, k) => !step.writes[k]);
  return step.kind === 'copy' ? [step.source] : [];
}

/** The values a step writes: a dispatch's read-write bindings (which it may read too), a copy's or upload's target. */
export function valuesWritten(step: Step): Value[] {
  if (step.kind === 'dispatch') return step.bindings.filter((_, k) => step.writes[k]);
  return step.kind === 'callback' ? [] : [step.target];
}

/** The message for data()/array() inside a traced function (also thrown when fn turns out async). */
export function readInsideTraceMessage(name: string): string {
  return `${name}: data()/array() cannot run inside a jitted function: a compiled program replays GPU work only, ` +
    'so a value read on the CPU (and any JavaScript branch on it) would be frozen at its first call. Return the tensor ' +
    'and read it outside the jitted function, or compute the decision on the GPU (where, maximum, clip, ...). ' +
    '(fit compiles its steps: a layer that reads values back needs compile({ jit: false }).)';
}

/**
 * The runtime's capture hooks for one call. With `recording` false it only refuses read-backs
 * (the eager first call of a signature, see jit.ts), so misuse fails on the first call, not the second.
 */
export class TraceRecorder implements CaptureHooks {
  readonly steps: Step[] = [];
  readonly values: Value[] = [];
  readAttempted = false;
  /** The value each buffer holds now. */
  private readonly current = new Map<GPUBuffer, Value>();

  constructor(private readonly name: string, private readonly recording: boolean) {}

  /** The value `buffer` holds now; a buffer not acquired in the trace is captured (external). */
  valueOf(buffer: GPUBuffer): Value {
    let value = this.current.get(buffer);
    if (!value) {
      value = this.newValue(buffer, 'external');
      this.current.set(buffer, value);
    }
    return value;
  }

  private newValue(buffer: GPUBuffer, origin: Value['origin']): Value {
    const value: Value = { id: this.values.length, buffer, origin, lifetime: lifetimeOf(buffer), heldAtEnd: false };
    this.values.push(value);
    return value;
  }

  dispatch(dispatch: CapturedDispatch): void {
    if (!this.recording) return;
    const { kernel } = dispatch;
    const bindings = dispatch.buffers.map((buffer) => this.valueOf(buffer));
    const writes = kernel.signature.storage.map((binding) => !binding.readOnly);
    const step: DispatchStep = {
      kind: 'dispatch', label: kernel.name, kernel, bindings, writes,
      uniformBytes: dispatch.uniformBytes, workgroups: dispatch.workgroups, uniforms: dispatch.uniforms, refresh: dispatch.refresh,
      matmul: dispatch.matmul, update: dispatch.update,
    };
    const { elementwise: row, reduction } = dispatch;
    const bound = (name: string): Value => bindings[kernel.signature.storage.findIndex((binding) => binding.name === name)];
    if (row) step.row = { row, inputs: row.inputs.map((input) => bound(`${input.name}_`)), out: bound('out') };
    if (reduction) step.reduction = { pass: reduction, input: bound('x'), out: bound('out') };
    this.steps.push(step);
  }

  copy(source: GPUBuffer, sourceOffset: number, target: GPUBuffer, targetOffset: number, byteLength: number): void {
    if (!this.recording) return;
    this.steps.push({ kind: 'copy', source: this.valueOf(source), sourceOffset, target: this.valueOf(target), targetOffset, byteLength });
  }

  upload(target: GPUBuffer, bytes: Uint8Array<ArrayBuffer>): void {
    if (!this.recording) return;
    this.steps.push({ kind: 'upload', target: this.valueOf(target), bytes });
  }

  acquired(buffer: GPUBuffer): void {
    if (!this.recording) return;
    this.current.set(buffer, this.newValue(buffer, 'trace'));
  }

  released(buffer: GPUBuffer): void {
    this.current.delete(buffer);
  }

  eachCall(callback: () => void): void {
    if (this.recording) this.steps.push({ kind: 'callback', callback });
  }

  readError(): Error {
    this.readAttempted = true;
    return new JitError(readInsideTraceMessage(this.name));
  }

  /** Ends the trace: marks the values whose buffers are still held. */
  finish(): void {
    for (const value of this.current.values()) value.heldAtEnd = true;
  }
}
