// Elementwise ops declared as data (the op table's rows): inputs, a WGSL body computing one output
// element (and one over int32 where the op has an int32 form), and for each input a gradient body
// (fast, one fused kernel) plus the same gradient written with webgrad ops (used when the backward
// pass is itself being recorded, so higher derivatives still work). Every kernel is generated from
// the row, so no op code is shared between TypeScript and WGSL.
import broadcastIndexSource from '../../shaders/broadcastIndex.wgsl';
import ieeeSource from '../../shaders/ieee.wgsl';
import elementwiseTemplate from '../../shaders/elementwise.wgsl';
import elementwiseVectorTemplate from '../../shaders/elementwiseVector.wgsl';
import { isRecording, recordOp } from '../autograd/recorder';
import { defineKernel, type Kernel } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor } from '../tensor';
import { broadcastShapes, shapesEqual, sizeOf, type Shape } from '../shape';
import { broadcastUniforms } from './broadcast';
import { asTensor, assertFloat, releaseTemporary, type TensorLike } from './operand';

export interface ElementwiseGradient {
  /**
   * WGSL statements ending in `return …;`, reading the inputs, `out` and `dy` by name: one fused
   * kernel. Omit it where the composed form is no more work (say, dy itself, or one product).
   */
  body?: string;
  /** The same gradient with webgrad ops, given the inputs, the output and its gradient. */
  composed: (inputs: readonly Tensor[], out: Tensor, dy: Tensor) => Tensor;
}

export interface ElementwiseDeclaration {
  name: string;
  /** WGSL identifiers of the inputs, in call order. */
  inputs: readonly string[];
  /** WGSL statements ending in `return …;`, reading the inputs by name (all f32; see `int32` for i32). */
  body: string;
  /** WGSL functions the bodies call (e.g. shaders/stableMath.wgsl); shaders/ieee.wgsl always comes first. */
  prelude?: string;
  /** One per input (null: no gradient flows to that input); omit for a non-differentiable op. */
  gradients?: readonly (ElementwiseGradient | null)[];
  /**
   * The body over i32 inputs, for an op that also runs on int32 tensors: used when every input is
   * int32 (the callers convert mixed operands first). int32 results have no gradient.
   */
  int32?: string;
  /** The output's dtype: the inputs' (by default), or always float32 (comparisons' 1/0). */
  output?: 'float32';
}

/** A WGSL scalar type an elementwise kernel reads or writes. */
type Scalar = 'f32' | 'i32';

/** Generated WGSL reading every input through broadcast strides. */
export function elementwiseSource(inputs: readonly string[], body: string, prelude = '', element: Scalar = 'f32', output: Scalar = element): string {
  return ieeeSource + prelude + broadcastIndexSource + elementwiseTemplate
    .replace('{{STRIDE_VECTORS}}', String(2 * inputs.length))
    .replace('{{INPUT_COUNT}}', String(inputs.length))
    .replace('{{INPUT_BINDINGS}}', inputs.map((name, k) => `@group(0) @binding(${k}) var<storage, read> ${name}_: array<${element}>;`).join('\n'))
    .replace('{{OUT_BINDING}}', String(inputs.length))
    .replaceAll('{{OUTPUT}}', output)
    .replace('{{PARAMS_BINDING}}', String(inputs.length + 1))
    .replace('{{PARAMETERS}}', inputs.map((name) => `${name}: ${element}`).join(', '))
    .replace('{{BODY}}', body)
    .replace('{{ARGUMENTS}}', inputs.map((name, k) => `${name}_[offsets[${k}]]`).join(', '));
}

/** Generated WGSL for contiguous inputs read as vec4s, except those marked `splat` (one element). */
export function elementwiseVectorSource(inputs: readonly string[], splat: readonly boolean[], body: string, prelude = '', element: Scalar = 'f32', output: Scalar = element): string {
  const lane = (component: string): string => `compute(${inputs.map((_, k) => `v${k}.${component}`).join(', ')})`;
  return ieeeSource + prelude + elementwiseVectorTemplate
    .replace('{{INPUT_BINDINGS}}', inputs.map((name, k) => `@group(0) @binding(${k}) var<storage, read> ${name}_: array<${splat[k] ? element : `vec4<${element}>`}>;`).join('\n'))
    .replace('{{OUT_BINDING}}', String(inputs.length))
    .replaceAll('{{OUTPUT}}', output)
    .replace('{{PARAMS_BINDING}}', String(inputs.length + 1))
    .replace('{{PARAMETERS}}', inputs.map((name) => `${name}: ${element}`).join(', '))
    .replace('{{BODY}}', body)
    .replace('{{LOADS}}', inputs.map((name, k) => `  let v${k} = ${splat[k] ? `vec4<${element}>(${name}_[0])` : `${name}_[j]`};`).join('\n'))
    .replace('{{LANES}}', ['x', 'y', 'z', 'w'].map(lane).join(', '));
}

/**
 * The kernels of one body (forward, or one gradient): the broadcasting one and a vec4 one per
 * pattern of splatted inputs, each compiled on first use.
 */
class ElementwiseKernels {
  private broadcasting: Kernel | null = null;
  private readonly vectorized = new Map<string, Kernel>();

  constructor(
    readonly name: string, readonly inputs: readonly string[], readonly body: string, readonly prelude = '',
    readonly element: Scalar = 'f32', readonly output: Scalar = element,
  ) {}

  /** Runs the body over broadcast inputs (all of the kernel's element type); nothing is recorded. */
  run(inputs: readonly Tensor[]): Tensor {
    const outShape = inputs.reduce<Shape>((shape, input) => broadcastShapes(this.name, shape, input.shape), []);
    const size = sizeOf(outShape);
    const splat = inputs.map((input) => input.size === 1 && size !== 1);
    const contiguous = inputs.every((input, k) => splat[k] || shapesEqual(input.shape, outShape));
    // Validated before anything is allocated, so a rank error leaves nothing behind.
    const layout = contiguous ? null : broadcastUniforms(this.name, outShape, Object.fromEntries(inputs.map((input, k) => [String(k), input.shape])));
    const out = Tensor.empty(outShape, this.output === 'i32' ? 'int32' : 'float32');
    const buffers: Record<string, GPUBuffer> = { out: out.buffer };
    // What wg.jit needs to fuse this kernel with its neighbours (src/jit/fuse.ts).
    const { name, body, prelude, element, output } = this;
    const elementwise = { name, inputs: this.inputs, body, prelude, element, output, inputShapes: inputs.map((input) => input.shape), outShape };
    inputs.forEach((input, k) => { buffers[`${this.inputs[k]}_`] = input.buffer; });
    if (!layout) {
      // Pooled buffers hold whole vec4s (sizes are multiples of 16 bytes), so the last vec4 may run
      // past the tensor's end into its own padding.
      const key = splat.map(Number).join('');
      let kernel = this.vectorized.get(key);
      if (!kernel) {
        kernel = defineKernel(this.name, elementwiseVectorSource(this.inputs, splat, this.body, this.prelude, this.element, this.output));
        this.vectorized.set(key, kernel);
      }
      const count4 = Math.ceil(size / 4);
      launch(kernel, { buffers, uniforms: { count4 }, threads: count4, elementwise });
      return out;
    }
    this.broadcasting ??= defineKernel(this.name, elementwiseSource(this.inputs, this.body, this.prelude, this.element, this.output));
    // The kernel keeps 8 stride slots per input.
    const strides = inputs.flatMap((_, k) => {
      const perInput = layout[String(k)] as number[];
      return [...perInput, ...new Array<number>(8 - perInput.length).fill(0)];
    });
    launch(this.broadcasting, {
      buffers,
      uniforms: { count: size, rank: layout.rank, outShape: layout.outShape, strides },
      threads: size,
      elementwise,
    });
    return out;
  }
}

/** A declared op: call it like any op; `gradient` gives one input's gradient (fused, or composed when recording). */
export interface ElementwiseOp {
  (...args: TensorLike[]): Tensor;
  gradient(input: number, inputs: readonly Tensor[], out: Tensor, dy: Tensor): Tensor;
}

/** Turns a declaration into an op: `op(a, b, …)` with numbers accepted, recorded with its gradients. */
export function defineElementwise(declaration: ElementwiseDeclaration): ElementwiseOp {
  const { name, inputs: names } = declaration;
  // Created on first use: declarations run at module load, possibly before this module's classes exist.
  let forward: ElementwiseKernels | null = null;
  let forwardInt32: ElementwiseKernels | null = null;
  const output: Scalar = declaration.output === 'float32' ? 'f32' : 'i32';
  const gradientKernels = new Map<number, ElementwiseKernels>();
  const gradientKernel = (k: number, body: string): ElementwiseKernels => {
    let kernels = gradientKernels.get(k);
    if (!kernels) {
      kernels = new ElementwiseKernels(`${name}.grad.${names[k]}`, [...names, 'out', 'dy'], body, declaration.prelude);
      gradientKernels.set(k, kernels);
    }
    return kernels;
  };
  /** Input k's gradient at the output's shape; a recorded backward pass (higher derivatives) takes the composed path. */
  const gradient = (k: number, inputs: readonly Tensor[], out: Tensor, dy: Tensor): Tensor => {
    const declared = declaration.gradients?.[k];
    if (!declared) throw new Error(`${name} has no gradient for input '${names[k]}'`);
    return isRecording() || declared.body === undefined
      ? declared.composed(inputs, out, dy)
      : gradientKernel(k, declared.body).run([...inputs, out, dy]);
  };
  const op = (...args: TensorLike[]): Tensor => {
    const inputs = args.map((arg) => asTensor(name, arg));
    try {
      const int32 = declaration.int32 !== undefined && inputs.every((input) => input.dtype === 'int32');
      if (!int32) inputs.forEach((input) => assertFloat(name, input));
      const kernels = int32
        ? (forwardInt32 ??= new ElementwiseKernels(`${name}.int32`, names, declaration.int32 as string, '', 'i32', output))
        : (forward ??= new ElementwiseKernels(name, names, declaration.body, declaration.prelude));
      const out = kernels.run(inputs);
      const gradients = int32 ? undefined : declaration.gradients;
      recordOp(name, inputs, out, gradients
        ? (dy, needed) => inputs.map((_, k) => (gradients[k] && needed[k] ? gradient(k, inputs, out, dy) : null))
        : null);
      return out;
    } finally {
      args.forEach((arg, k) => releaseTemporary(arg, inputs[k]));
    }
  };
  return Object.assign(op, { gradient });
}
