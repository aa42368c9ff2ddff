// Custom ops for research: your own WGSL, bound by the names it uses, with an optional backward
// rule. A thin public face of kernelOp, the helper every built-in op that is not elementwise runs on.
import { ValueError } from '../errors';
import { reflectUserKernel } from '../runtime/wgslReflectLoader';
import { assertValidShape } from '../shape';
import type { Tensor, DType } from '../tensor';
import { kernelOp, opKernel, type Kernel, type KernelVariant } from './kernelOp';
import type { UniformValues } from '../runtime/uniforms';

export interface CustomOpSpec {
  /** Shown in errors, profiles and tape graphs. */
  name: string;
  /** A compute shader: storage buffers named as in `inputs` and `output`, at most one uniform struct. */
  wgsl: string;
  /** Read-only inputs by their WGSL variable names. */
  inputs: Record<string, Tensor>;
  /** The output's WGSL variable name, shape and dtype (float32 by default). */
  output: { name: string; shape: readonly number[]; dtype?: DType };
  /** Values of the uniform struct's fields, by field name. */
  uniforms?: UniformValues;
  /** Threads to launch as a 1-D grid (default: one per output element)… */
  threads?: number;
  /** …or an explicit workgroup grid. */
  workgroups?: [number, number, number];
  /** Override constants and type-alias rebindings for this call. */
  variant?: KernelVariant;
  /**
   * The gradient of each input given the output's gradient, written with webgrad ops (so it is
   * itself differentiable). Omit it for an op that is not differentiable.
   */
  backward?: (outputGradient: Tensor, inputs: Record<string, Tensor>, output: Tensor) => Record<string, Tensor | null>;
}

export { loadCustomOpSupport } from '../runtime/wgslReflectLoader';

const kernels = new Map<string, Kernel>();

/**
 * Runs a user-written WGSL kernel as a webgrad op: batched, pooled, and recorded on tapes. The
 * WGSL is reflected by wgsl_reflect, which is not in the core bundle: `await loadCustomOpSupport()`
 * once before the first call.
 */
export function customOp(spec: CustomOpSpec): Tensor {
  const names = Object.keys(spec.inputs);
  if (names.includes(spec.output.name)) throw new ValueError(`${spec.name}: output '${spec.output.name}' has the same name as an input`);
  assertValidShape(spec.name, spec.output.shape);
  return kernelOp(spec.name, spec.inputs, () => {
    const key = `${spec.name}\n${spec.wgsl}`;
    let kernel = kernels.get(key);
    if (!kernel) {
      kernel = opKernel(spec.name, spec.wgsl, reflectUserKernel);
      kernels.set(key, kernel);
    }
    // Compiling first (cached) refuses a bad shader before anything is allocated.
    const { signature } = kernel.compile(spec.variant);
    const overwritten = signature.storage.find((binding) => !binding.readOnly && names.includes(binding.name));
    if (overwritten) {
      throw new ValueError(
        `${spec.name}: input '${overwritten.name}' is declared var<storage, read_write>, so the kernel could overwrite ` +
        `the caller's tensor; declare inputs var<storage, read> (only the output '${spec.output.name}' may be read_write)`,
      );
    }
    const backward = spec.backward;
    return {
      output: { shape: spec.output.shape, dtype: spec.output.dtype ?? 'float32' },
      steps: (output) => [{
        kernel,
        tensors: { ...spec.inputs, [spec.output.name]: output },
        uniforms: spec.uniforms,
        variant: spec.variant,
        ...(spec.workgroups ? { workgroups: spec.workgroups } : { threads: spec.threads ?? output.size }),
      }],
      backward: backward
        ? (dy, _needed, output) => {
            const gradients = backward(dy, spec.inputs, output);
            return names.map((name) => gradients[name] ?? null);
          }
        : null,
    };
  });
}
