// The elementwise op table: every elementwise op is one row (an ElementwiseDeclaration) giving its
// inputs, a dtype rule per input and for the output, a WGSL body computing one output element (and
// one over int32 where the op has an int32 form), and per input a gradient body (fast, one fused
// kernel) plus the same gradient written with webgrad ops (used when the backward pass is itself
// being recorded, so higher derivatives still work). Kernels, eager ops, tensor methods and the
// fused compiler all read the rows, so no op code is shared between TypeScript and WGSL.
import broadcastIndexSource from '../../shaders/broadcastIndex.wgsl';
import ieeeSource from '../../shaders/ieee.wgsl';
import elementwiseTemplate from '../../shaders/elementwise.wgsl';
import elementwiseVectorTemplate from '../../shaders/elementwiseVector.wgsl';
import { isRecording, recordOp } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { defineKernel, type Kernel, type KernelVariant } from '../runtime/kernel';
import { launch } from '../runtime/launch';
import { Tensor, type DType } from '../tensor';
import { broadcastShapes, shapesEqual, sizeOf, type Shape } from '../shape';
import { MAX_RANK, broadcastUniforms, elementsPerInvocation } from './broadcast';
import type { UniformValues } from '../runtime/uniforms';
import { asTensor, type TensorLike } from './operand';

/**
 * What one input takes:
 * - 'float32': float32 only; an int32 tensor is a ValueError (cast it first).
 * - 'numeric': float32 or int32, computed in one dtype with the row's other numeric inputs: int32
 *   when the row has an `int32` body, some numeric input is a tensor and all are int32 (an integral
 *   number counts), else float32 (int32 tensors are cast, as NumPy promotes).
 * - 'truth': float32 or int32 as it is, seen by the bodies as a WGSL bool: nonzero (NaN is, −0 is
 *   not, as NumPy's truth test).
 */
export type InputDtype = 'float32' | 'numeric' | 'truth';
/**
 * The output's dtype: fixed, 'numeric' (the numeric inputs' computed dtype; float32 without any),
 * or one per computed dtype (cast's float32 form gives int32 and its int32 form float32).
 */
export type OutputDtype = DType | 'numeric' | { readonly float32: DType; readonly int32: DType };

export interface ElementwiseGradient {
  /**
   * WGSL statements ending in `return …;`, reading the inputs, `out` and `dy` by name: one fused
   * kernel. Omit it where the composed form is no more work (say, dy itself, or one product).
   */
  body?: string;
  /**
   * The same gradient with webgrad ops, given the inputs, the output and its gradient. A row whose
   * gradient calls its own op (mul's is a mul) states the op's type, which TypeScript cannot infer
   * through the cycle.
   */
  composed: (inputs: readonly Tensor[], out: Tensor, dy: Tensor) => Tensor;
  /** The derivative does not depend on the inputs, so with `propagatesNaN` a NaN input still gets it (neg: −dy). */
  constant?: true;
  /**
   * Both forms read only `out` and `dy`, never the inputs (sigmoid's dy·out·(1 − out)), and the op
   * propagates NaN: the kernel then binds just those two, with the NaN guard on `out`. A backward
   * pass thus never reads the op's input, so a compiled program (wg.jit) can fuse the op into the
   * matmul that makes its input, and linear applies it in its matmul's epilogue even under a tape.
   */
  fromOutput?: true;
}

/** One row of the op table. */
export interface ElementwiseDeclaration {
  name: string;
  /** WGSL identifiers of the inputs, in call order. */
  inputs: readonly string[];
  /** Each input's dtype rule by its name (default 'float32'). */
  dtypes?: { readonly [input: string]: InputDtype | undefined };
  /** The output's dtype rule (default 'numeric'). */
  output?: OutputDtype;
  /** WGSL statements ending in `return …;`, reading the inputs by name, for float32 numeric inputs. */
  body: string;
  /** The body when the numeric inputs compute in int32 (see InputDtype); int32 results have no gradient. */
  int32?: string;
  /** WGSL functions the bodies call (e.g. shaders/stableMath.wgsl); shaders/ieee.wgsl always comes first. */
  prelude?: string;
  /**
   * A NaN float32 input gives NaN out (the first NaN input, unchanged), and a NaN gradient unless the
   * gradient is `constant`; the body then need not handle NaN (WGSL's built-ins leave it undefined).
   */
  propagatesNaN?: true;
  /** One per input (null: no gradient flows to that input); omit for a non-differentiable op. */
  gradients?: readonly (ElementwiseGradient | null)[];
  /** Installed as a Tensor method: `x.name(...others)` is `name(x, ...others)` (src/ops/methods.ts). */
  method?: boolean;
}

/** A WGSL scalar type an elementwise kernel reads or writes. */
type Scalar = 'f32' | 'i32';

/** How a kernel reads one input: its storage type, and whether the body sees its truth value (a bool). */
export interface KernelInput { name: string; element: Scalar; truth?: boolean }

const scalarOf = (dtype: DType): Scalar => (dtype === 'int32' ? 'i32' : 'f32');

/** The WGSL parameter an input is passed as, and the expression converting a loaded element to it. */
export const parameterOf = (input: KernelInput): string => `${input.name}: ${input.truth ? 'bool' : input.element}`;
export function argumentOf(input: KernelInput, loaded: string): string {
  if (!input.truth) return loaded;
  // On the bits for f32, since WGSL may fold float comparisons as if NaN never occurred.
  return input.element === 'f32' ? `((bitcast<u32>(${loaded}) & 0x7fffffffu) != 0u)` : `(${loaded} != 0)`;
}

/**
 * The {{…}} parts both templates share: input bindings (each input's array element given by
 * `stored`), the out and params bindings, and compute's parameters and body.
 */
function fillShared(template: string, inputs: readonly KernelInput[], stored: (input: KernelInput, k: number) => string, body: string, output: Scalar): string {
  return template
    .replace('{{INPUT_BINDINGS}}', inputs.map((input, k) => `@group(0) @binding(${k}) var<storage, read> ${input.name}_: array<${stored(input, k)}>;`).join('\n'))
    .replace('{{OUT_BINDING}}', String(inputs.length))
    .replaceAll('{{OUTPUT}}', output)
    .replace('{{PARAMS_BINDING}}', String(inputs.length + 1))
    .replace('{{PARAMETERS}}', inputs.map(parameterOf).join(', '))
    .replace('{{BODY}}', body);
}

/** How one elementwise kernel is launched: its uniforms, override constants and invocation count. */
export interface ElementwiseLaunch { uniforms: UniformValues; variant: KernelVariant; threads: number }

/**
 * The broadcasting kernel's launch over `size` outputs for `inputCount` inputs, from
 * broadcastUniforms' layout (its inputs keyed '0', '1', …): 8 stride slots per input, RANK the
 * axes it walks, and 4 outputs per invocation where out's innermost merged axis holds whole fours
 * (elementsPerInvocation).
 */
export function broadcastingLaunch(layout: Record<string, number[] | number>, inputCount: number, size: number): ElementwiseLaunch {
  const strides = Array.from({ length: inputCount }, (_, k) => {
    const perInput = layout[String(k)] as number[];
    return [...perInput, ...new Array<number>(8 - perInput.length).fill(0)];
  }).flat();
  const outShape = layout.outShape as number[];
  const perInvocation = elementsPerInvocation(outShape);
  return {
    uniforms: { count: size, outShape, strides },
    variant: { constants: { RANK: layout.rank as number, PER_INVOCATION: perInvocation } },
    threads: size / perInvocation,
  };
}

/**
 * The broadcasting kernel's walk of output index i: every input's offset, unrolled over the 8
 * possible axes with constant uniform indices (shaders/broadcastIndex.wgsl says why).
 */
function offsetsWalk(inputCount: number): string {
  const inputs = Array.from({ length: inputCount }, (_, k) => k);
  const axes = Array.from({ length: MAX_RANK }, (_, j) => MAX_RANK - 1 - j).map((d) => {
    const [vector, lane] = [Math.floor(d / 4), d % 4];
    const offsets = inputs.map((k) => ` offset${k} += c * params.strides[${2 * k + vector}][${lane}];`).join('');
    return `  c = axisCoordinate(${d}u, params.outShape[${vector}][${lane}], &remaining);${offsets}`;
  });
  return ['  var c: u32;', ...inputs.map((k) => `  var offset${k} = 0u;`), ...axes].join('\n');
}

/** Generated WGSL reading every input through broadcast strides. */
export function elementwiseSource(inputs: readonly KernelInput[], body: string, prelude: string, output: Scalar): string {
  return ieeeSource + prelude + broadcastIndexSource + fillShared(elementwiseTemplate, inputs, (input) => input.element, body, output)
    .replace('{{STRIDE_VECTORS}}', String(2 * inputs.length))
    .replace('{{OFFSETS}}', offsetsWalk(inputs.length))
    .replace('{{INNER_STEPS}}', inputs.map((_, k) => `    let step${k} = params.strides[${2 * k}u + last / 4u][last % 4u];`).join('\n'))
    .replace('{{ARGUMENTS}}', inputs.map((input, k) => argumentOf(input, `${input.name}_[offset${k}]`)).join(', '))
    .replace(/\{\{ARGUMENTS_(\d)\}\}/g, (_, lane: string) => inputs.map((input, k) => argumentOf(input, `${input.name}_[offset${k} + ${lane}u * step${k}]`)).join(', '));
}

/** Vec4s each invocation of a vec4 kernel stores (shaders/elementwiseVector.wgsl's four storeVector calls). */
const VECTORS_PER_INVOCATION = 4;

/** The vec4 kernel's launch over `size` elements: the vec4s to store, and the invocations storing them. */
export function vectorLaunch(size: number): ElementwiseLaunch {
  return { uniforms: { count4: Math.ceil(size / 4) }, variant: {}, threads: Math.ceil(size / (4 * VECTORS_PER_INVOCATION)) };
}

/** Generated WGSL for contiguous inputs read as vec4s, except those marked `splat` (one element). */
export function elementwiseVectorSource(inputs: readonly KernelInput[], splat: readonly boolean[], body: string, prelude: string, output: Scalar): string {
  const lane = (component: string): string => `compute(${inputs.map((input, k) => argumentOf(input, `v${k}.${component}`)).join(', ')})`;
  return ieeeSource + prelude + fillShared(elementwiseVectorTemplate, inputs, (input, k) => (splat[k] ? input.element : `vec4<${input.element}>`), body, output)
    .replace('{{LOADS}}', inputs.map((input, k) => `  let v${k} = ${splat[k] ? `vec4<${input.element}>(${input.name}_[0])` : `${input.name}_[j]`};`).join('\n'))
    .replace('{{LANES}}', ['x', 'y', 'z', 'w'].map(lane).join(', '));
}

/** The shape all inputs broadcast to; past two inputs an error names every shape. */
function broadcastAll(op: string, names: readonly string[], shapes: readonly Shape[]): Shape {
  try {
    return shapes.reduce<Shape>((shape, next) => broadcastShapes(op, shape, next), []);
  } catch (error) {
    if (!(error instanceof ShapeError) || shapes.length <= 2) throw error;
    throw new ShapeError(`${op}: shapes ${shapes.map(formatShape).join(', ')} (${names.join(', ')}) cannot be broadcast together`);
  }
}

/**
 * The kernels of one body (forward, or one gradient) over one choice of input types: the
 * broadcasting one and a vec4 one per pattern of splatted inputs, each compiled on first use.
 */
class ElementwiseKernels {
  private broadcasting: Kernel | null = null;
  private readonly vectorized = new Map<string, Kernel>();

  constructor(
    readonly name: string, readonly inputs: readonly KernelInput[], readonly body: string, readonly prelude: string,
    readonly output: Scalar,
  ) {}

  /** Runs the body over broadcast inputs (of the kernel's input types); nothing is recorded. */
  run(inputs: readonly Tensor[]): Tensor {
    const outShape = broadcastAll(this.name, this.inputs.map((input) => input.name), inputs.map((input) => input.shape));
    const size = sizeOf(outShape);
    const splat = inputs.map((input) => input.size === 1 && size !== 1);
    const contiguous = inputs.every((input, k) => splat[k] || shapesEqual(input.shape, outShape));
    // Validated before anything is allocated, so a rank error leaves nothing behind.
    const layout = contiguous ? null : broadcastUniforms(this.name, outShape, Object.fromEntries(inputs.map((input, k) => [String(k), input.shape])));
    const out = Tensor.empty(outShape, this.output === 'i32' ? 'int32' : 'float32');
    const buffers: Record<string, GPUBuffer> = { out: out.buffer };
    // What wg.jit needs to fuse this kernel with its neighbours (src/jit/fuse.ts).
    const { name, body, prelude, output } = this;
    const elementwise = { name, inputs: this.inputs, body, prelude, output, inputShapes: inputs.map((input) => input.shape), outShape };
    inputs.forEach((input, k) => { buffers[`${this.inputs[k].name}_`] = input.buffer; });
    if (!layout) {
      // Pooled buffers hold whole vec4s (sizes are multiples of 16 bytes), so the last vec4 may run
      // past the tensor's end into its own padding.
      const key = splat.map(Number).join('');
      let kernel = this.vectorized.get(key);
      if (!kernel) {
        kernel = defineKernel(this.name, elementwiseVectorSource(this.inputs, splat, this.body, this.prelude, this.output));
        this.vectorized.set(key, kernel);
      }
      launch(kernel, { buffers, ...vectorLaunch(size), elementwise });
      return out;
    }
    this.broadcasting ??= defineKernel(this.name, elementwiseSource(this.inputs, this.body, this.prelude, this.output));
    launch(this.broadcasting, { buffers, ...broadcastingLaunch(layout, inputs.length, size), elementwise });
    return out;
  }
}

/**
 * `body` behind a NaN guard: the first NaN among the `guarded` inputs comes out unchanged. The row's
 * body becomes a function of its own, so the guard is one select per input around one call.
 */
function guardNaN(name: string, inputs: readonly KernelInput[], guarded: readonly string[], body: string, output: Scalar): { prelude: string; body: string } {
  const call = `${name}(${inputs.map((input) => input.name).join(', ')})`;
  const selected = guarded.reduceRight((value, input) => `select(${value}, ${input}, isNan(${input}))`, call);
  return { prelude: `fn ${name}(${inputs.map(parameterOf).join(', ')}) -> ${output} {\n  ${body}\n}\n`, body: `return ${selected};` };
}

/** Typed parameters for a row's inputs: one TensorLike each. */
type Operands<Inputs extends readonly string[]> = { [K in keyof Inputs]: TensorLike };

/**
 * A declared op: call it like any op (TensorLike arguments); `gradient` gives one input's gradient
 * (fused, or composed when recording). Its type keeps the row's inputs and method flag.
 */
export type ElementwiseOp<Inputs extends readonly string[] = readonly string[], Method extends boolean = boolean> = ((...args: Operands<Inputs>) => Tensor) & {
  readonly declaration: ElementwiseDeclaration & { readonly inputs: Inputs; readonly method?: Method };
  gradient(input: number, inputs: readonly Tensor[], out: Tensor, dy: Tensor): Tensor;
};

/**
 * The type of a row's op with one or two inputs that is installed as a method. Exported rows state
 * it (`export const exp: MethodOp<1> = defineElementwise(…)`), so Tensor's method types, derived
 * from these exports, never wait on a row's inference.
 */
export type MethodOp<N extends 1 | 2> = ElementwiseOp<N extends 1 ? readonly [string] : readonly [string, string], true>;

/** The op table: every declared row by name, in declaration order. */
const table = new Map<string, ElementwiseOp>();

/** Every row declared so far (each module declares its rows when it loads). */
export function elementwiseTable(): ReadonlyMap<string, ElementwiseOp> {
  return table;
}

/** Turns a row into an op: `op(a, b, …)` with TensorLike arguments, its dtypes resolved by the row's rules, recorded with its gradients. */
export function defineElementwise<const Inputs extends readonly string[], const Method extends boolean = false>(
  declaration: ElementwiseDeclaration & { inputs: Inputs; method?: Method },
): ElementwiseOp<Inputs, Method> {
  const { name, inputs: names } = declaration;
  if (table.has(name)) throw new Error(`defineElementwise: an op named '${name}' is already declared`);
  const rules = names.map((input): InputDtype => declaration.dtypes?.[input] ?? 'float32');
  const numeric = rules.map((rule) => rule === 'numeric');
  const outputRule = declaration.output ?? 'numeric';
  // Created on first use, one set per choice of input types (and gradient).
  const kernels = new Map<string, ElementwiseKernels>();

  const kernelInputs = (inputs: readonly Tensor[]): KernelInput[] =>
    inputs.map((input, k) => ({ name: names[k], element: scalarOf(input.dtype), truth: rules[k] === 'truth' }));
  /**
   * The kernels of `body` over these inputs (extra names such as out and dy read float32); `guarded`:
   * the first NaN among the inputs' float32 values (with no inputs given, `out`) comes out unchanged.
   */
  const kernelsFor = (label: string, inputs: readonly Tensor[], extra: readonly string[], body: string, output: Scalar, guarded: boolean): ElementwiseKernels => {
    const typed = [...kernelInputs(inputs), ...extra.map((input): KernelInput => ({ name: input, element: 'f32' }))];
    const key = `${label}:${typed.map((input) => `${input.element}${input.truth ? '?' : ''}`).join(',')}`;
    let found = kernels.get(key);
    if (!found) {
      const candidates = inputs.length > 0 ? typed.slice(0, names.length) : typed.filter((input) => input.name === 'out');
      const nanInputs = guarded ? candidates.filter((input) => input.element === 'f32' && !input.truth).map((input) => input.name) : [];
      const guard = nanInputs.length > 0 ? guardNaN(`${name}_${label.replace(/\W/g, '_')}`, typed, nanInputs, body, output) : { prelude: '', body };
      found = new ElementwiseKernels(`${name}${label === 'forward' ? '' : `.${label}`}`, typed, guard.body, (declaration.prelude ?? '') + guard.prelude, output);
      kernels.set(key, found);
    }
    return found;
  };

  /**
   * Input k's gradient at the output's shape; a recorded backward pass (higher derivatives) takes the
   * composed path. A `fromOutput` gradient reads no inputs (linear passes none).
   */
  const gradient = (k: number, inputs: readonly Tensor[], out: Tensor, dy: Tensor): Tensor => {
    const declared = declaration.gradients?.[k];
    if (!declared) throw new Error(`${name} has no gradient for input '${names[k]}'`);
    if (isRecording() || declared.body === undefined) return declared.composed(inputs, out, dy);
    const guarded = declaration.propagatesNaN === true && !declared.constant;
    const read = declared.fromOutput ? [] : inputs;
    return kernelsFor(`grad.${names[k]}`, read, ['out', 'dy'], declared.body, 'f32', guarded).run([...read, out, dy]);
  };

  /** The dtype the numeric inputs compute in. */
  const computedDtype = (given: readonly (Tensor | number)[]): DType => {
    const operands = given.filter((_, k) => numeric[k]);
    const isInt32 = (value: Tensor | number): boolean => (value instanceof Tensor ? value.dtype === 'int32' : Number.isInteger(value));
    const int32 = declaration.int32 !== undefined && operands.some((value) => value instanceof Tensor) && operands.every(isInt32);
    return int32 ? 'int32' : 'float32';
  };

  const op = (...args: readonly TensorLike[]): Tensor => {
    // Tensors made here (from arrays and numbers, and casts), disposed once the op has run.
    const made: Tensor[] = [];
    const keep = (tensor: Tensor, given: unknown): Tensor => {
      if (tensor !== given) made.push(tensor);
      return tensor;
    };
    try {
      // Numbers wait for the computed dtype (int32 x + 2 stays int32); arrays become tensors now.
      const given = names.map((input, k) => (typeof args[k] === 'number' ? (args[k] as number) : keep(asTensor(name, args[k], 'float32', input), args[k])));
      const dtype = computedDtype(given);
      const inputs = given.map((value, k) => {
        const wanted: DType | null = rules[k] === 'numeric' ? dtype : rules[k] === 'truth' ? null : 'float32';
        const tensor = typeof value === 'number' ? keep(asTensor(name, value, wanted ?? 'float32', names[k]), value) : value;
        if (wanted === null || tensor.dtype === wanted) return tensor;
        if (rules[k] !== 'numeric') throw new ValueError(`${name}: expects a ${wanted} tensor for '${names[k]}', got ${tensor.dtype}; cast it first`);
        // Promotion only ever turns int32 into float32.
        return keep(convert(tensor), tensor);
      });
      const int32 = dtype === 'int32';
      const output = scalarOf(typeof outputRule === 'object' ? outputRule[dtype] : outputRule === 'numeric' ? dtype : outputRule);
      const body = int32 ? declaration.int32 as string : declaration.body;
      const out = kernelsFor(int32 ? 'int32' : 'forward', inputs, [], body, output, declaration.propagatesNaN === true && !int32).run(inputs);
      const gradients = int32 ? undefined : declaration.gradients;
      recordOp(name, inputs, out, gradients
        ? (dy, needed) => inputs.map((_, k) => (gradients[k] && needed[k] ? gradient(k, inputs, out, dy) : null))
        : null);
      return out;
    } finally {
      made.forEach((tensor) => tensor.dispose());
    }
  };
  const defined = Object.assign(op, { declaration, gradient }) as unknown as ElementwiseOp<Inputs, Method>;
  table.set(name, defined as unknown as ElementwiseOp);
  return defined;
}

/**
 * The dtype conversion, a row like any other; numeric promotion runs it (src/ops/cast.ts is its
 * public face). x computes in its own dtype, so each form converts to the other: f32 → i32
 * truncates toward zero and saturates (WGSL's conversion), i32 → f32 rounds to nearest. Nothing
 * differentiates through an int32 side.
 */
export const convert = defineElementwise({
  name: 'cast', inputs: ['x'], dtypes: { x: 'numeric' }, output: { float32: 'int32', int32: 'float32' },
  body: 'return i32(x);', int32: 'return f32(x);',
});
