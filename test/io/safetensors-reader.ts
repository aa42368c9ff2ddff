// A minimal safetensors reader and writer written from the format description, independent of
// src/io/safetensors.ts: 8-byte little-endian header length N, N bytes of JSON header
// { name: { dtype, shape, data_offsets: [begin, end) }, __metadata__?: {..} }, then the data
// section, offsets relative to its start, little-endian elements, no holes.

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
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  if (!headerText.startsWith('{')) throw new Error('safetensors header must start with {');
  const header = JSON.parse(headerText) as Record<string, unknown>;
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const tensors: ParsedTensor[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    const width = { F32: 4, I32: 4 }[dtype];
    if (width === undefined) throw new Error(`${name}: unexpected dtype ${dtype}`);
    if (end - begin !== count * width) throw new Error(`${name}: ${end - begin} bytes for ${count} elements`);
    if (begin < 0 || end > dataLength) throw new Error(`${name}: [${begin}, ${end}) outside the ${dataLength}-byte data section`);
    const values = dtype === 'F32' ? new Float32Array(count) : new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const at = dataStart + begin + i * 4;
      values[i] = dtype === 'F32' ? view.getFloat32(at, true) : view.getInt32(at, true);
    }
    tensors.push({ name, dtype, shape, begin, end, values });
  }
  // The byte ranges tile the data section exactly: no overlaps, no holes.
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const tensor of sorted) {
    if (tensor.begin !== expected) throw new Error(`${tensor.name} starts at ${tensor.begin}, expected ${expected}`);
    expected = tensor.end;
  }
  if (expected !== dataLength) throw new Error(`tensors cover ${expected} of ${dataLength} data bytes`);
  return { headerLength, headerText, metadata: header.__metadata__ as Record<string, string> | undefined, tensors, dataLength };
}

/** Writes float32 tensors in file order, for feeding hand-made (and deliberately wrong) files to the loader. */
export function writeSafetensors(tensors: { name: string; shape: number[]; values: ArrayLike<number> }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const { name, shape, values } of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.length * 4] };
    offset += values.length * 4;
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const { values } of tensors) {
    for (let i = 0; i < values.length; i++, at += 4) view.setFloat32(at, values[i], true);
  }
  return bytes;
}
