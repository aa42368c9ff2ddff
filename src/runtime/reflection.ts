// What a kernel's WGSL declares, as the runtime needs it: read by one of two reflectors that give
// the same answer (subsetReflector.ts for webgrad's own kernels, wgsl_reflect for user kernels,
// loaded on demand by wgslReflectLoader.ts), then checked and completed here.
import { KernelError } from '../errors';
import type { UniformLayout } from './uniforms';

/**
 * Threads per workgroup of every 1-D kernel: the value of shaders/invocation.wgsl's WORKGROUP_SIZE
 * override, which kernels use for `@workgroup_size` and flatIndex, and so for how launch splits grids.
 */
export const WORKGROUP_SIZE = 64;
const USES_WORKGROUP_SIZE = /@workgroup_size\(\s*WORKGROUP_SIZE\s*\)/;

export interface StorageBinding { name: string; binding: number; readOnly: boolean }

export interface UniformBinding { name: string; binding: number; layout: UniformLayout }

/** A reflector's raw reading of one WGSL module (group 0 is the only bind group webgrad uses). */
export interface ReflectedModule {
  /** `var<storage, …>` bindings in declaration order. */
  storage: StorageBinding[];
  /** `var<uniform>` bindings in declaration order. */
  uniforms: UniformBinding[];
  /** The first `@compute` function; its workgroup size as far as the reflector could evaluate it. */
  compute: { name: string; workgroupSize: readonly number[] | null } | null;
}

/** What reflection tells us about one kernel source. */
export interface KernelSignature {
  storage: StorageBinding[];
  uniform: UniformBinding | null;
  workgroupSize: [number, number, number];
  entryPoint: string;
}

/** The signature of a reflected kernel: one compute entry point, at most one uniform struct. */
export function signatureOf(name: string, source: string, module: ReflectedModule): KernelSignature {
  const entry = module.compute;
  if (!entry) throw new KernelError(`kernel '${name}': the WGSL has no @compute entry point`);
  if (module.uniforms.length > 1) throw new KernelError(`kernel '${name}': at most one uniform struct is supported`);
  // Reflection cannot evaluate an override; WORKGROUP_SIZE is the runtime's own.
  const size = USES_WORKGROUP_SIZE.test(source) ? [WORKGROUP_SIZE] : entry.workgroupSize ?? [1, 1, 1];
  return {
    storage: module.storage,
    uniform: module.uniforms[0] ?? null,
    workgroupSize: [size[0] ?? 1, size[1] ?? 1, size[2] ?? 1],
    entryPoint: entry.name,
  };
}
