// I64 safetensors tensors (PyTorch's integer default, e.g. BatchNorm's num_batches_tracked): read
// into int32 when every value fits, a ModelFormatError naming the tensor and the value when one
// does not; written from int32 data as sign-extended int64. Files are written and read by the
// independent code in safetensors-reader.ts. Pure Node: no browser.
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors';
import { parseSafetensors, writeSafetensors } from './safetensors-reader';

const INT32_EDGES = [0, -1, 7, 2 ** 31 - 1, -(2 ** 31)];

describe('I64 tensors', () => {
  it('read into Int32Array exactly at the int32 edges; one value past them is refused by name', () => {
    const { arrays } = decodeSafetensors(writeSafetensors([{ name: 'steps', shape: [5], values: INT32_EDGES, dtype: 'I64' }]));
    expect(arrays[0].dtype).toBe('I64');
    expect(arrays[0].data).toBeInstanceOf(Int32Array);
    expect(Array.from(arrays[0].data)).toEqual(INT32_EDGES);
    for (const outside of [2 ** 31, -(2 ** 31) - 1, 2 ** 40]) {
      const bytes = writeSafetensors([{ name: 'ok', shape: [1], values: [1] }, { name: 'big', shape: [2], values: [3, outside], dtype: 'I64' }]);
      expect(() => decodeSafetensors(bytes)).toThrow(ModelFormatError);
      expect(() => decodeSafetensors(bytes)).toThrow(`safetensors: tensor 'big' is I64 and holds ${outside} at index 1, outside int32 (webgrad's integer dtype)`);
    }
  });

  it('written from int32 data, 8 bytes each, as the independent reader reads them', () => {
    const bytes = new Uint8Array(encodeSafetensors([{ name: 'steps', dtype: 'I64', shape: [5], data: Int32Array.from(INT32_EDGES) }]));
    const parsed = parseSafetensors(bytes);
    expect(parsed.tensors.map(({ name, dtype, shape, begin, end }) => ({ name, dtype, shape, begin, end }))).toEqual([{ name: 'steps', dtype: 'I64', shape: [5], begin: 0, end: 40 }]);
    expect(Array.from(parsed.tensors[0].values)).toEqual(INT32_EDGES);
  });
});
