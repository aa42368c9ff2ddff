// The safetensors format (what PyTorch and Hugging Face move weights in): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte range, then raw data.
import { ValueError } from '../errors';

export type SafetensorsDtype = 'F32' | 'I32';

export interface NamedArray {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

interface HeaderEntry { dtype: string; shape: number[]; data_offsets: [number, number] }

const HEADER_ALIGNMENT = 8;

export function encodeSafetensors(arrays: readonly NamedArray[], metadata: Record<string, string> = {}): ArrayBuffer {
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const array of arrays) {
    header[array.name] = { dtype: array.dtype, shape: array.shape, data_offsets: [offset, offset + array.data.byteLength] };
    offset += array.data.byteLength;
  }
  let headerText = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  headerText += ' '.repeat((HEADER_ALIGNMENT - ((8 + new TextEncoder().encode(headerText).length) % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT);
  const headerBytes = new TextEncoder().encode(headerText);
  const buffer = new ArrayBuffer(8 + headerBytes.length + offset);
  const view = new DataView(buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  new Uint8Array(buffer, 8, headerBytes.length).set(headerBytes);
  let position = 8 + headerBytes.length;
  for (const array of arrays) {
    new Uint8Array(buffer, position, array.data.byteLength).set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength));
    position += array.data.byteLength;
  }
  return buffer;
}

export function decodeSafetensors(buffer: ArrayBuffer): { arrays: NamedArray[]; metadata: Record<string, string> } {
  if (buffer.byteLength < 8) throw new ValueError(`safetensors: ${buffer.byteLength} bytes is too short for a header`);
  const headerLength = Number(new DataView(buffer).getBigUint64(0, true));
  if (8 + headerLength > buffer.byteLength) throw new ValueError(`safetensors: header length ${headerLength} exceeds the ${buffer.byteLength}-byte buffer`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength))) as Record<string, unknown>;
  } catch (error) {
    throw new ValueError(`safetensors: the header is not valid JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const arrays: NamedArray[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as HeaderEntry;
    if (entry.dtype !== 'F32' && entry.dtype !== 'I32') throw new ValueError(`safetensors: tensor '${name}' has dtype ${entry.dtype}; webgrad reads F32 and I32`);
    const [begin, end] = entry.data_offsets;
    const elements = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== elements * 4 || dataStart + end > buffer.byteLength) {
      throw new ValueError(`safetensors: tensor '${name}' has byte range [${begin}, ${end}) that does not fit shape [${entry.shape}] or the buffer`);
    }
    const bytes = buffer.slice(dataStart + begin, dataStart + end);
    arrays.push({ name, dtype: entry.dtype, shape: entry.shape, data: entry.dtype === 'F32' ? new Float32Array(bytes) : new Int32Array(bytes) });
  }
  return { arrays, metadata: (header.__metadata__ as Record<string, string> | undefined) ?? {} };
}
