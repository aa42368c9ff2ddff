// An optimizer's update as data, and the one kernel template (shaders/optim/update.wgsl) that turns
// it into WGSL: each optimizer states its slots, its per-step constants and its update body; the
// gradient part (accumulation, clipping) comes from the options every optimizer shares.
import ieeeSource from '../../shaders/ieee.wgsl';
import clipSource from '../../shaders/optim/clip.wgsl';
import updateTemplate from '../../shaders/optim/update.wgsl';
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
   * update in place; each slot is an array read and written at `[i]`; constants by their names.
   */
  readonly body: string;
}

const kernels = new Map<string, Kernel>();

/** The kernel of one rule's shape (its slots, constant names and body) with one gradient part, generated once and cached. */
export function updateKernel(name: string, rule: UpdateRule, gradient: GradientKernelPart): Kernel {
  const slots = Object.keys(rule.slots);
  const constants = Object.keys(rule.constants);
  const key = `${name}|${slots.join(',')}|${constants.join(',')}|${rule.body}|${gradient.code}`;
  let kernel = kernels.get(key);
  if (!kernel) {
    const storage = [...gradient.storage, ...slots.map((slot) => ({ name: slot, access: 'read_write', type: 'vec4<f32>' }))];
    const source = updateTemplate
      .replace('{{CONSTANT_MEMBERS}}', [...constants, ...gradient.uniforms].map((constant) => `${constant}: f32,`).join(' '))
      .replace('{{STORAGE_BINDINGS}}', storage.map((s, k) => `@group(0) @binding(${k + 2}) var<storage, ${s.access}> ${s.name}: array<${s.type}>;`).join('\n'))
      .replace('{{PARAMS_BINDING}}', String(storage.length + 2))
      .replace('{{GRADIENT}}', gradient.code)
      .replace('{{CONSTANT_LETS}}', constants.map((constant) => `  let ${constant} = params.${constant};`).join('\n'))
      .replace('{{BODY}}', rule.body);
    kernel = defineKernel(name, ieeeSource + clipSource + source);
    kernels.set(key, kernel);
  }
  return kernel;
}
