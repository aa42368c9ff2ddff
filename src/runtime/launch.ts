// Runs a kernel: binds buffers and uniform values by the names the WGSL uses, and lays out the
// dispatch so that any number of threads fits under the 65,535-workgroups-per-dimension limit.
import { KernelError } from '../errors';
import { getDevice } from './device';
import { activeCapture, type ElementwiseRow, type MatmulEpilogueSite, type ReductionPass, type UpdateSite } from './capture';
import { currentEncoder, encodeDispatch, flush, reserveUniforms } from './commands';
import { packUniforms, type UniformValues } from './uniforms';
import type { CompiledKernel, Kernel, KernelVariant } from './kernel';

const MAX_WORKGROUPS_PER_DIMENSION = 65535;

export interface LaunchOptions {
  /** Storage buffers by WGSL variable name. */
  buffers: Record<string, GPUBuffer>;
  /** Uniform struct fields by WGSL member name. */
  uniforms?: UniformValues;
  variant?: KernelVariant;
  /**
   * Either a 1-D thread count (kernels then index with `flatIndex`, shaders/invocation.wgsl, over
   * workgroups of WORKGROUP_SIZE) or an explicit workgroup grid.
   */
  threads?: number;
  workgroups?: [number, number, number];
  /**
   * For `wg.jit`: recomputes the uniforms on each replay of a compiled program, for values that
   * change per call without a retrace (random draws' stream numbers, an optimizer's step size).
   */
  refresh?: () => UniformValues;
  /** For `wg.jit`: the elementwise row this kernel computes, so chains of them can be fused. */
  elementwise?: ElementwiseRow;
  /** For `wg.jit`: a matmul whose epilogue can take in the elementwise ops after it. */
  matmul?: MatmulEpilogueSite;
  /** For `wg.jit`: the reduce pass this kernel computes, so elementwise ops can fuse into it. */
  reduction?: ReductionPass;
  /** For `wg.jit`: the optimizer update this kernel applies, so a tensor's share can join its gradient's producer. */
  update?: UpdateSite;
}

/** Splits a 1-D workgroup count into an (x, y) grid with x ≤ 65,535. */
export function gridFor(workgroupCount: number): [number, number, number] {
  if (workgroupCount <= MAX_WORKGROUPS_PER_DIMENSION) return [workgroupCount, 1, 1];
  const rows = Math.ceil(workgroupCount / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(workgroupCount / rows), rows, 1];
}

const bufferIds = new WeakMap<GPUBuffer, number>();
let nextBufferId = 0;
const MAX_CACHED_BIND_GROUPS = 512;

/** A small number naming a buffer, for bind-group cache keys. */
export function bufferId(buffer: GPUBuffer): number {
  let id = bufferIds.get(buffer);
  if (id === undefined) {
    id = nextBufferId++;
    bufferIds.set(buffer, id);
  }
  return id;
}

export function launch(kernel: Kernel, options: LaunchOptions): void {
  const compiled = kernel.compile(options.variant);
  // Queuing a pipeline known to be invalid would get its whole batch rejected.
  if (compiled.failure) throw new KernelError(compiled.failure.message);
  const { signature } = compiled;
  let workgroups = options.workgroups;
  if (!workgroups) {
    if (options.threads === undefined) throw new KernelError(`kernel '${kernel.name}': launch needs threads or workgroups`);
    const perGroup = signature.workgroupSize[0] * signature.workgroupSize[1] * signature.workgroupSize[2];
    workgroups = gridFor(Math.ceil(options.threads / perGroup));
  }
  const buffers = signature.storage.map((binding) => {
    const buffer = options.buffers[binding.name];
    if (!buffer) throw new KernelError(`kernel '${kernel.name}': no buffer given for storage binding '${binding.name}'`);
    return buffer;
  });
  if (Object.keys(options.buffers).length !== buffers.length) {
    const unknown = Object.keys(options.buffers).filter((name) => !signature.storage.some((binding) => binding.name === name));
    throw new KernelError(`kernel '${kernel.name}' has no storage binding named '${unknown.join("', '")}'`);
  }
  // A pipeline's first dispatch goes in a submit of its own: if the WGSL fails to compile, only
  // that submit is rejected, not the other queued work.
  const isolate = !compiled.submitted;
  if (isolate) flush();
  let uniformSlot: ReturnType<typeof reserveUniforms> | null = null;
  if (signature.uniform) {
    const { layout } = signature.uniform;
    const slot = reserveUniforms(layout.byteSize);
    packUniforms(layout, options.uniforms ?? {}, slot.view, 0, kernel.name);
    uniformSlot = slot;
  }
  if (workgroups[0] * workgroups[1] * workgroups[2] === 0) return;
  const capture = activeCapture();
  if (capture) {
    const uniformBytes = uniformSlot ? new Uint8Array(uniformSlot.view.buffer, uniformSlot.view.byteOffset, uniformSlot.view.byteLength).slice() : null;
    capture.dispatch({
      kernel: compiled, buffers, uniformBytes, workgroups, uniforms: options.uniforms, refresh: options.refresh,
      elementwise: options.elementwise, matmul: options.matmul, reduction: options.reduction, update: options.update,
    });
  }
  const bindGroup = cachedBindGroup(compiled, buffers, uniformSlot?.buffer ?? null);
  const writes = buffers.filter((_, i) => !signature.storage[i].readOnly);
  encodeDispatch(kernel.name, compiled.pipeline, bindGroup, uniformSlot ? [uniformSlot.offset] : [], workgroups, buffers, writes);
  if (isolate) {
    flush();
    compiled.submitted = true;
  }
}

function cachedBindGroup(compiled: CompiledKernel, buffers: GPUBuffer[], uniformBuffer: GPUBuffer | null): GPUBindGroup {
  let key = uniformBuffer ? `${bufferId(uniformBuffer)}` : '';
  for (const buffer of buffers) key += `,${bufferId(buffer)}`;
  const cached = compiled.bindGroups.get(key);
  if (cached) return cached;
  const bindGroup = createBindGroup(compiled, buffers, uniformBuffer);
  if (compiled.bindGroups.size >= MAX_CACHED_BIND_GROUPS) compiled.bindGroups.clear();
  compiled.bindGroups.set(key, bindGroup);
  return bindGroup;
}

/** A bind group of `buffers` (in storage-binding order) and the uniform buffer, bound at dynamic offsets. */
export function createBindGroup(compiled: CompiledKernel, buffers: readonly GPUBuffer[], uniformBuffer: GPUBuffer | null): GPUBindGroup {
  const { signature } = compiled;
  const entries: GPUBindGroupEntry[] = signature.storage.map((binding, i) => ({ binding: binding.binding, resource: { buffer: buffers[i] } }));
  if (signature.uniform && uniformBuffer) {
    entries.push({ binding: signature.uniform.binding, resource: { buffer: uniformBuffer, offset: 0, size: signature.uniform.layout.byteSize } });
  }
  // Created inside the open batch's error scope: a bind group over a buffer that failed to allocate
  // is reported with the batch that uses it (commands.ts). Never reused either: such buffers are
  // not pooled, so its key does not come back.
  currentEncoder();
  return getDevice().createBindGroup({ layout: compiled.bindGroupLayout, entries });
}
