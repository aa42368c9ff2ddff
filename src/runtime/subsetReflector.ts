// Reflects webgrad's own kernels without a WGSL parser, so the core bundle leaves wgsl_reflect out
// (it is loaded only for customOp: wgslReflectLoader.ts).
//
// Why a reader of a subset rather than a table reflected at build time: many kernels are generated
// at run time (elementwise ones per op, input count and splat pattern; optimizer updates; fused
// kernels), so a table would have to mirror every generator and go stale with the next one. The
// WGSL webgrad writes declares its interface in a few fixed forms, and this file reads exactly those:
//   - `@group(0) @binding(N) var<storage[, read | read_write]> name: T;`
//   - at most one `@group(0) @binding(N) var<uniform> name: S;`, S a struct whose members are
//     f32, i32, u32, vecN<T> (vecNf, vecNi, vecNu), array<T, count> of those, or an alias of one;
//   - one `@compute @workgroup_size(x[, y[, z]]) fn name(`, sizes unsuffixed integer literals or
//     WORKGROUP_SIZE alone.
// Anything else is refused with a KernelError naming it, never guessed. What it accepts it reads as
// wgsl_reflect does: the test harness compares the two field by field for every kernel each GPU
// test compiles (test/harness/reflection-check.ts), and test/runtime/uniforms.test.ts runs the
// layout rules through both.
import { KernelError } from '../errors';
import type { ReflectedModule, StorageBinding, UniformBinding } from './reflection';
import type { ScalarKind, ScalarSlot, UniformField } from './uniforms';

/** A type's size and alignment under WGSL's layout rules, and its scalar slots from offset 0. */
interface MemberLayout { align: number; size: number; slots: ScalarSlot[] }

const BINDING = /@group\(\s*(\d+)\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*<([^>]*)>\s*(\w+)\s*:\s*([^;]+);/g;
const ENTRY = /@compute\s*@workgroup_size\(([^)]*)\)\s*fn\s+(\w+)\s*\(/g;
/** Alias chains and nested arrays deeper than this are not webgrad's. */
const MAX_TYPE_DEPTH = 8;

/** Reads the bindings, uniform layout and entry point of a kernel written in webgrad's WGSL subset. */
export function reflectSubset(kernel: string, source: string): ReflectedModule {
  const refuse = (what: string): never => {
    throw new KernelError(
      `kernel '${kernel}': ${what} is outside the WGSL subset webgrad reflects without wgsl_reflect ` +
      '(src/runtime/subsetReflector.ts); user kernels go through customOp, which reflects any WGSL ' +
      'once `await wg.loadCustomOpSupport()` has loaded wgsl_reflect',
    );
  };
  const code = withoutComments(source, refuse);
  const aliases = new Map<string, string>();
  for (const [, name, type] of code.matchAll(/\balias\s+(\w+)\s*=\s*([^;]+);/g)) aliases.set(name, type.trim());
  const structs = new Map<string, string>();
  for (const [, name, body] of code.matchAll(/\bstruct\s+(\w+)\s*\{([^}]*)\}/g)) structs.set(name, body);

  const storage: StorageBinding[] = [];
  const uniforms: UniformBinding[] = [];
  const bindings = [...code.matchAll(BINDING)];
  if (bindings.length !== (code.match(/@binding\b/g) ?? []).length) refuse('a binding not written `@group(0) @binding(N) var<storage | uniform …> name: type;`');
  for (const [declaration, group, binding, space, name, type] of bindings) {
    if (group !== '0') refuse(`bind group ${group} ('${name}')`);
    const [addressSpace, access, ...rest] = space.split(',').map((part) => part.trim());
    if (addressSpace === 'storage' && rest.length === 0 && (access === undefined || access === 'read' || access === 'read_write')) {
      storage.push({ name, binding: Number(binding), readOnly: access !== 'read_write' });
    } else if (addressSpace === 'uniform' && access === undefined) {
      const body = structs.get(type.trim()) ?? refuse(`the uniform '${name}' of type '${type.trim()}', not a struct declared in the module`);
      uniforms.push({ name, binding: Number(binding), layout: structLayout(body, aliases, refuse) });
    } else {
      refuse(`the binding '${declaration}'`);
    }
  }

  const entries = [...code.matchAll(ENTRY)];
  const computeCount = (code.match(/@compute\b/g) ?? []).length;
  if (computeCount > 1 || entries.length !== computeCount) refuse('an entry point not written `@compute @workgroup_size(…) fn name(`, or more than one');
  const entry = entries[0];
  return { storage, uniforms, compute: entry ? { name: entry[2], workgroupSize: workgroupSize(entry[1], refuse) } : null };
}

/** The source without line comments and (nested) block comments, so commented-out declarations are not read. */
function withoutComments(source: string, refuse: (what: string) => never): string {
  let code = '';
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const pair = source.slice(i, i + 2);
    if (pair === '/*') {
      depth++;
      i++;
    } else if (depth > 0 && pair === '*/') {
      depth--;
      i++;
      code += ' ';
    } else if (depth === 0 && pair === '//') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? source.length : end - 1;
    } else if (depth === 0) {
      code += source[i];
    }
  }
  if (depth > 0) refuse('an unterminated block comment');
  return code;
}

/** `@workgroup_size`'s arguments: null for the runtime's WORKGROUP_SIZE override alone. */
function workgroupSize(argumentText: string, refuse: (what: string) => never): number[] | null {
  const parts = argumentText.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length === 1 && parts[0] === 'WORKGROUP_SIZE') return null;
  if (parts.length === 0 || parts.length > 3) refuse(`@workgroup_size(${argumentText})`);
  // Suffixed literals (64u) are refused too: wgsl_reflect 1.6 reads them as 1, and this reader
  // promises wgsl_reflect's answer.
  return parts.map((part) => (/^\d+$/.test(part) ? Number(part) : refuse(`the workgroup size '${part}' (unsuffixed integer literals or WORKGROUP_SIZE only)`)));
}

/** Members at WGSL's offsets: each aligned to its type, the struct's size a multiple of its largest alignment. */
function structLayout(body: string, aliases: ReadonlyMap<string, string>, refuse: (what: string) => never): UniformBinding['layout'] {
  const fields = new Map<string, UniformField>();
  let end = 0;
  let structAlign = 1;
  for (const member of splitTopLevel(body)) {
    const parsed = /^(\w+)\s*:\s*([\s\S]+)$/.exec(member) ?? refuse(`the uniform struct member '${member}'`);
    const layout = typeLayout(parsed[2], aliases, (what) => refuse(`${what} (uniform field '${parsed[1]}')`), 0);
    const offset = roundUp(end, layout.align);
    fields.set(parsed[1], { name: parsed[1], slots: layout.slots.map((slot) => ({ offset: offset + slot.offset, kind: slot.kind })) });
    end = offset + layout.size;
    structAlign = Math.max(structAlign, layout.align);
  }
  return { byteSize: roundUp(end, structAlign), fields };
}

function typeLayout(typeText: string, aliases: ReadonlyMap<string, string>, refuse: (what: string) => never, depth: number): MemberLayout {
  const type = typeText.replace(/\s+/g, '');
  if (depth > MAX_TYPE_DEPTH) refuse(`the type '${type}' (aliases or arrays nested too deep)`);
  const scalar = scalarKind(type, aliases);
  if (scalar) return { align: 4, size: 4, slots: [{ offset: 0, kind: scalar }] };
  const vector = /^vec([234])(?:<(\w+)>|([fiu]))$/.exec(type);
  if (vector) {
    const length = Number(vector[1]);
    const kind = vector[3] ? SUFFIX_KINDS[vector[3]] : scalarKind(vector[2], aliases);
    if (!kind) return refuse(`the uniform member type '${type}'`);
    const slots = Array.from({ length }, (_, i) => ({ offset: 4 * i, kind }));
    return { align: length === 2 ? 8 : 16, size: 4 * length, slots };
  }
  const array = /^array<(.+),(\d+)u?>$/.exec(type);
  if (array) {
    const element = typeLayout(array[1], aliases, refuse, depth + 1);
    const count = Number(array[2]);
    const stride = roundUp(element.size, element.align);
    const slots = Array.from({ length: count }, (_, i) => element.slots.map((slot) => ({ offset: i * stride + slot.offset, kind: slot.kind }))).flat();
    return { align: element.align, size: count * stride, slots };
  }
  const aliased = aliases.get(type);
  if (aliased !== undefined) return typeLayout(aliased, aliases, refuse, depth + 1);
  return refuse(`the uniform member type '${type}'`);
}

const SUFFIX_KINDS: Record<string, ScalarKind> = { f: 'f32', i: 'i32', u: 'u32' };

/** f32, i32 or u32, directly or through aliases; null for any other type. */
function scalarKind(type: string, aliases: ReadonlyMap<string, string>): ScalarKind | null {
  let name = type;
  for (let depth = 0; depth <= MAX_TYPE_DEPTH; depth++) {
    if (name === 'f32' || name === 'i32' || name === 'u32') return name;
    const aliased = aliases.get(name);
    if (aliased === undefined) return null;
    name = aliased.replace(/\s+/g, '');
  }
  return null;
}

/** Struct members split at commas outside `<…>`; empty pieces (a trailing comma) dropped. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of body) {
    if (char === '<') depth++;
    if (char === '>') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current.trim());
  return parts.filter((part) => part !== '');
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
