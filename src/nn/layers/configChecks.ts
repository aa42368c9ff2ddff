// Checks for layer options that may come from a JSON file: types first, so a string where a number
// belongs (or an object where a pair belongs) is a ValueError naming the option, never a TypeError.
import { ValueError, formatValue } from '../../errors';
import { perAxis, type PerAxis } from '../../ops/windows';
import { getInitializer, type Initializer, type InitializerName } from '../initializers';

export function checkPositiveInteger(op: string, name: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) throw new ValueError(`${op}: ${name} must be a positive integer, got ${formatValue(value)}`);
  return value as number;
}

/** `value`, or `fallback` when it is undefined; anything but a boolean is refused. */
export function checkBoolean(op: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValueError(`${op}: ${name} must be true or false, got ${formatValue(value)}`);
  return value;
}

/** A number or a [height, width] pair of numbers, then perAxis's range checks. */
export function checkPerAxis(op: string, name: string, value: unknown, allowZero = false): [number, number] {
  const shaped = typeof value === 'number' || (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number'));
  if (!shaped) throw new ValueError(`${op}: ${name} must be a number or a [height, width] pair, got ${formatValue(value)}`);
  return perAxis(op, name, value as PerAxis, allowZero);
}

/** An initializer name (checked now, not at build) or a function. */
export function checkInitializer(op: string, name: string, value: unknown, fallback: InitializerName | Initializer): InitializerName | Initializer {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' && typeof value !== 'function') throw new ValueError(`${op}: ${name} must be an initializer name or function, got ${formatValue(value)}`);
  getInitializer(value as string | Initializer);
  return value as InitializerName | Initializer;
}

/** `value` (or `fallback` when undefined) as a finite number; the caller checks its range. */
export function checkNumber(op: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValueError(`${op}: ${name} must be a finite number, got ${formatValue(value)}`);
  return value;
}

/** A dropout rate in [0, 1) (0 when undefined). */
export function checkRate(op: string, name: string, value: unknown): number {
  const rate = checkNumber(op, name, value, 0);
  if (!(rate >= 0 && rate < 1)) throw new ValueError(`${op}: ${name} must be in [0, 1), got ${rate}`);
  return rate;
}
