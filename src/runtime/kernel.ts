// A compute kernel from WGSL: its bindings and uniform layout are read from the source itself,
// pipelines are built lazily and cached per variant (type aliases rebound, override constants set).
import invocationSource from '../../shaders/invocation.wgsl';
import { KernelError } from '../errors';
import { checkErrorScope, deviceGeneration, getDevice } from './device';
import { ShaderStage } from './gpuFlags';
import { signatureOf, WORKGROUP_SIZE, type KernelSignature } from './reflection';
import { reflectSubset } from './subsetReflector';

export { WORKGROUP_SIZE, type KernelSignature, type StorageBinding } from './reflection';
const DECLARES_WORKGROUP_SIZE = /\boverride\s+WORKGROUP_SIZE\b/;

/** The source with shaders/invocation.wgsl prepended when it calls flatIndex without defining it. */
function withInvocationHelper(source: string): string {
  return /\bflatIndex\s*\(/.test(source) && !/\bfn\s+flatIndex\b/.test(source) ? invocationSource + source : source;
}

/** Reads a kernel source's signature (the source as compiled: helpers prepended, aliases rebound). */
export type Reflector = (name: string, source: string) => KernelSignature;

/** Reflects webgrad's own kernels, written in the WGSL subset subsetReflector.ts reads. */
export function reflectKernel(name: string, source: string): KernelSignature {
  return signatureOf(name, source, reflectSubset(name, source));
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

  constructor(readonly name: string, source: string, private readonly reflect: Reflector = reflectKernel) {
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
    const signature = this.reflect(this.name, source);
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

/**
 * Declares a kernel from its WGSL source (imported as text from shaders/, or generated from such a
 * template), reflected by `reflectKernel`; user kernels pass wgsl_reflect's reflector instead.
 */
export function defineKernel(name: string, source: string, reflect: Reflector = reflectKernel): Kernel {
  return new Kernel(name, source, reflect);
}
