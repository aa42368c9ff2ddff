// What a dataset yields: a value (a tensor, a number, a typed array, or a nested number array) or
// a container of them (an array such as [x, y], or an object such as { xs, ys }), and the walks
// over that structure shared by batch, map, zip and the training loop.
import { ValueError } from '../errors';
import { Tensor, type NestedArray } from '../tensor';
import type { NumericArray } from '../ops/operand';

/** One value of an element: batch stacks the values found at the same place in each element. */
export type DataValue = Tensor | number | NumericArray | NestedArray[];

/** A dataset element: a value, or an array / plain object of elements. */
export type Element = DataValue | readonly Element[] | { readonly [key: string]: Element };

/**
 * A nested number array is one value, never a container, so `[[1, 2], [3, 4]]` is a 2×2 value;
 * an array holding anything else (a tensor, a typed array, an object, or ragged numbers as in
 * `[[1, 2], 0]`) is a container. Pairs are clearest as `{ xs, ys }` (TF.js's form).
 */
export function isValue(element: unknown): element is DataValue {
  return element instanceof Tensor || typeof element === 'number' || isNumericArray(element) || isNumberArray(element);
}

export function isNumericArray(value: unknown): value is NumericArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
}

/** A rectangular nested array of numbers (at least one level deep). */
function isNumberArray(element: unknown): boolean {
  if (!Array.isArray(element)) return false;
  const shapeOf = (value: unknown): string | null => {
    if (typeof value === 'number') return '';
    if (!Array.isArray(value)) return null;
    const inner = value.map(shapeOf);
    if (inner.some((shape) => shape === null || shape !== inner[0])) return null;
    return `${value.length},${inner[0] ?? ''}`;
  };
  return shapeOf(element) !== null;
}

export function isPlainObject(value: unknown): value is Record<string, Element> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The values of `element`, depth first, each with its path (`xs`, `[1]`, `ys.label`) for messages. */
export function valuesOf(element: Element, path = ''): { path: string; value: DataValue }[] {
  if (isValue(element)) return [{ path, value: element }];
  if (Array.isArray(element)) return (element as readonly Element[]).flatMap((item, i) => valuesOf(item, `${path}[${i}]`));
  if (isPlainObject(element)) return Object.entries(element).flatMap(([key, item]) => valuesOf(item, path ? `${path}.${key}` : key));
  throw new ValueError(`dataset: an element must be a tensor, a number, a typed array, a nested number array, or an array or plain object of these; found ${describe(element)}${path ? ` at ${path}` : ''}`);
}

/** `element` with each value replaced by `fn(value, path)`, keeping its arrays and objects. */
export function mapValues(element: Element, fn: (value: DataValue, path: string) => Element, path = ''): Element {
  if (isValue(element)) return fn(element, path);
  if (Array.isArray(element)) return (element as readonly Element[]).map((item, i) => mapValues(item, fn, `${path}[${i}]`));
  if (isPlainObject(element)) return Object.fromEntries(Object.entries(element).map(([key, item]) => [key, mapValues(item, fn, path ? `${path}.${key}` : key)]));
  return fn(element as DataValue, path);
}

/** The tensors an element holds. */
export function tensorsOf(element: unknown): Tensor[] {
  if (element instanceof Tensor) return [element];
  if (Array.isArray(element)) return element.flatMap(tensorsOf);
  if (isPlainObject(element)) return Object.values(element).flatMap(tensorsOf);
  return [];
}

/** Disposes the tensors of `element` except those in `kept` (an element handed on keeps its own). */
export function disposeElement(element: unknown, kept: readonly Tensor[] = []): void {
  for (const t of tensorsOf(element)) if (!kept.includes(t) && !t.isDisposed) t.dispose();
}

/** The layout of an element (its arrays and keys, not its values), to check that elements agree. */
export function structureOf(element: Element): string {
  if (isValue(element)) return '*';
  if (Array.isArray(element)) return `[${(element as readonly Element[]).map(structureOf).join(',')}]`;
  if (isPlainObject(element)) return `{${Object.entries(element).map(([key, item]) => `${key}:${structureOf(item)}`).join(',')}}`;
  return '?';
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (value instanceof Tensor) return `a ${value.dtype} tensor [${value.shape.join(',')}]`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 20))}` : `a ${typeof value}`;
}
