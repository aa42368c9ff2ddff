// The `{ className, config }` form that schedules and optimizers are serialized in, read back with
// its shape checked before anything is made from it.
import { ValueError, formatValue } from '../errors';

/** `value`'s class maker and config, or a ValueError (from `op`) naming the known class names. */
export function readConfigForm<T>(op: string, value: unknown, makers: Record<string, T>): { className: string; make: T; config: Record<string, unknown> } {
  const isObject = (item: unknown): item is Record<string, unknown> => item !== null && typeof item === 'object' && !Array.isArray(item);
  if (isObject(value) && typeof value.className === 'string' && Object.hasOwn(makers, value.className) && isObject(value.config) && Object.keys(value).length === 2) {
    return { className: value.className, make: makers[value.className], config: value.config };
  }
  throw new ValueError(`${op}: expected { className, config } with className one of ${Object.keys(makers).join(', ')}, got ${formatValue(value)}`);
}
