// The safetensors format (what PyTorch and Hugging Face move weights in): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte range, then raw data.
// Reading follows the reference implementation's checks: byte ranges may be listed in any order
// but must tile the data section exactly (no gaps, overlaps or trailing bytes), and each range
// must hold exactly its shape's bytes. Everything is checked before any tensor data is copied.
// F16 and BF16 tensors (what PyTorch and Hugging Face mostly publish) are widened to float32 on
// read, exactly, and rounded to nearest even on write; I64 (PyTorch's integer default) is read
// into int32 when every value fits, else refused.
import { ModelFormatError, ValueError, formatValue } from '../errors';
import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from './halfFloats';
import { parseStrictJson } from './strictJson';
import { sizeOf } from '../shape';

export type SafetensorsDtype = 'F32' | 'I32' | 'F16' | 'BF16' | 'I64';

export interface NamedArray {
  name: string;
  /** How the file stores the tensor. */
  dtype: SafetensorsDtype;
  shape: number[];
  /** The values: Int32Array for I32 and I64, else Float32Array (F16 and BF16 widened on read, rounded on write). */
  data: Float32Array | Int32Array;
}

interface HeaderEntry { dtype: SafetensorsDtype; shape: number[]; data_offsets: [number, number] }

const HEADER_ALIGNMENT = 8;
/** The reference reader refuses headers over 100 MB; so do we, before decoding any of it. */
const MAX_HEADER_BYTES = 100_000_000;
const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, I32: 4, F16: 2, BF16: 2, I64: 8 };
const METADATA_KEY = '__metadata__';

export function encodeSafetensors(arrays: readonly NamedArray[], metadata: Record<string, string> = {}): ArrayBuffer {
  // No prototype: a tensor named '__proto__' must become a key, not replace the prototype.
  const header = Object.create(null) as Record<string, HeaderEntry | Record<string, string>>;
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  const stored = arrays.map(storedBytes);
  arrays.forEach((array, i) => {
    if (array.name === METADATA_KEY || Object.hasOwn(header, array.name)) {
      throw new ValueError(`encodeSafetensors: the tensor name '${array.name}' is ${array.name === METADATA_KEY ? 'reserved' : 'used twice'}`);
    }
    header[array.name] = { dtype: array.dtype, shape: array.shape, data_offsets: [offset, offset + stored[i].byteLength] };
    offset += stored[i].byteLength;
  });
  let headerText = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  headerText += ' '.repeat((HEADER_ALIGNMENT - ((8 + new TextEncoder().encode(headerText).length) % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT);
  const headerBytes = new TextEncoder().encode(headerText);
  const buffer = new ArrayBuffer(8 + headerBytes.length + offset);
  const view = new DataView(buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  new Uint8Array(buffer, 8, headerBytes.length).set(headerBytes);
  let position = 8 + headerBytes.length;
  for (const bytes of stored) {
    new Uint8Array(buffer, position, bytes.byteLength).set(bytes);
    position += bytes.byteLength;
  }
  return buffer;
}

/** The bytes an array takes in the file, after checking its values fit its dtype and shape. */
function storedBytes(array: NamedArray): Uint8Array {
  const { dtype, data } = checkNamedArray('encodeSafetensors', array);
  const converted = dtype === 'F16' ? float32ToFloat16(data as Float32Array)
    : dtype === 'BF16' ? float32ToBfloat16(data as Float32Array)
      : dtype === 'I64' ? BigInt64Array.from(data as Int32Array, (value) => BigInt(value)) : data;
  return new Uint8Array(converted.buffer, converted.byteOffset, converted.byteLength);
}

/** `array` if it is a well-formed NamedArray (a user may build one by hand), else a ValueError naming `op` and the tensor. */
export function checkNamedArray(op: string, array: NamedArray): NamedArray {
  if (!isPlainObject(array) || typeof array.name !== 'string') throw new ValueError(`${op}: expected { name, dtype, shape, data }, got ${formatValue(array)}`);
  const { name, dtype, shape, data } = array;
  const fail = (problem: string) => new ValueError(`${op}: tensor '${name}' ${problem}`);
  if (!Object.hasOwn(BYTES_PER_ELEMENT, dtype)) throw fail(`has dtype ${formatValue(dtype)}; the known dtypes are ${Object.keys(BYTES_PER_ELEMENT).join(', ')}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw fail(`has shape ${formatValue(shape)}; expected an array of non-negative integers`);
  const integer = isIntegerDtype(dtype);
  if (!(data instanceof (integer ? Int32Array : Float32Array))) throw fail(`is ${dtype} but its data is not ${integer ? 'an Int32Array' : 'a Float32Array'}`);
  const count = sizeOf(shape);
  if (data.length !== count) throw fail(`has shape [${shape.join(',')}] (${count} elements) but ${data.length} values`);
  return array;
}

/** I32 and I64 hold integers (read into Int32Array); the rest floats. */
export function isIntegerDtype(dtype: SafetensorsDtype): boolean {
  return dtype === 'I32' || dtype === 'I64';
}

/** The values of a tensor's bytes (a copy of its own), widening 16-bit floats to float32. */
function readValues(name: string, dtype: SafetensorsDtype, bytes: ArrayBuffer): Float32Array | Int32Array {
  switch (dtype) {
    case 'I64': return narrowIntegers(name, new BigInt64Array(bytes));
    case 'F32': return new Float32Array(bytes);
    case 'I32': return new Int32Array(bytes);
    case 'F16': return float16ToFloat32(new Uint16Array(bytes));
    case 'BF16': return bfloat16ToFloat32(new Uint16Array(bytes));
  }
}

/**
 * Reads safetensors bytes; anything malformed is a ModelFormatError naming the tensor and the value
 * at fault. The arrays come in the order of their bytes in the data section.
 */
export function decodeSafetensors(input: ArrayBuffer | ArrayBufferView): { arrays: NamedArray[]; metadata: Record<string, string> } {
  const buffer = ArrayBuffer.isView(input) && input.buffer instanceof ArrayBuffer ? input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength) : input;
  if (!(buffer instanceof ArrayBuffer)) throw new ModelFormatError(`safetensors: expected an ArrayBuffer, got ${formatValue(buffer)}`);
  if (buffer.byteLength < 8) throw new ModelFormatError(`safetensors: ${buffer.byteLength} bytes is too short for the 8-byte header length`);
  const declared = new DataView(buffer).getBigUint64(0, true);
  if (declared > BigInt(buffer.byteLength - 8)) {
    throw new ModelFormatError(`safetensors: header length ${declared} runs past the end of the ${buffer.byteLength}-byte file`);
  }
  if (declared > BigInt(MAX_HEADER_BYTES)) throw new ModelFormatError(`safetensors: header length ${declared} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(declared);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(buffer, 8, headerLength));
  } catch {
    throw new ModelFormatError('safetensors: the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new ModelFormatError(`safetensors: the header must be a JSON object, it starts with ${JSON.stringify(text.slice(0, 16))}`);
  const header = parseStrictJson(text, 'safetensors: the header');
  if (!isPlainObject(header)) throw new ModelFormatError(`safetensors: the header must be a JSON object, got ${formatValue(header)}`);
  const dataStart = 8 + headerLength;
  const dataLength = buffer.byteLength - dataStart;
  const entries: [string, HeaderEntry][] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = checkMetadata(value);
    else entries.push([name, checkEntry(name, value)]);
  }
  // Sorted by range, each must start where the previous ended, the last at the end of the file.
  const sorted = [...entries].sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
  let covered = 0;
  for (const [name, { data_offsets: [begin, end] }] of sorted) {
    if (begin !== covered) {
      throw new ModelFormatError(`safetensors: tensor '${name}' starts at byte ${begin} of the data section, expected ${covered} (${begin < covered ? 'it overlaps the tensor before it' : 'bytes before it belong to no tensor'})`);
    }
    if (end > dataLength) throw new ModelFormatError(`safetensors: tensor '${name}' has byte range [${begin}, ${end}) past the ${dataLength}-byte data section`);
    covered = end;
  }
  if (covered !== dataLength) throw new ModelFormatError(`safetensors: the tensors cover ${covered} of the ${dataLength} data bytes; the rest belongs to no tensor`);
  // In the order of their bytes: the order the writer laid them out (model order for webgrad's files).
  const arrays = sorted.map(([name, { dtype, shape, data_offsets: [begin, end] }]): NamedArray => {
    const bytes = buffer.slice(dataStart + begin, dataStart + end);
    return { name, dtype, shape, data: readValues(name, dtype, bytes) };
  });
  return { arrays, metadata };
}

/** int64 values as int32, webgrad's integer dtype; one that does not fit is a ModelFormatError naming it. */
function narrowIntegers(name: string, wide: BigInt64Array): Int32Array {
  const out = new Int32Array(wide.length);
  for (let i = 0; i < wide.length; i++) {
    const value = wide[i];
    if (value < -2147483648n || value > 2147483647n) {
      throw new ModelFormatError(`safetensors: tensor '${name}' is I64 and holds ${value} at index ${i}, outside int32 (webgrad's integer dtype)`);
    }
    out[i] = Number(value);
  }
  return out;
}

function checkEntry(name: string, value: unknown): HeaderEntry {
  const fail = (problem: string) => new ModelFormatError(`safetensors: tensor '${name}' ${problem}`);
  if (!isPlainObject(value)) throw fail(`must be an object { dtype, shape, data_offsets }, got ${formatValue(value)}`);
  const unknown = Object.keys(value).filter((key) => key !== 'dtype' && key !== 'shape' && key !== 'data_offsets');
  if (unknown.length > 0) throw fail(`has unknown field ${JSON.stringify(unknown[0])}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.hasOwn(BYTES_PER_ELEMENT, dtype)) {
    throw fail(`has dtype ${formatValue(dtype)}; webgrad reads ${Object.keys(BYTES_PER_ELEMENT).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw fail(`has shape ${formatValue(shape)}; expected an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`has data_offsets ${formatValue(offsets)}; expected [begin, end], non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fail(`has data_offsets [${begin}, ${end}) that end before they begin`);
  const width = BYTES_PER_ELEMENT[dtype as SafetensorsDtype];
  let bytes = width;
  for (const dim of shape as number[]) {
    bytes *= dim;
    if (bytes > Number.MAX_SAFE_INTEGER) throw fail(`has shape [${shape.join(',')}], too large to address`);
  }
  if (end - begin !== bytes) throw fail(`has byte range [${begin}, ${end}) of ${end - begin} bytes, but ${dtype} [${shape.join(',')}] takes ${bytes}`);
  return { dtype: dtype as SafetensorsDtype, shape: [...shape as number[]], data_offsets: [begin, end] };
}

function checkMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new ModelFormatError(`safetensors: ${METADATA_KEY} must map strings to strings, got ${formatValue(value)}`);
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
