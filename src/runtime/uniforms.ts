// Packs named uniform values into bytes at the offsets WGSL's layout rules give, read from the shader.
import type { MemberInfo, TypeInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { ValueError } from '../errors';

type ScalarKind = 'f32' | 'i32' | 'u32';

/** One scalar slot of the uniform struct: where it lives and how to write it. */
interface ScalarSlot { offset: number; kind: ScalarKind }

/** A struct member flattened to its scalar slots, in index order (vec components, array elements). */
export interface UniformField { name: string; slots: ScalarSlot[] }

export interface UniformLayout { byteSize: number; fields: Map<string, UniformField> }

export type UniformValues = Record<string, number | readonly number[]>;

/**
 * Flattens each member of the uniform struct into scalar slots.
 * @internal Takes wgsl_reflect's types, which the bundle inlines and the public .d.ts cannot name.
 */
export function uniformLayoutFromMembers(members: readonly MemberInfo[], byteSize: number, kernel: string): UniformLayout {
  const fields = new Map<string, UniformField>();
  for (const member of members) {
    const slots: ScalarSlot[] = [];
    flattenType(member.type, member.offset, slots, `${kernel}: uniform field '${member.name}'`);
    fields.set(member.name, { name: member.name, slots });
  }
  return { byteSize, fields };
}

function flattenType(type: TypeInfo, offset: number, slots: ScalarSlot[], where: string): void {
  const name = type.name;
  if (name === 'f32' || name === 'i32' || name === 'u32') {
    slots.push({ offset, kind: name });
    return;
  }
  if (type.isArray) {
    const array = type as TypeInfo & { format: TypeInfo; count: number; stride: number };
    for (let i = 0; i < array.count; i++) flattenType(array.format, offset + i * array.stride, slots, where);
    return;
  }
  const vector = /^vec([234])([fiu])?$/.exec(name);
  if (vector) {
    const length = Number(vector[1]);
    const component = vectorComponentKind(type, vector[2]);
    for (let i = 0; i < length; i++) slots.push({ offset: offset + 4 * i, kind: component });
    return;
  }
  throw new ValueError(`${where} has type ${type.getTypeName()}, which uniform packing does not support`);
}

function vectorComponentKind(type: TypeInfo, suffix: string | undefined): ScalarKind {
  if (suffix === 'f') return 'f32';
  if (suffix === 'i') return 'i32';
  if (suffix === 'u') return 'u32';
  const format = (type as TypeInfo & { format?: TypeInfo | null }).format?.name;
  if (format === 'f32' || format === 'i32' || format === 'u32') return format;
  throw new ValueError(`vector type ${type.getTypeName()} has no component type uniform packing knows`);
}

/**
 * Writes `values` into `target` at `baseOffset` by the layout. Every field must be given; an array
 * field may be given fewer values than it has slots (the rest are zero), never more.
 */
export function packUniforms(layout: UniformLayout, values: UniformValues, target: DataView, baseOffset: number, kernel: string): void {
  for (const field of layout.fields.values()) {
    const value = values[field.name];
    if (value === undefined) throw new ValueError(`${kernel}: uniform field '${field.name}' was not given a value`);
    const list = typeof value === 'number' ? [value] : value;
    if (list.length > field.slots.length) {
      throw new ValueError(`${kernel}: uniform field '${field.name}' holds ${field.slots.length} values, got ${list.length}`);
    }
    field.slots.forEach((slot, i) => writeScalar(target, baseOffset + slot.offset, slot.kind, list[i] ?? 0));
  }
  for (const name of Object.keys(values)) {
    if (!layout.fields.has(name)) throw new ValueError(`${kernel}: the shader has no uniform field '${name}'`);
  }
}

function writeScalar(view: DataView, offset: number, kind: ScalarKind, value: number): void {
  if (kind === 'f32') view.setFloat32(offset, value, true);
  else if (kind === 'i32') view.setInt32(offset, value, true);
  else view.setUint32(offset, value, true);
}
