// An optimizer's update as a store function: WGSL that takes one element of a parameter's gradient
// where a kernel would store it and applies the optimizer's rule to that element of the parameter
// and its slots instead (src/jit/fuseUpdate.ts attaches it to the kernel making the gradient). It is
// the grouped update kernel's per-element code (shaders/optim/updateTensor.wgsl with the gradient
// taken as it is: decoupled decay, then the rule's body) on f32 scalars instead of vec4s: the same
// operations per element, so the results are bit-identical. Nothing here knows the host kernel: any
// kernel whose stores go through one function, and whose uniform struct is `params: Params`, can take it.
import { renameArrays } from '../optim/updateKernel';
import type { UpdateSite } from '../runtime/capture';

export interface UpdateStore {
  /** The update's storage bindings (parameter, then slots, read-write) and `fn <name>(i: u32, g: f32)`. */
  source: string;
  /** Members to append to the host's `struct Params` (decay, then the rule's constants). */
  members: string[];
  /** Each binding's buffer, by binding name. */
  buffers: Map<string, GPUBuffer>;
  /** The members' values from the rule's values of this call (`UpdateSite.values()`). */
  uniforms: (values: Readonly<Record<string, number>>) => Record<string, number>;
}

/** Whether the rule's body is valid on f32 scalars: one written for vec4s only (a vec4 constructor, swizzles of g) is not. */
export function scalarRule(site: UpdateSite): boolean {
  return !/\bvec\d|\b[gp]\.[xyzwrgba]/.test(site.body);
}

/**
 * Tensor `tensor` of an update group as the store function `name`, its bindings numbered from
 * `firstBinding`. Element i of the gradient updates element i of the parameter and its slots.
 * Everything it adds to the host (bindings, uniform members) is prefixed `<name>_`, so it clashes
 * with none of the host's names, and a kernel storing two gradients (dW and db) can take two.
 */
export function updateStoreFunction(site: UpdateSite, tensor: number, firstBinding: number, name: string): UpdateStore {
  const prefix = `${name}_`;
  const { param, slots } = site.tensors[tensor];
  const arrays = ['param', ...site.slots];
  const buffers = new Map<string, GPUBuffer>(arrays.map((array): [string, GPUBuffer] => [prefix + array, array === 'param' ? param : slots[array]]));
  const uniformNames = ['decay', ...site.constants];
  const source = [
    ...arrays.map((array, k) => `@group(0) @binding(${firstBinding + k}) var<storage, read_write> ${prefix}${array}: array<f32>;`),
    `fn ${name}(i: u32, g: f32) {`,
    ...site.constants.map((constant) => `  let ${constant} = params.${prefix}${constant};`),
    `  var p = ${prefix}param[i];`,
    `  p -= p * params.${prefix}decay;`,
    renameArrays(site.body, site.slots, (slot) => prefix + slot),
    `  ${prefix}param[i] = p;`,
    '}',
  ].join('\n');
  return {
    source,
    members: uniformNames.map((uniform) => `${prefix}${uniform}: f32`),
    buffers,
    uniforms: (values) => Object.fromEntries(uniformNames.map((uniform) => [prefix + uniform, values[uniform]])),
  };
}

/** `source` with `members` appended to its `struct Params` (its own members keep their offsets). */
export function withParamsMembers(source: string, members: readonly string[]): string {
  return source.replace(/struct\s+Params\s*\{([^}]*)\}/, (_, own: string) => {
    const existing = own.trimEnd();
    return `struct Params {${existing}${existing.endsWith(',') ? '' : ','}\n  ${members.join(',\n  ')},\n}`;
  });
}
