// The JSON dialect for values crossing between Node and the test page. Plain JSON (and Chrome's
// own by-value transfer) turns NaN and ±Infinity into null, -0 into 0, and a Float32Array into
// {"0": …, "1": …}; op tests need all of those intact. Both functions are also sent to the page
// as source text (fn.toString()), so they must not reference anything outside themselves.

/** JSON.stringify replacer: tags non-finite numbers, -0 and typed arrays. */
export function pageJsonReplacer(_key: string, value: unknown): unknown {
  const tag = '__webgradJson';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { [tag]: 'number', value: 'NaN' };
    if (value === Infinity) return { [tag]: 'number', value: 'Infinity' };
    if (value === -Infinity) return { [tag]: 'number', value: '-Infinity' };
    if (Object.is(value, -0)) return { [tag]: 'number', value: '-0' };
    return value;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return { [tag]: value.constructor.name, values: Array.from(value as unknown as ArrayLike<number>) };
  }
  return value;
}

/** JSON.parse reviver undoing pageJsonReplacer (runs bottom-up, so typed-array values are already revived). */
export function pageJsonReviver(_key: string, value: unknown): unknown {
  const tag = '__webgradJson';
  if (typeof value !== 'object' || value === null || !(tag in value)) return value;
  const tagged = value as { [tag]: string; value?: string; values?: number[] };
  const kind = tagged[tag];
  if (kind === 'number') return Number(tagged.value);
  const typedArrays: Record<string, new (values: number[]) => unknown> = {
    Float32Array, Float64Array, Int8Array, Int16Array, Int32Array,
    Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array,
  };
  const TypedArray = typedArrays[kind];
  if (!TypedArray) throw new Error(`cannot transfer a ${kind} between Node and the test page`);
  return new TypedArray(tagged.values ?? []);
}

export function encodePageJson(value: unknown): string | undefined {
  return JSON.stringify(value, pageJsonReplacer);
}

export function decodePageJson(text: string | undefined): unknown {
  return text === undefined ? undefined : JSON.parse(text, pageJsonReviver);
}
