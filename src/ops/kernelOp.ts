// The one way an op that is not an elementwise table row runs WGSL: its inputs are checked alive,
// the op validates and plans, its outputs are allocated, its steps run (kernel launches and buffer
// copies, one or several, sharing scratch tensors), and it is recorded on the tape with its
// backward rule. A launch that throws frees everything the op allocated, so a failed call leaves
// no tensor behind. customOp is the public face of the same helper.
import { recordOp } from '../autograd/recorder';
import { placeholderBuffer } from '../runtime/bufferPool';
import type { MatmulEpilogueSite } from '../runtime/capture';
import { encodeCopy } from '../runtime/commands';
import { defineKernel, type Kernel, type KernelVariant, type Reflector } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import type { ReductionPass } from '../runtime/capture';
import type { UniformValues } from '../runtime/uniforms';
import type { Shape } from '../shape';
import { BYTES_PER_ELEMENT, Tensor, type DType } from '../tensor';

export type { Kernel, KernelVariant };

/** An op's kernel: WGSL whose bindings and uniforms are read from the source; compiled on first launch. */
export function opKernel(name: string, source: string, reflect?: Reflector): Kernel {
  return defineKernel(name, source, reflect);
}

/**
 * Integer codes for a kernel's `override` selector, from one list of names, so no code is written
 * twice: `code[name]` is the value to pass, and `wgsl` declares each as a WGSL constant
 * (`const MAX = 1u;` for 'max') that the shader compares the override with.
 */
export function selectorCodes<Name extends string>(names: readonly Name[]): { code: Record<Name, number>; wgsl: string } {
  const code = Object.fromEntries(names.map((name, index) => [name, index])) as Record<Name, number>;
  const wgsl = names.map((name, index) => `const ${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()} = ${index}u;\n`).join('');
  return { code, wgsl };
}

/** One kernel launch of an op. */
export interface Dispatch {
  kernel: Kernel;
  /**
   * Storage bindings by the names the WGSL uses: inputs, outputs and scratch tensors. null binds a
   * placeholder to a binding this variant never reads (a binding cannot be left empty).
   */
  tensors: Readonly<Record<string, Tensor | null>>;
  uniforms?: UniformValues;
  variant?: KernelVariant;
  /**
   * Uniform values that must be computed anew on each call of a compiled (wg.jit) program, such as
   * a random draw's stream: its launch re-evaluates them at every replay.
   */
  refresh?: () => UniformValues;
  /** For wg.jit: a matmul whose epilogue may take in the elementwise ops after it (src/jit/fuseMatmul.ts). */
  matmul?: MatmulEpilogueSite;
  /** For wg.jit: what a reduce kernel's pass computes (src/runtime/capture.ts). */
  reduction?: ReductionPass;
  /** A 1-D thread count (kernels index with flatIndex)… */
  threads?: number;
  /** …or an explicit workgroup grid. */
  workgroups?: [number, number, number];
}

/** A copy of `count` elements between tensors by the GPU's copy engine, without a kernel (whole rows of a slice). */
export interface ElementCopy {
  copy: { from: Tensor; fromOffset: number; to: Tensor; toOffset: number; count: number };
}

/** What an op runs, in order. */
export type Step = Dispatch | ElementCopy;

/**
 * What to allocate: a shape and dtype, or a tensor the op has just made (an op-internal constant,
 * a view: freed too if a launch throws).
 */
export type OutputSpec = { shape: Shape; dtype: DType } | Tensor;

/** Allocates a tensor that the op's steps share and that is freed once they are queued. */
export type Scratch = (shape: Shape, dtype: DType) => Tensor;

/** Input gradients from the output gradient; `needed[i]` says whether input i's is used. */
export type OpBackward = (outputGradient: Tensor, needed: readonly boolean[], output: Tensor) => readonly (Tensor | null)[];

/** What a validated op runs: returned by the `plan` a kernel op is given. */
export interface KernelOpPlan {
  output: OutputSpec;
  /** The launches and copies that fill `output`, in order (none for an empty output or a view). */
  steps: (output: Tensor, scratch: Scratch) => readonly Step[];
  /**
   * The backward rule; null records the op as not differentiable (argmax, oneHot); left out, the
   * op is not recorded at all (tensors made from nothing: creation, random draws).
   */
  backward?: OpBackward | null;
}

/** Inputs as a list, or by name (errors then name the input: "op (input 'x')"). */
export type OpInputs = readonly Tensor[] | Readonly<Record<string, Tensor>>;

/**
 * Runs one op: checks `inputs` are alive, calls `plan` (which validates and throws before
 * anything is allocated), allocates the output, launches the plan's dispatches and records the op.
 */
export function kernelOp(name: string, inputs: OpInputs, plan: () => KernelOpPlan): Tensor {
  const recorded = checkInputs(name, inputs);
  const { output, steps, backward } = plan();
  const [out] = runSteps([output], ([target], scratch) => steps(target, scratch));
  if (backward !== undefined) recordOp(name, recorded, out, backward && ((dy, needed) => backward(dy, needed, out)));
  return out;
}

/** An unrecorded kernel step with several outputs (a fused backward pass that writes two results). */
export function kernelOutputs(
  name: string,
  inputs: OpInputs,
  plan: () => { outputs: readonly OutputSpec[]; steps: (outputs: Tensor[], scratch: Scratch) => readonly Step[] },
): Tensor[] {
  checkInputs(name, inputs);
  const { outputs, steps } = plan();
  return runSteps(outputs, steps);
}

function checkInputs(name: string, inputs: OpInputs): Tensor[] {
  if (isTensorList(inputs)) {
    for (const input of inputs) input.assertAlive(name);
    return [...inputs];
  }
  for (const [inputName, input] of Object.entries(inputs)) input.assertAlive(`${name} (input '${inputName}')`);
  return Object.values(inputs);
}

function isTensorList(inputs: OpInputs): inputs is readonly Tensor[] {
  return Array.isArray(inputs);
}

function runSteps(specs: readonly OutputSpec[], steps: (outputs: Tensor[], scratch: Scratch) => readonly Step[]): Tensor[] {
  const outputs: Tensor[] = [];
  const scratches: Tensor[] = [];
  const scratch: Scratch = (shape, dtype) => {
    const tensor = Tensor.empty(shape, dtype);
    scratches.push(tensor);
    return tensor;
  };
  try {
    for (const spec of specs) outputs.push(spec instanceof Tensor ? spec : Tensor.empty(spec.shape, spec.dtype));
    for (const step of steps(outputs, scratch)) {
      if ('copy' in step) {
        const { from, fromOffset, to, toOffset, count } = step.copy;
        encodeCopy(from.buffer, fromOffset * BYTES_PER_ELEMENT, to.buffer, toOffset * BYTES_PER_ELEMENT, count * BYTES_PER_ELEMENT);
        continue;
      }
      const dispatch = step;
      const buffers: Record<string, GPUBuffer> = {};
      for (const [binding, tensor] of Object.entries(dispatch.tensors)) buffers[binding] = tensor ? tensor.buffer : placeholderBuffer();
      launch(dispatch.kernel, {
        buffers,
        uniforms: dispatch.uniforms,
        variant: dispatch.variant,
        refresh: dispatch.refresh,
        matmul: dispatch.matmul,
        reduction: dispatch.reduction,
        ...(dispatch.workgroups ? { workgroups: dispatch.workgroups } : { threads: dispatch.threads }),
      });
    }
  } catch (error) {
    for (const output of outputs) output.dispose();
    throw error;
  } finally {
    // Safe with the dispatches still queued: the pool hands a buffer out again only to later commands.
    for (const tensor of scratches) tensor.dispose();
  }
  return outputs;
}
