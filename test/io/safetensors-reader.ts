// A minimal safetensors reader and writer written from the format description, independent of
// src/io/safetensors.ts: 8-byte little-endian header length N, N bytes of JSON header
// { name: { dtype, shape, data_offsets: [begin, end) }, __metadata__?: {..} }, then the data
// section, offsets relative to its start, little-endian elements, no holes. F16 and BF16 values
// are decoded by the float64 reference (test/reference/halfFloats.ts).
import { BFLOAT16, FLOAT16, decodeHalf } from '../reference/halfFloats';

export interface ParsedTensor {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
  values: Float32Array | Int32Array;
}

export interface ParsedSafetensors {
  headerLength: number;
  headerText: string;
  metadata: Record<string, string> | undefined;
  tensors: ParsedTensor[];
  dataLength: number;
}

/** Parses and checks the layout rules; throws on anything the format forbids. */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  if (bytes.byteLength < 8) throw new Error(`${bytes.byteLength} bytes: no room for the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.byteLength - 8)) throw new Error(`header length ${declared} past the end`);
  const headerLength = Number(declared);
  const headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  if (!headerText.startsWith('{')) throw new Error('safetensors header must start with {');
  const header = parseJsonRejectingDuplicates(headerText) as Record<string, unknown>;
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const tensors: ParsedTensor[] = [];
  const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  let metadata: Record<string, string> | undefined;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || Object.values(entry).some((v) => typeof v !== 'string')) throw new Error('metadata must map strings to strings');
      metadata = entry as Record<string, string>;
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error(`${name}: entry is not an object`);
    if (Object.keys(entry).sort().join() !== 'data_offsets,dtype,shape') throw new Error(`${name}: fields ${Object.keys(entry)}`);
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: unknown; shape: unknown; data_offsets: unknown };
    const widths: Record<string, number> = { F32: 4, I32: 4, F16: 2, BF16: 2, I64: 8 };
    if (typeof dtype !== 'string' || !Object.hasOwn(widths, dtype)) throw new Error(`${name}: unexpected dtype ${String(dtype)}`);
    const width = widths[dtype];
    if (!Array.isArray(shape) || !shape.every(isCount)) throw new Error(`${name}: bad shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) throw new Error(`${name}: bad offsets`);
    const [begin, end] = offsets as number[];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * width) throw new Error(`${name}: ${end - begin} bytes for ${count} elements`);
    if (begin < 0 || end > dataLength) throw new Error(`${name}: [${begin}, ${end}) outside the ${dataLength}-byte data section`);
    const values = dtype === 'I32' || dtype === 'I64' ? new Int32Array(count) : new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const at = dataStart + begin + i * width;
      if (dtype === 'F32') values[i] = view.getFloat32(at, true);
      else if (dtype === 'I32') values[i] = view.getInt32(at, true);
      else if (dtype === 'I64') {
        const wide = view.getBigInt64(at, true);
        if (BigInt.asIntN(32, wide) !== wide) throw new Error(`${name}: I64 value ${wide} does not fit int32`);
        values[i] = Number(wide);
      }
      else values[i] = decodeHalf(dtype === 'F16' ? FLOAT16 : BFLOAT16, view.getUint16(at, true));
    }
    tensors.push({ name, dtype, shape: shape as number[], begin, end, values });
  }
  // The byte ranges tile the data section exactly: no overlaps, no holes.
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const tensor of sorted) {
    if (tensor.begin !== expected) throw new Error(`${tensor.name} starts at ${tensor.begin}, expected ${expected}`);
    expected = tensor.end;
  }
  if (expected !== dataLength) throw new Error(`tensors cover ${expected} of ${dataLength} data bytes`);
  return { headerLength, headerText, metadata, tensors, dataLength };
}

/**
 * A recursive-descent JSON parser that throws on a key repeated within one object (JSON.parse
 * keeps the last silently). Strings and numbers are handed to JSON.parse token by token.
 */
export function parseJsonRejectingDuplicates(text: string): unknown {
  let at = 0;
  const space = () => { while (/[ \t\n\r]/.test(text[at] ?? '')) at++; };
  const token = (pattern: RegExp): string => {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) throw new Error(`bad JSON at ${at}`);
    at += match[0].length;
    return match[0];
  };
  const value = (): unknown => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const object: Record<string, unknown> = {};
      const seen = new Set<string>();
      space();
      if (text[at] === '}') { at++; return object; }
      for (;;) {
        space();
        const key = JSON.parse(token(/"(?:[^"\\\u0000-\u001f]|\\.)*"/y)) as string;
        if (seen.has(key)) throw new Error(`duplicate key ${key}`);
        seen.add(key);
        space();
        token(/:/y);
        Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true });
        space();
        if (token(/[,}]/y) === '}') return object;
      }
    }
    if (c === '[') {
      at++;
      const array: unknown[] = [];
      space();
      if (text[at] === ']') { at++; return array; }
      for (;;) {
        array.push(value());
        space();
        if (token(/[,\]]/y) === ']') return array;
      }
    }
    return JSON.parse(token(/"(?:[^"\\\u0000-\u001f]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y));
  };
  const result = value();
  space();
  if (at !== text.length) throw new Error(`trailing text at ${at}`);
  return result;
}

/**
 * Writes float32 (or, given dtype 'I64', int64) tensors in file order, for feeding hand-made (and
 * deliberately wrong) files to the loader.
 */
export function writeSafetensors(tensors: { name: string; shape: number[]; values: ArrayLike<number>; dtype?: 'F32' | 'I64' }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const { name, shape, values, dtype = 'F32' } of tensors) {
    const width = dtype === 'I64' ? 8 : 4;
    header[name] = { dtype, shape, data_offsets: [offset, offset + values.length * width] };
    offset += values.length * width;
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const { values, dtype } of tensors) {
    if (dtype === 'I64') for (let i = 0; i < values.length; i++, at += 8) view.setBigInt64(at, BigInt(values[i]), true);
    else for (let i = 0; i < values.length; i++, at += 4) view.setFloat32(at, values[i], true);
  }
  return bytes;
}
