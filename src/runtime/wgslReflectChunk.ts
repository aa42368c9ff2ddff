// wgsl_reflect's reading of a user kernel (customOp), in the form the runtime uses. The bundle
// ships this file as its own chunk (dist/webgrad-wgsl-reflect.js, loaded by wgslReflectLoader.ts
// on demand), so it imports nothing but wgsl_reflect and types: a value shared with the core would
// make esbuild split it into a third file.
import { WgslReflect, type TypeInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { ReflectedModule } from './reflection';
import type { ScalarKind, ScalarSlot, UniformField } from './uniforms';

/** The module, or why it could not be read: a parse error, or a uniform member type packing cannot write. */
export type WgslReflectOutcome =
  | { module: ReflectedModule }
  | { failure: 'parse' | 'uniform'; message: string };

/** Reflects group-0 storage and uniform bindings and the first compute entry point with wgsl_reflect. */
export function reflectWithWgslReflect(source: string): WgslReflectOutcome {
  let reflection: WgslReflect;
  try {
    reflection = new WgslReflect(source);
  } catch (error) {
    return { failure: 'parse', message: `WGSL parse error: ${(error as Error).message}` };
  }
  const storage = reflection.storage.map((variable) => ({
    name: variable.name,
    binding: variable.binding,
    readOnly: variable.access !== 'read_write',
  }));
  const uniforms = [];
  for (const variable of reflection.uniforms) {
    const fields = new Map<string, UniformField>();
    for (const member of variable.members ?? []) {
      const slots: ScalarSlot[] = [];
      const unsupported = flattenType(member.type, member.offset, slots);
      if (unsupported) return { failure: 'uniform', message: `uniform field '${member.name}' has type ${unsupported}, which uniform packing does not support` };
      fields.set(member.name, { name: member.name, slots });
    }
    uniforms.push({ name: variable.name, binding: variable.binding, layout: { byteSize: variable.size, fields } });
  }
  const entry = reflection.entry.compute[0];
  return { module: { storage, uniforms, compute: entry ? { name: entry.name, workgroupSize: entry.workgroupSize } : null } };
}

/** Appends a member's scalar slots in index order (vec components, array elements); returns the type name it cannot pack. */
function flattenType(type: TypeInfo, offset: number, slots: ScalarSlot[]): string | null {
  const name = type.name;
  if (name === 'f32' || name === 'i32' || name === 'u32') {
    slots.push({ offset, kind: name });
    return null;
  }
  if (type.isArray) {
    const array = type as TypeInfo & { format: TypeInfo; count: number; stride: number };
    for (let i = 0; i < array.count; i++) {
      const unsupported = flattenType(array.format, offset + i * array.stride, slots);
      if (unsupported) return unsupported;
    }
    return null;
  }
  const vector = /^vec([234])([fiu])?$/.exec(name);
  const component = vector ? vectorComponentKind(type, vector[2]) : null;
  if (!vector || !component) return type.getTypeName();
  for (let i = 0; i < Number(vector[1]); i++) slots.push({ offset: offset + 4 * i, kind: component });
  return null;
}

function vectorComponentKind(type: TypeInfo, suffix: string | undefined): ScalarKind | null {
  if (suffix === 'f') return 'f32';
  if (suffix === 'i') return 'i32';
  if (suffix === 'u') return 'u32';
  const format = (type as TypeInfo & { format?: TypeInfo | null }).format?.name;
  return format === 'f32' || format === 'i32' || format === 'u32' ? format : null;
}
