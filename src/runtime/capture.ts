// What the runtime reports while `wg.jit` traces a function: every dispatch, copy, upload and buffer
// acquisition, so src/jit can replay them later. The runtime stays a leaf: src/jit installs the
// hooks, the runtime only calls them (as the profiler's DispatchObserver does).
import type { CompiledKernel, Kernel, KernelVariant } from './kernel';
import type { UniformValues } from './uniforms';

/** The row an elementwise kernel computes, so a trace can fuse chains of them (src/jit/fuse.ts). */
export interface ElementwiseRow {
  /** The op's name, used to name fused kernels (`fused(mul+add)`). */
  name: string;
  /**
   * The inputs, in call order: WGSL parameter name (input k is bound as `${inputs[k].name}_`), the
   * element type stored, and whether the body sees it as a bool (its truth value).
   */
  inputs: readonly { name: string; element: 'f32' | 'i32'; truth?: boolean }[];
  /** WGSL statements ending in `return …;` over the inputs. */
  body: string;
  prelude: string;
  output: 'f32' | 'i32';
  /** Each input's shape and the output's, before any broadcasting. */
  inputShapes: readonly (readonly number[])[];
  outShape: readonly number[];
}

/**
 * A tiled matmul launch whose epilogue a trace may extend with the elementwise ops that consume its
 * output (src/jit/fuseMatmul.ts): the kernel's WGSL calls `epilogue(v, index, j)` on each result.
 */
export interface MatmulEpilogueSite {
  /** What the epilogue already computes, for the fused kernel's name: `matmul`, `matmul+bias+relu`. */
  name: string;
  /** The kernel's WGSL, with its `fn epilogue`, and the override constants it ran with. */
  source: string;
  constants: Readonly<Record<string, number>>;
  /** The output's shape, [...batch, M, N]. */
  outShape: readonly number[];
  /** Output rows one workgroup computes (uniform blocksAlongM = ⌈M / blockRows⌉). */
  blockRows: number;
}

/**
 * One pass of a reduce kernel (shaders/reduce.wgsl), so a trace can fuse elementwise ops into where
 * it loads its terms (the first pass) and stores its results (the last pass): src/jit/fuseReduce.ts.
 */
export interface ReductionPass {
  /** The kernel's source without loadTerm, storeResult and their bindings (shaders/reduceIO.wgsl's part). */
  source: string;
  variant: KernelVariant;
  /** WGSL types of the terms as stored and of the results. */
  element: 'f32' | 'i32';
  accumulator: 'f32' | 'i32';
  /** Whether this pass reads the reduction's input (shaped `inputShape`) and writes its output (shaped `outShape`). */
  first: boolean;
  last: boolean;
  inputShape: readonly number[];
  outShape: readonly number[];
  /** What it folds with, and the axes of `inputShape` it folds (src/jit/fuseBiasGradient.ts looks for sums over axis 0). */
  op: 'sum' | 'max' | 'min';
  axes: readonly number[];
}

/**
 * One dispatch of an optimizer's grouped update (src/optim/optimizer.ts), so a trace may move a
 * tensor's share into the kernel that produces its gradient (src/jit/fuseUpdate.ts).
 */
export interface UpdateSite {
  /** The optimizer's name (`adam`), for the fused kernel's name. */
  name: string;
  /** The rule (src/optim/updateKernel.ts's UpdateRule): slot names, constant names, and its WGSL body. */
  slots: readonly string[];
  constants: readonly string[];
  body: string;
  /** The group's tensors in order: parameter, gradient and slot buffers (slots by name), and the element count. */
  tensors: readonly { param: GPUBuffer; grad: GPUBuffer; slots: Readonly<Record<string, GPUBuffer>>; size: number }[];
  /** This call's uniform values of the rule: `decay` and each constant (a replay re-reads them). */
  values: () => Record<string, number>;
  /**
   * The launch of the same group with only the tensors `keep` (indices into `tensors`); null when
   * the gradient is transformed before the rule sees it (accumulation, clipping), so a store of
   * the raw gradient cannot apply the rule.
   */
  regroup: ((keep: readonly number[]) => { kernel: Kernel; buffers: Record<string, GPUBuffer>; threads: number; refresh: () => UniformValues }) | null;
}

/** One dispatch as launch encoded it. */
export interface CapturedDispatch {
  kernel: CompiledKernel;
  /** Buffers in the order of `kernel.signature.storage`. */
  buffers: readonly GPUBuffer[];
  /** The packed uniform struct (null when the kernel has none). */
  uniformBytes: Uint8Array<ArrayBuffer> | null;
  workgroups: readonly [number, number, number];
  /** The uniform values it was launched with (by name), for a fuser that extends its uniform struct. */
  uniforms?: UniformValues;
  /** Recomputes this dispatch's uniforms on each replay (values that change per call). */
  refresh?: () => UniformValues;
  elementwise?: ElementwiseRow;
  matmul?: MatmulEpilogueSite;
  reduction?: ReductionPass;
  update?: UpdateSite;
}

export interface CaptureHooks {
  dispatch(dispatch: CapturedDispatch): void;
  copy(source: GPUBuffer, sourceOffset: number, target: GPUBuffer, targetOffset: number, byteLength: number): void;
  upload(target: GPUBuffer, bytes: Uint8Array<ArrayBuffer>): void;
  acquired(buffer: GPUBuffer): void;
  released(buffer: GPUBuffer): void;
  /** A per-call callback (see `onEachCall`). */
  eachCall(callback: () => void): void;
  /** The error a read-back (data(), array()) inside the traced function throws. */
  readError(): Error;
}

let active: CaptureHooks | null = null;

/**
 * Buffers whose contents never change once filled: op-internal constants (the cached scalar 2 of
 * `mul(x, 2)`). A trace may fold work that reads only these into values computed once
 * (src/jit/fold.ts); a user's tensor, even one never written, may be rewritten between calls.
 */
const constantBuffers = new WeakSet<GPUBuffer>();

export function markConstantBuffer(buffer: GPUBuffer): void {
  constantBuffers.add(buffer);
}

export function isConstantBuffer(buffer: GPUBuffer): boolean {
  return constantBuffers.has(buffer);
}

/** Installs (or, with null, removes) the hooks; returns the ones it replaced. */
export function setCapture(hooks: CaptureHooks | null): CaptureHooks | null {
  const previous = active;
  active = hooks;
  return previous;
}

export function activeCapture(): CaptureHooks | null {
  return active;
}

/**
 * Registers CPU work that a compiled program must redo on every replay, in trace order with its
 * dispatches (an optimizer's step counter, say). Does nothing outside a trace.
 */
export function onEachCall(callback: () => void): void {
  active?.eachCall(callback);
}
