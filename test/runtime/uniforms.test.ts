// Uniform packing (src/runtime/uniforms.ts): layouts reflected from small WGSL structs must put
// each value at the offset WGSL's uniform layout rules give (worked out by hand in the comments:
// scalars align to 4, vec2 to 8, vec3/vec4 to 16, uniform array strides to 16). Both reflectors
// run every layout case: the subset reader of webgrad's own kernels and wgsl_reflect (customOp).
// Pure Node: no browser.
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelError, ValueError } from '../../src/errors';
import { packUniforms, type UniformLayout } from '../../src/runtime/uniforms';
import { reflectKernel, type Reflector } from '../../src/runtime/kernel';
import { loadCustomOpSupport, reflectUserKernel } from '../../src/runtime/wgslReflectLoader';
import { elementwiseSource } from '../../src/ops/elementwise';

beforeAll(async () => { await loadCustomOpSupport(); });

/** The layout of the one uniform struct in a compute shader whose uniform is `params: <structName>`. */
function layoutOfWith(structSource: string, structName: string, reflect: Reflector): UniformLayout {
  const source = `${structSource}
@group(0) @binding(0) var<uniform> params: ${structName};
@compute @workgroup_size(1) fn main() { _ = params; }`;
  return reflect('test', source).uniform!.layout;
}

/** Each reflector, with the error it gives for a member type packing cannot write. */
const reflectors: { name: string; reflect: Reflector; unsupported: typeof ValueError | typeof KernelError }[] = [
  // A user's shader is user input (ValueError); webgrad's own kernels never use such types (KernelError: a webgrad bug).
  { name: 'wgsl_reflect (customOp)', reflect: reflectUserKernel, unsupported: ValueError },
  { name: "the subset reflector (webgrad's kernels)", reflect: reflectKernel, unsupported: KernelError },
];

/** Packs into a buffer pre-filled with 0xAB bytes, so unwritten bytes stand out. */
function pack(layout: UniformLayout, values: Record<string, number | number[]>): DataView {
  const bytes = new Uint8Array(layout.byteSize).fill(0xab);
  const view = new DataView(bytes.buffer);
  packUniforms(layout, values, view, 0, 'test');
  return view;
}

const offsetsOf = (layout: UniformLayout, field: string): number[] => layout.fields.get(field)!.slots.map((slot) => slot.offset);

describe.each(reflectors)('uniform layout read by $name', ({ reflect, unsupported }) => {
  const layoutOf = (structSource: string, structName = 'Params'): UniformLayout => layoutOfWith(structSource, structName, reflect);
  it('places scalars and vec4 arrays as the broadcasting kernels declare them', () => {
    const layout = layoutOf('struct Params { count: u32, rank: u32, outShape: array<vec4<u32>, 2>, strides: array<vec4<u32>, 2> }');
    // count@0, rank@4, outShape aligned to 16 → 16..47 (8 u32 slots), strides 48..79; size 80.
    expect(offsetsOf(layout, 'count')).toEqual([0]);
    expect(offsetsOf(layout, 'rank')).toEqual([4]);
    expect(offsetsOf(layout, 'outShape')).toEqual([16, 20, 24, 28, 32, 36, 40, 44]);
    expect(offsetsOf(layout, 'strides')).toEqual([48, 52, 56, 60, 64, 68, 72, 76]);
    expect(layout.byteSize).toBe(80);
  });

  it('aligns vec2 to 8 and vec3 to 16, with a scalar packed into the vec3 tail', () => {
    const layout = layoutOf('struct Params { a: f32, b: vec3<f32>, c: f32, d: vec2<i32>, e: i32, f: vec4f }');
    // a@0; b aligned to 16 → 16,20,24; c fills the vec3's 4-byte tail @28; d@32,36; e@40; f@48..60;
    // size 64 (a multiple of the struct's 16-byte alignment).
    expect(offsetsOf(layout, 'a')).toEqual([0]);
    expect(offsetsOf(layout, 'b')).toEqual([16, 20, 24]);
    expect(offsetsOf(layout, 'c')).toEqual([28]);
    expect(offsetsOf(layout, 'd')).toEqual([32, 36]);
    expect(offsetsOf(layout, 'e')).toEqual([40]);
    expect(offsetsOf(layout, 'f')).toEqual([48, 52, 56, 60]);
    expect(layout.byteSize).toBe(64);
  });

  it('resolves type aliases, so a rebound Element changes how a field is written', () => {
    const asInt = layoutOf('alias Element = i32;\nstruct Params { count: u32, lo: Element, hi: Element }');
    const asFloat = layoutOf('alias Element = f32;\nstruct Params { count: u32, lo: Element, hi: Element }');
    expect(offsetsOf(asInt, 'lo')).toEqual([4]);
    expect(offsetsOf(asInt, 'hi')).toEqual([8]);
    expect(pack(asInt, { count: 3, lo: -5, hi: 7 }).getInt32(4, true)).toBe(-5);
    expect(pack(asFloat, { count: 3, lo: -5.5, hi: 7 }).getFloat32(4, true)).toBe(-5.5);
  });

  it('rejects member types it cannot pack, naming the field', () => {
    expect(() => layoutOf('struct Params { count: u32, m: mat2x2<f32> }')).toThrow(unsupported);
    expect(() => layoutOf('struct Params { count: u32, m: mat2x2<f32> }')).toThrow(/uniform field 'm'/);
    expect(() => layoutOf('struct Inner { x: f32 }\nstruct Params { count: u32, inner: Inner }')).toThrow(/uniform field 'inner'/);
  });

  it('reads a real shader: where\'s generated broadcasting kernel has its three inputs\' strides after count and outShape', () => {
    const inputs = [{ name: 'condition', element: 'i32', truth: true }, { name: 'a', element: 'f32' }, { name: 'b', element: 'f32' }] as const;
    const signature = reflect('where', elementwiseSource(inputs, 'return select(b, a, condition);', '', 'f32'));
    const layout = signature.uniform!.layout;
    expect(offsetsOf(layout, 'count')).toEqual([0]);
    // The rank is an override constant (one pipeline per rank, shaders/broadcastIndex.wgsl), not a uniform.
    expect(layout.fields.has('rank')).toBe(false);
    expect(offsetsOf(layout, 'outShape')[0]).toBe(16);
    // Two vec4<u32> (8 dims) per input: condition's at 48, a's at 80, b's at 112.
    expect(offsetsOf(layout, 'strides').filter((_, k) => k % 8 === 0)).toEqual([48, 80, 112]);
    expect(layout.byteSize).toBe(144);
    expect(signature.storage.map((binding) => [binding.name, binding.binding, binding.readOnly])).toEqual([
      ['condition_', 0, true], ['a_', 1, true], ['b_', 2, true], ['out', 3, false],
    ]);
    expect(signature.workgroupSize).toEqual([64, 1, 1]);
  });
});

describe('packUniforms', () => {
  const layout = layoutOfWith('struct Params { count: u32, offset: i32, scale: f32, shape: array<vec4<u32>, 2>, origin: vec2<f32> }', 'Params', reflectKernel);

  it('writes u32, i32 and f32 little-endian at their offsets', () => {
    const view = pack(layout, { count: 0xffffffff, offset: -123456, scale: 0.1, shape: [1, 2, 3, 4, 5, 6, 7, 8], origin: [1.5, -2] });
    expect(view.getUint32(0, true)).toBe(0xffffffff);
    expect(view.getInt32(4, true)).toBe(-123456);
    expect(view.getFloat32(8, true)).toBe(Math.fround(0.1));
    expect(Array.from({ length: 8 }, (_, i) => view.getUint32(16 + 4 * i, true))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // origin: vec2 aligned to 8 right after the array (which ends at 48).
    expect([view.getFloat32(48, true), view.getFloat32(52, true)]).toEqual([1.5, -2]);
  });

  it('fills the unused tail of an array field with zeros', () => {
    const view = pack(layout, { count: 1, offset: 0, scale: 1, shape: [9, 8, 7], origin: [0, 0] });
    expect(Array.from({ length: 8 }, (_, i) => view.getUint32(16 + 4 * i, true))).toEqual([9, 8, 7, 0, 0, 0, 0, 0]);
  });

  it('honours a base offset', () => {
    const bytes = new DataView(new ArrayBuffer(layout.byteSize + 256));
    packUniforms(layout, { count: 42, offset: -1, scale: 2, shape: [3], origin: [4, 5] }, bytes, 256, 'test');
    expect(bytes.getUint32(256, true)).toBe(42);
    expect(bytes.getInt32(260, true)).toBe(-1);
    expect(bytes.getFloat32(256 + 52, true)).toBe(5);
    expect(bytes.getUint32(0, true)).toBe(0);
  });

  it('rejects a missing field, an unknown field and too many values, naming the kernel and field', () => {
    const full = { count: 1, offset: 0, scale: 1, shape: [1], origin: [0, 0] };
    const attempt = (values: Record<string, number | number[]>): void => {
      packUniforms(layout, values, new DataView(new ArrayBuffer(layout.byteSize)), 0, 'myKernel');
    };
    const { scale: _omitted, ...missingScale } = full;
    expect(() => attempt(missingScale)).toThrow(ValueError);
    expect(() => attempt(missingScale)).toThrow("myKernel: uniform field 'scale' was not given a value");
    expect(() => attempt({ ...full, extra: 3 })).toThrow("myKernel: the shader has no uniform field 'extra'");
    expect(() => attempt({ ...full, shape: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toThrow(/'shape' holds 8 values, got 9/);
    expect(() => attempt({ ...full, origin: [1, 2, 3] })).toThrow(/'origin' holds 2 values, got 3/);
  });
});
