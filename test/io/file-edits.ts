// Byte-level edits of safetensors files for the hostile-file tests: split a file into header text
// and data, and join them back with a correct (or a deliberately wrong) header length.

export function splitFile(bytes: Uint8Array): { header: string; data: Uint8Array } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + length)), data: bytes.slice(8 + length) };
}

export function joinFile(header: string | Uint8Array, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const headerBytes = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const bytes = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, declaredLength ?? BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  bytes.set(data, 8 + headerBytes.length);
  return bytes;
}

/** The file with its parsed header passed through `edit` (which may mutate it or return a new one). */
export function editHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => unknown): Uint8Array {
  const { header, data } = splitFile(bytes);
  const parsed = JSON.parse(header) as Record<string, unknown>;
  const result = edit(parsed);
  return joinFile(JSON.stringify(result === undefined ? parsed : result), data);
}

/** The entry of the tensor named `name` in a parsed header. */
export function entry(header: Record<string, unknown>, name: string): { dtype: unknown; shape: unknown; data_offsets: unknown } {
  return header[name] as { dtype: unknown; shape: unknown; data_offsets: unknown };
}
