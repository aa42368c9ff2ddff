// Errors crossing from the worker to the page: sent as { name, message, stack } (structured
// cloning would keep only the built-in classes) and rebuilt as the same class, so
// `error instanceof wg.ShapeError` and `error.name` read as if the fit had run on the page.
import * as webgradErrors from '../errors';
import type { SerializedError } from './protocol';

type ErrorClass = new (message: string) => Error;

/** Every webgrad error class and the built-in ones, by the `name` their instances carry. */
const errorClasses: Map<string, ErrorClass> = (() => {
  const builtIn: ErrorClass[] = [TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];
  const exported: unknown[] = Object.values(webgradErrors);
  const ours = exported.filter((value): value is ErrorClass => typeof value === 'function' && value.prototype instanceof Error);
  // By the instance's name, not the class's: a minifier renames classes, not the string fields.
  return new Map([...builtIn, ...ours].map((errorClass): [string, ErrorClass] => [new errorClass('').name, errorClass]));
})();

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? '' };
  return { name: 'Error', message: String(error), stack: '' };
}

/** The error again, of its own class when webgrad or JavaScript defines it; its stack is the worker's. */
export function reviveError({ name, message, stack }: SerializedError): Error {
  const errorClass = errorClasses.get(name) ?? Error;
  const error = new errorClass(message);
  if (error.name !== name) error.name = name;
  if (stack) error.stack = stack;
  return error;
}
