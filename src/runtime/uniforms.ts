// Packs named uniform values into bytes at the offsets WGSL's layout rules give, read from the
// shader by a reflector (see reflection.ts).
import { ValueError } from '../errors';

export type ScalarKind = 'f32' | 'i32' | 'u32';

/** One scalar slot of the uniform struct: where it lives and how to write it. */
export interface ScalarSlot { offset: number; kind: ScalarKind }

/** A struct member flattened to its scalar slots, in index order (vec components, array elements). */
export interface UniformField { name: string; slots: ScalarSlot[] }

export interface UniformLayout { byteSize: number; fields: Map<string, UniformField> }

export type UniformValues = Record<string, number | readonly number[]>;

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
