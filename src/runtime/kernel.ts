// A compute kernel from WGSL: its bindings and uniform layout are read from the source itself,
// pipelines are built lazily and cached per variant (type aliases rebound, override constants set).
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import invocationSource from '../../shaders/invocation.wgsl';
import { KernelError } from '../errors';
import { checkErrorScope, deviceGeneration, getDevice } from './device';
import { ShaderStage } from './gpuFlags';
import { uniformLayoutFromMembers, type UniformLayout } from './uniforms';

/**
 * Threads per workgroup of every 1-D kernel: the value of shaders/invocation.wgsl's WORKGROUP_SIZE
 * override, which kernels use for `@workgroup_size` and flatIndex, and so for how launch splits grids.
 */
export const WORKGROUP_SIZE = 64;
const DECLARES_WORKGROUP_SIZE = /\boverride\s+WORKGROUP_SIZE\b/;
const USES_WORKGROUP_SIZE = /@workgroup_size\(\s*WORKGROUP_SIZE\s*\)/;

/** The source with shaders/invocation.wgsl prepended when it calls flatIndex without defining it. */
function withInvocationHelper(source: string): string {
  return /\bflatIndex\s*\(/.test(source) && !/\bfn\s+flatIndex\b/.test(source) ? invocationSource + source : source;
}

export interface StorageBinding { name: string; binding: number; readOnly: boolean }

/** What reflection tells us about one kernel source. */
export interface KernelSignature {
  storage: StorageBinding[];
  uniform: { name: string; binding: number; layout: UniformLayout } | null;
  workgroupSize: [number, number, number];
  entryPoint: string;
}

/** Type aliases a variant may rebind (`alias Element = f32;` → i32), and override constants. */
export interface KernelVariant {
  aliases?: Record<string, 'f32' | 'i32' | 'u32'>;
  constants?: Record<string, number>;
}

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  bindGroupLayout: GPUBindGroupLayout;
  signature: KernelSignature;
  name: string;
  /**
   * Bind groups by the buffers they bind. Pooled buffers come back in the same order every
   * training step, so a step's bind groups are built once and then reused.
   */
  bindGroups: Map<string, GPUBindGroup>;
  /** Whether a dispatch with this pipeline has been submitted (see launch: its first runs alone). */
  submitted: boolean;
  /** Set when the pipeline's asynchronous check found it invalid: launch then refuses it. */
  failure: KernelError | null;
}

/** Reads bindings (group 0), the uniform struct layout and the workgroup size from WGSL source. */
export function reflectKernel(name: string, source: string): KernelSignature {
  let reflection: WgslReflect;
  try {
    reflection = new WgslReflect(source);
  } catch (error) {
    throw new KernelError(`kernel '${name}': WGSL parse error: ${(error as Error).message}`);
  }
  const entry = reflection.entry.compute[0];
  if (!entry) throw new KernelError(`kernel '${name}': the WGSL has no @compute entry point`);
  const storage = reflection.storage.map((variable) => ({
    name: variable.name,
    binding: variable.binding,
    readOnly: variable.access !== 'read_write',
  }));
  if (reflection.uniforms.length > 1) throw new KernelError(`kernel '${name}': at most one uniform struct is supported`);
  const uniformVariable = reflection.uniforms[0];
  const uniform = uniformVariable
    ? {
        name: uniformVariable.name,
        binding: uniformVariable.binding,
        layout: uniformLayoutFromMembers(uniformVariable.members ?? [], uniformVariable.size, name),
      }
    : null;
  // Reflection cannot evaluate an override; WORKGROUP_SIZE is the runtime's own.
  const size = USES_WORKGROUP_SIZE.test(source) ? [WORKGROUP_SIZE] : entry.workgroupSize ?? [1, 1, 1];
  return { storage, uniform, workgroupSize: [size[0], size[1] ?? 1, size[2] ?? 1], entryPoint: entry.name };
}

/** Rewrites `alias NAME = ...;` lines so one source serves several element types. */
export function rebindAliases(source: string, aliases: Record<string, string>): string {
  let result = source;
  for (const [alias, type] of Object.entries(aliases)) {
    const pattern = new RegExp(`alias\\s+${alias}\\s*=\\s*[^;]+;`);
    if (!pattern.test(result)) throw new KernelError(`kernel source has no 'alias ${alias} = ...;' to rebind`);
    result = result.replace(pattern, `alias ${alias} = ${type};`);
  }
  return result;
}

/** A named WGSL kernel; compiled on first use for each variant. */
export class Kernel {
  private readonly compiled = new Map<string, CompiledKernel>();
  /** The device the cached pipelines belong to: a new device (after a loss) compiles afresh. */
  private generation = -1;

  readonly source: string;

  constructor(readonly name: string, source: string) {
    this.source = withInvocationHelper(source);
  }

  /** The pipeline for a variant, compiled once per device and cached. */
  compile(variant: KernelVariant = {}): CompiledKernel {
    if (this.generation !== deviceGeneration()) {
      this.compiled.clear();
      this.generation = deviceGeneration();
    }
    const key = variantKey(variant);
    const cached = this.compiled.get(key);
    if (cached) return cached;
    const source = variant.aliases ? rebindAliases(this.source, variant.aliases) : this.source;
    const signature = reflectKernel(this.name, source);
    const kernel = this.createPipeline(source, signature, variant.constants ?? {});
    this.compiled.set(key, kernel);
    return kernel;
  }

  private createPipeline(source: string, signature: KernelSignature, constants: Record<string, number>): CompiledKernel {
    const device = getDevice();
    const entries: GPUBindGroupLayoutEntry[] = signature.storage.map((binding) => ({
      binding: binding.binding,
      visibility: ShaderStage.COMPUTE,
      buffer: { type: binding.readOnly ? 'read-only-storage' : 'storage' },
    }));
    if (signature.uniform) {
      // A dynamic offset lets one bind group serve every slot of the uniform arena.
      entries.push({ binding: signature.uniform.binding, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } });
    }
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ label: this.name, code: source });
    const bindGroupLayout = device.createBindGroupLayout({ label: this.name, entries });
    const pipeline = device.createComputePipeline({
      label: this.name,
      layout: device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }),
      compute: {
        module,
        entryPoint: signature.entryPoint,
        constants: DECLARES_WORKGROUP_SIZE.test(source) ? { ...constants, WORKGROUP_SIZE } : constants,
      },
    });
    const name = this.name;
    const kernel: CompiledKernel = { pipeline, bindGroupLayout, signature, name, bindGroups: new Map(), submitted: false, failure: null };
    checkErrorScope(async (error) => {
      const info = await module.getCompilationInfo();
      const compilerText = info.messages.map((m) => `${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
      return new KernelError(`kernel '${name}' failed to compile: ${compilerText || error.message}`);
    }, (failure) => {
      kernel.failure = failure instanceof KernelError ? failure : null;
    });
    return kernel;
  }
}

/** A cache key for a variant, cheaper than JSON.stringify on the hot path. */
function variantKey(variant: KernelVariant): string {
  let key = '';
  for (const name in variant.aliases) key += `${name}=${variant.aliases[name]};`;
  key += '|';
  for (const name in variant.constants) key += `${name}=${variant.constants[name]};`;
  return key;
}

/** Declares a kernel from its WGSL source (imported as text from shaders/). */
export function defineKernel(name: string, source: string): Kernel {
  return new Kernel(name, source);
}
