// The subset reflector (src/runtime/subsetReflector.ts) against wgsl_reflect, the full parser it
// replaces in the core bundle: generated kernels across the range the generators produce (the
// elementwise templates with 1 to 8 inputs, as fused kernels use, and optimizer updates), read
// field by field the same way; WGSL outside the subset refused with a KernelError naming the
// construct. Every kernel the GPU tests compile is compared as well, when their pages close
// (test/harness/reflection-check.ts). Pure Node: no browser.
import { describe, expect, it } from 'vitest';
import { KernelError } from '../../src/errors';
import { elementwiseSource, elementwiseVectorSource, type KernelInput } from '../../src/ops/elementwise';
import { checkGradientOptions, gradientKernelPart } from '../../src/optim/gradientTransform';
import { updateKernel } from '../../src/optim/updateKernel';
import { reflectKernel } from '../../src/runtime/kernel';
import { plainSignature, reflectionMismatches } from '../harness/reflection-check';

/** Inputs as the generators get them: `x0`, `x1`, … of one element type. */
const inputs = (count: number, element: 'f32' | 'i32' = 'f32'): KernelInput[] => Array.from({ length: count }, (_, k) => ({ name: `x${k}`, element }));
const body = (list: readonly KernelInput[]): string => `return ${list.map((input) => input.name).join(' + ')};`;

describe('generated kernels read alike by both reflectors', () => {
  it('elementwise with broadcast strides, 1 to 8 inputs, f32 and i32, float output', () => {
    const sources = [];
    for (let count = 1; count <= 8; count++) {
      for (const [element, output] of [['f32', 'f32'], ['i32', 'i32'], ['i32', 'f32']] as const) {
        sources.push({ label: `broadcast ${count} ${element}→${output}`, code: elementwiseSource(inputs(count, element), body(inputs(count)), '', output) });
      }
    }
    expect(reflectionMismatches(sources, { remembered: false })).toEqual([]);
    // The uniform holds 2 vec4 of strides per input: count, rank, outShape (2 vec4), then 2·n vec4.
    const eight = reflectKernel('eight', elementwiseSource(inputs(8), body(inputs(8)), '', 'f32'));
    expect(eight.uniform?.layout.byteSize).toBe(16 + 32 + 8 * 32);
    expect(eight.storage.map((binding) => [binding.name, binding.binding, binding.readOnly])).toEqual([
      ...inputs(8).map((input, k) => [`${input.name}_`, k, true]), ['out', 8, false],
    ]);
  });

  it('elementwise over vec4s, 1 to 8 inputs, with none, every other and all but one input splatted', () => {
    const sources = [];
    for (let count = 1; count <= 8; count++) {
      const patterns = [
        inputs(count).map(() => false),
        inputs(count).map((_, k) => k % 2 === 1),
        inputs(count).map((_, k) => k !== 0),
      ];
      for (const splat of patterns) {
        for (const element of ['f32', 'i32'] as const) {
          sources.push({ label: `vector ${count} ${splat.map(Number).join('')} ${element}`, code: elementwiseVectorSource(inputs(count, element), splat, body(inputs(count)), '', element) });
        }
      }
    }
    expect(reflectionMismatches(sources, { remembered: false })).toEqual([]);
  });

  it('optimizer updates with 0 to 3 slots, 0 to 4 constants, every gradient option and 1 to 3 tensors per group', () => {
    const sources = [];
    const transforms = [{}, { clipnorm: 1 }, { clipvalue: 0.5 }, { globalClipnorm: 2 }, { gradientAccumulationSteps: 3 }, { clipnorm: 1, gradientAccumulationSteps: 2 }]
      .map((options) => ({ label: JSON.stringify(options), part: gradientKernelPart(checkGradientOptions('sgd', options)) }));
    for (const transform of transforms) {
      for (let slotCount = 0; slotCount <= 3; slotCount++) {
        for (let constantCount = 0; constantCount <= 4; constantCount++) {
          const slots = Object.fromEntries(Array.from({ length: slotCount }, (_, k) => [`s${k}`, 0]));
          const constants = Object.fromEntries(Array.from({ length: constantCount }, (_, k) => [`c${k}`, 1]));
          for (let tensors = 1; tensors <= 3; tensors++) {
            const name = `update ${slotCount} ${constantCount} ${transform.label} ${tensors}`;
            sources.push({ label: name, code: updateKernel(name, { slots, constants, body: '  p -= g;' }, transform.part, tensors).source });
          }
        }
      }
    }
    expect(reflectionMismatches(sources, { remembered: false })).toEqual([]);
  });

  it('uniform layouts beyond what webgrad writes today: arrays of vec3 and vec2, nested arrays, aliased vectors, a trailing comma', () => {
    const structs = [
      'struct P { a: array<vec3<f32>, 2>, b: f32 }',
      'struct P { a: f32, b: array<vec2<u32>, 3>, c: u32 }',
      'struct P { a: u32, b: array<array<vec4<i32>, 2>, 2>, c: vec3u, d: vec2f }',
      'alias V = vec4<u32>;\nalias S = u32;\nstruct P { a: S, b: V, c: array<V, 2>, d: vec2<S> }',
      'struct P {\n  a: vec3<f32>,\n}',
    ];
    const sources = structs.map((struct, k) => ({
      label: `layout ${k}`,
      code: `${struct}\n@group(0) @binding(0) var<uniform> p: P;\n@group(0) @binding(1) var<storage> q: array<f32>;\n@compute @workgroup_size(2, 3) fn main() {}`,
    }));
    expect(reflectionMismatches(sources, { remembered: false })).toEqual([]);
  });

  it('declarations inside comments are not read, by either reflector', () => {
    const code = `// @group(0) @binding(3) var<storage, read> ghost: array<f32>;
/* an old layout: /* nested */ @group(0) @binding(4) var<uniform> old: Params; */
struct Params { count: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(8, 4) fn main() { out[0] = f32(params.count); }`;
    expect(reflectionMismatches([{ label: 'commented', code }], { remembered: false })).toEqual([]);
    expect(plainSignature(reflectKernel('commented', code))).toEqual({
      storage: [{ name: 'out', binding: 0, readOnly: false }],
      uniform: { name: 'params', binding: 1, layout: { byteSize: 4, fields: [['count', { name: 'count', slots: [{ offset: 0, kind: 'u32' }] }]] } },
      workgroupSize: [8, 4, 1],
      entryPoint: 'main',
    });
  });
});

describe('WGSL outside the subset is refused, never guessed', () => {
  const kernel = (declarations: string, entry = '@compute @workgroup_size(64) fn main() {}'): string =>
    `struct Params { count: u32 }\n${declarations}\n${entry}`;
  const cases: [string, string, RegExp][] = [
    ['a second bind group', kernel('@group(1) @binding(0) var<storage, read> x: array<f32>;'), /bind group 1 \('x'\)/],
    ['a texture', kernel('@group(0) @binding(0) var image: texture_2d<f32>;'), /a binding not written/],
    ['@binding before @group', kernel('@binding(0) @group(0) var<storage, read> x: array<f32>;'), /a binding not written/],
    ['an atomic-free but unknown address space', kernel('@group(0) @binding(0) var<storage, write> x: array<f32>;'), /the binding '.*var<storage, write> x/],
    ['a uniform that is not a struct', kernel('@group(0) @binding(0) var<uniform> scale: f32;'), /the uniform 'scale' of type 'f32'/],
    ['a member attribute', 'struct P { @align(16) count: u32 }\n@group(0) @binding(0) var<uniform> p: P;\n@compute @workgroup_size(1) fn main() {}', /the uniform struct member '@align\(16\) count: u32'/],
    ['a matrix member', 'struct P { m: mat2x2<f32> }\n@group(0) @binding(0) var<uniform> p: P;\n@compute @workgroup_size(1) fn main() {}', /'mat2x2<f32>' \(uniform field 'm'\)/],
    ['an array sized by a constant', 'const N = 2u;\nstruct P { a: array<vec4<u32>, N> }\n@group(0) @binding(0) var<uniform> p: P;\n@compute @workgroup_size(1) fn main() {}', /'array<vec4<u32>,N>' \(uniform field 'a'\)/],
    ['a workgroup size by a constant', kernel('const SIZE = 64u;', '@compute @workgroup_size(SIZE) fn main() {}'), /the workgroup size 'SIZE'/],
    // WGSL's 64u is 64, but wgsl_reflect 1.6 reads it as 1: outside the subset, so never read differently.
    ['a suffixed workgroup size', kernel('', '@compute @workgroup_size(64u) fn main() {}'), /the workgroup size '64u'/],
    ['attributes after the entry point', kernel('', '@workgroup_size(64) @compute fn main() {}'), /an entry point not written/],
    ['two compute entry points', kernel('', '@compute @workgroup_size(1) fn a() {}\n@compute @workgroup_size(1) fn b() {}'), /more than one/],
    ['an unterminated block comment', kernel('/* open'), /an unterminated block comment/],
  ];
  it.each(cases)('%s', (_, code, construct) => {
    expect(() => reflectKernel('outside', code)).toThrow(KernelError);
    expect(() => reflectKernel('outside', code)).toThrow(construct);
    // The message says where webgrad's kernels are read, and the way for any other WGSL.
    expect(() => reflectKernel('outside', code)).toThrow(/^kernel 'outside': .* is outside the WGSL subset .*subsetReflector\.ts.*customOp.*loadCustomOpSupport/);
  });

  it('a module without a compute entry point gets the same error as from wgsl_reflect', () => {
    expect(() => reflectKernel('noEntry', 'fn helper() {}')).toThrow("kernel 'noEntry': the WGSL has no @compute entry point");
  });
});
