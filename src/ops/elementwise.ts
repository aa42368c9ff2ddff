// Elementwise ops declared as data: inputs, a WGSL body computing one output element, and for each
// input a gradient body (fast, one fused kernel) plus the same gradient written with webgrad ops
// (used when the backward pass is itself being recorded, so higher derivatives still work).
import elementwiseTemplate from '../../shaders/elementwise.wgsl';
import { isRecording, recordOp } from '../autograd/recorder';
import { defineKernel, type Kernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor } from '../tensor';
import { broadcastShapes, shapesEqual, type Shape } from '../shape';
import { broadcastUniforms, unbroadcast } from './binary';
import { asTensor, assertFloat, releaseTemporary, type TensorLike } from './operand';

export interface ElementwiseGradient {
  /** WGSL statements ending in `return …;`, reading the inputs, `out` and `dy` by name. */
  body: string;
  /** The same gradient with webgrad ops, given the inputs, the output and its gradient. */
  composed: (inputs: readonly Tensor[], out: Tensor, dy: Tensor) => Tensor;
}

export interface ElementwiseDeclaration {
  name: string;
  /** WGSL identifiers of the inputs, in call order. */
  inputs: readonly string[];
  /** WGSL statements ending in `return …;`, reading the inputs by name (all f32). */
  body: string;
  /** WGSL functions the bodies call (e.g. shaders/stableMath.wgsl). */
  prelude?: string;
  /** One per input (null: no gradient flows to that input); omit for a non-differentiable op. */
  gradients?: readonly (ElementwiseGradient | null)[];
}

/** Generated WGSL for a body over named f32 inputs. */
export function elementwiseSource(inputs: readonly string[], body: string, prelude = ''): string {
  return prelude + elementwiseTemplate
    .replace('{{STRIDE_VECTORS}}', String(2 * inputs.length))
    .replace('{{INPUT_COUNT}}', String(inputs.length))
    .replace('{{INPUT_BINDINGS}}', inputs.map((name, k) => `@group(0) @binding(${k}) var<storage, read> ${name}_: array<f32>;`).join('\n'))
    .replace('{{OUT_BINDING}}', String(inputs.length))
    .replace('{{PARAMS_BINDING}}', String(inputs.length + 1))
    .replace('{{PARAMETERS}}', inputs.map((name) => `${name}: f32`).join(', '))
    .replace('{{BODY}}', body)
    .replace('{{ARGUMENTS}}', inputs.map((name, k) => `${name}_[offsets[${k}]]`).join(', '));
}

/** Runs a generated kernel over broadcast float32 inputs; nothing is recorded. */
function run(kernel: Kernel, names: readonly string[], inputs: readonly Tensor[]): Tensor {
  const outShape = inputs.reduce<Shape>((shape, input) => broadcastShapes(kernel.name, shape, input.shape), []);
  const out = Tensor.empty(outShape, 'float32');
  const buffers: Record<string, GPUBuffer> = { out: out.buffer };
  inputs.forEach((input, k) => { buffers[`${names[k]}_`] = input.buffer; });
  const layout = broadcastUniforms(kernel.name, outShape, Object.fromEntries(inputs.map((input, k) => [String(k), input.shape])));
  // The kernel keeps 8 stride slots per input.
  const strides = inputs.flatMap((_, k) => {
    const perInput = layout[String(k)] as number[];
    return [...perInput, ...new Array<number>(8 - perInput.length).fill(0)];
  });
  const broadcast = inputs.some((input) => !shapesEqual(input.shape, outShape));
  launch(kernel, {
    buffers,
    uniforms: { count: out.size, rank: layout.rank, outShape: layout.outShape, strides },
    variant: { constants: { BROADCAST: broadcast ? 1 : 0 } },
    threads: out.size,
  });
  return out;
}

/** A declared op: call it like any op; `gradient` gives one input's gradient (fused, or composed when recording). */
export interface ElementwiseOp {
  (...args: TensorLike[]): Tensor;
  gradient(input: number, inputs: readonly Tensor[], out: Tensor, dy: Tensor): Tensor;
}

/** Turns a declaration into an op: `op(a, b, …)` with numbers accepted, recorded with its gradients. */
export function defineElementwise(declaration: ElementwiseDeclaration): ElementwiseOp {
  const { name, inputs: names } = declaration;
  // Built on first use: declarations run at module load, possibly before the template is imported.
  let forward: Kernel | null = null;
  const gradientKernels = new Map<number, Kernel>();
  const gradientKernel = (k: number, body: string): Kernel => {
    let kernel = gradientKernels.get(k);
    if (!kernel) {
      kernel = defineKernel(`${name}.grad.${names[k]}`, elementwiseSource([...names, 'out', 'dy'], body, declaration.prelude));
      gradientKernels.set(k, kernel);
    }
    return kernel;
  };
  /** Input k's gradient at the output's shape; a recorded backward pass (higher derivatives) takes the composed path. */
  const gradient = (k: number, inputs: readonly Tensor[], out: Tensor, dy: Tensor): Tensor => {
    const declared = declaration.gradients?.[k];
    if (!declared) throw new Error(`${name} has no gradient for input '${names[k]}'`);
    return isRecording()
      ? declared.composed(inputs, out, dy)
      : run(gradientKernel(k, declared.body), [...names, 'out', 'dy'], [...inputs, out, dy]);
  };
  const op = (...args: TensorLike[]): Tensor => {
    forward ??= defineKernel(name, elementwiseSource(names, declaration.body, declaration.prelude));
    const inputs = args.map((arg) => asTensor(name, arg));
    try {
      inputs.forEach((input) => assertFloat(name, input));
      const out = run(forward, names, inputs);
      const gradients = declaration.gradients;
      recordOp(name, inputs, out, gradients
        ? (dy, needed) => inputs.map((input, k) => (gradients[k] && needed[k] ? unbroadcast(gradient(k, inputs, out, dy), input.shape) : null))
        : null);
      return out;
    } finally {
      args.forEach((arg, k) => releaseTemporary(arg, inputs[k]));
    }
  };
  return Object.assign(op, { gradient });
}
