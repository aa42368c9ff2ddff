// An optimizer's update as data, and the one kernel template (shaders/optim/update.wgsl) that turns
// it into WGSL: each optimizer states its slots, its per-step constants and its update body; the
// gradient part (accumulation, clipping) comes from the options every optimizer shares. One kernel
// updates a group of tensors (the multi-tensor "foreach" update of PyTorch's fused Adam and apex's
// multi_tensor_apply): WGSL has no arrays of bindings, so each tensor's share is the same block
// over its own renamed bindings, and a uniform per tensor says where its invocations end.
import ieeeSource from '../../shaders/ieee.wgsl';
import clipSource from '../../shaders/optim/clip.wgsl';
import updateTemplate from '../../shaders/optim/update.wgsl';
import tensorTemplate from '../../shaders/optim/updateTensor.wgsl';
import { defineKernel, type Kernel } from '../runtime/kernel';
import type { GradientKernelPart } from './gradientTransform';

/** One step of one optimizer, as the shared kernel template needs it. */
export interface UpdateRule {
  /** Per-parameter state, each shaped like the parameter: slot name → its starting value. */
  readonly slots: Readonly<Record<string, number>>;
  /**
   * This step's scalars, computed on the CPU in double precision and rounded to float32 once, as
   * uniforms. Deriving them on the GPU would round twice: 1 − float32(0.99999) is off by 1.4e-3
   * relative, a bias every step repeats.
   */
  readonly constants: Readonly<Record<string, number>>;
  /**
   * WGSL statements over vec4<f32>: `g` is the gradient, `p` the parameter (already decayed) to
   * update in place; each slot is an array read and written only as `name[i]`; constants by their names.
   */
  readonly body: string;
}

type StorageArray = GradientKernelPart['storage'][number];

/** The storage arrays each tensor of a group binds for its own: param, grad, the gradient part's, the slots. */
function perTensorArrays(rule: UpdateRule, gradient: GradientKernelPart): StorageArray[] {
  return [
    { name: 'param', access: 'read_write', type: 'vec4<f32>', shared: false },
    { name: 'grad', access: 'read', type: 'vec4<f32>', shared: false },
    ...gradient.storage.filter((s) => !s.shared),
    ...Object.keys(rule.slots).map((slot): StorageArray => ({ name: slot, access: 'read_write', type: 'vec4<f32>', shared: false })),
  ];
}

/** The names (as the rule uses them) of the arrays each tensor of a group binds for its own. */
export function perTensorBindings(rule: UpdateRule, gradient: GradientKernelPart): string[] {
  return perTensorArrays(rule, gradient).map((s) => s.name);
}

/** The storage arrays bound once for the whole group (global clipping's squared norm). */
export function sharedBindings(gradient: GradientKernelPart): string[] {
  return gradient.storage.filter((s) => s.shared).map((s) => s.name);
}

/** Tensor k's binding of the array a rule calls `name`. */
function boundName(name: string, k: number): string {
  return `${name}_${k}`;
}

/**
 * The buffers of one group's dispatch, by binding name: each tensor's own arrays under its renamed
 * bindings, shared ones once (from the first tensor; every tensor of a group gives the same buffer).
 */
export function groupBuffers(rule: UpdateRule, gradient: GradientKernelPart, tensors: readonly Readonly<Record<string, GPUBuffer>>[]): Record<string, GPUBuffer> {
  const buffers: Record<string, GPUBuffer> = {};
  for (const name of sharedBindings(gradient)) buffers[name] = tensors[0][name];
  tensors.forEach((tensor, k) => {
    for (const name of perTensorBindings(rule, gradient)) buffers[boundName(name, k)] = tensor[name];
  });
  return buffers;
}

/** The uniforms saying where each tensor's invocations end: running sums of the vec4 counts. */
export function groupEnds(vec4Counts: readonly number[]): Record<string, number> {
  const ends: Record<string, number> = {};
  let end = 0;
  vec4Counts.forEach((count, k) => {
    end += count;
    ends[boundName('end', k)] = end;
  });
  return ends;
}

/**
 * WGSL with each of `arrays` renamed where it is indexed. Only `name[` is renamed: a rule reads and
 * writes its arrays only by index, and locals (mNew, gradient) are never indexed, so they keep their names.
 */
export function renameArrays(code: string, arrays: readonly string[], rename: (array: string) => string): string {
  if (arrays.length === 0) return code;
  return code.replace(new RegExp(`\\b(${arrays.join('|')})\\[`, 'g'), (_, array: string) => `${rename(array)}[`);
}

const kernels = new Map<string, Kernel>();

/**
 * The kernel of one rule's shape (its slots, constant names and body) with one gradient part, for
 * a group of `tensors` tensors, generated once and cached.
 */
export function updateKernel(name: string, rule: UpdateRule, gradient: GradientKernelPart, tensors: number): Kernel {
  const slots = Object.keys(rule.slots);
  const constants = Object.keys(rule.constants);
  const key = `${name}|${slots.join(',')}|${constants.join(',')}|${rule.body}|${gradient.code}|${tensors}`;
  let kernel = kernels.get(key);
  if (!kernel) {
    const own = perTensorArrays(rule, gradient);
    const declared = [
      ...gradient.storage.filter((s) => s.shared).map((s) => ({ ...s, binding: s.name })),
      ...Array.from({ length: tensors }, (_, k) => own.map((s) => ({ ...s, binding: boundName(s.name, k) }))).flat(),
    ];
    const block = tensorTemplate.replace(/^(\/\/.*\n)+/, '')
      .replace('{{GRADIENT}}', gradient.code)
      .replace('{{CONSTANT_LETS}}', constants.map((constant) => `  let ${constant} = params.${constant};`).join('\n'))
      .replace('{{BODY}}', rule.body);
    const blocks = Array.from({ length: tensors }, (_, k) => renameArrays(block
      .replace('{{END}}', boundName('end', k))
      .replace('{{MINUS_START}}', k === 0 ? '' : ` - params.${boundName('end', k - 1)}`), own.map((s) => s.name), (array) => boundName(array, k)));
    const source = updateTemplate
      .replace('{{CONSTANT_MEMBERS}}', [...constants, ...gradient.uniforms].map((constant) => `${constant}: f32,`).join(' '))
      .replace('{{TENSOR_ENDS}}', Array.from({ length: tensors }, (_, k) => `${boundName('end', k)}: u32,`).join(' '))
      .replace('{{STORAGE_BINDINGS}}', declared.map((s, k) => `@group(0) @binding(${k}) var<storage, ${s.access}> ${s.binding}: array<${s.type}>;`).join('\n'))
      .replace('{{PARAMS_BINDING}}', String(declared.length))
      .replace('{{TENSORS}}', blocks.join(''));
    kernel = defineKernel(tensors === 1 ? name : `${name}×${tensors}`, ieeeSource + clipSource + source);
    kernels.set(key, kernel);
  }
  return kernel;
}
