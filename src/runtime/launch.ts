// Runs a kernel: binds buffers and uniform values by the names the WGSL uses, and lays out the
// dispatch so that any number of threads fits under the 65,535-workgroups-per-dimension limit.
import { KernelError } from '../errors';
import { getDevice } from './device';
import { encodeDispatch, reserveUniforms } from './commands';
import { packUniforms, type UniformValues } from './uniforms';
import type { Kernel, KernelVariant } from './kernel';

const MAX_WORKGROUPS_PER_DIMENSION = 65535;

export interface LaunchOptions {
  /** Storage buffers by WGSL variable name. */
  buffers: Record<string, GPUBuffer>;
  /** Uniform struct fields by WGSL member name. */
  uniforms?: UniformValues;
  variant?: KernelVariant;
  /**
   * Either a 1-D thread count (kernels then index with `linearIndex`, see shaders/README.md) or an
   * explicit workgroup grid.
   */
  threads?: number;
  workgroups?: [number, number, number];
}

/** Splits a 1-D workgroup count into an (x, y) grid with x ≤ 65,535. */
export function gridFor(workgroupCount: number): [number, number, number] {
  if (workgroupCount <= MAX_WORKGROUPS_PER_DIMENSION) return [workgroupCount, 1, 1];
  const rows = Math.ceil(workgroupCount / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(workgroupCount / rows), rows, 1];
}

export function launch(kernel: Kernel, options: LaunchOptions): void {
  const compiled = kernel.compile(options.variant);
  const { signature } = compiled;
  const entries: GPUBindGroupEntry[] = signature.storage.map((binding) => {
    const buffer = options.buffers[binding.name];
    if (!buffer) throw new KernelError(`kernel '${kernel.name}': no buffer given for storage binding '${binding.name}'`);
    return { binding: binding.binding, resource: { buffer } };
  });
  for (const name of Object.keys(options.buffers)) {
    if (!signature.storage.some((binding) => binding.name === name)) {
      throw new KernelError(`kernel '${kernel.name}' has no storage binding named '${name}'`);
    }
  }
  if (signature.uniform) {
    const { layout } = signature.uniform;
    const slot = reserveUniforms(layout.byteSize);
    packUniforms(layout, options.uniforms ?? {}, slot.view, 0, kernel.name);
    entries.push({ binding: signature.uniform.binding, resource: { buffer: slot.buffer, offset: slot.offset, size: layout.byteSize } });
  }
  let workgroups = options.workgroups;
  if (!workgroups) {
    if (options.threads === undefined) throw new KernelError(`kernel '${kernel.name}': launch needs threads or workgroups`);
    const perGroup = signature.workgroupSize[0] * signature.workgroupSize[1] * signature.workgroupSize[2];
    workgroups = gridFor(Math.ceil(options.threads / perGroup));
  }
  if (workgroups[0] * workgroups[1] * workgroups[2] === 0) return;
  const bindGroup = getDevice().createBindGroup({ layout: compiled.bindGroupLayout, entries });
  encodeDispatch(kernel.name, compiled.pipeline, bindGroup, workgroups);
}
