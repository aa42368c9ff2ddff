// Typed errors: each names the op and the shapes or values at fault, so a user can fix the call.

/** WebGPU is missing or no adapter could be acquired. */
export class WebGPUUnavailableError extends Error {
  override name = 'WebGPUUnavailableError';
}

/** An op, tensor or layer was used before `await wg.init()` brought up a GPU device. */
export class NotInitializedError extends Error {
  override name = 'NotInitializedError';
}

/** Shapes that do not fit the op (broadcasting, matmul inner dims, reshape sizes, ...). */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** An argument value outside what the op accepts (an axis, a dtype, an option). */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** A tensor used after `dispose()` (or after the `tidy` that owned it ended). */
export class DisposedTensorError extends Error {
  override name = 'DisposedTensorError';
}

/** A WGSL kernel failed to parse, compile or validate; carries the kernel name and compiler text. */
export class KernelError extends Error {
  override name = 'KernelError';
}

/** A gradient was asked for through an op that has none (argmax, comparisons, int32 paths). */
export class NonDifferentiableError extends Error {
  override name = 'NonDifferentiableError';
}

/** Formats a shape the way error messages show it: [2,3]. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Training produced a NaN or infinite loss; the message names the epoch and batch. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/** A model asked to train or be disposed while a fit (or trainOnBatch) on it is still running. */
export class ModelBusyError extends Error {
  override name = 'ModelBusyError';
}

/**
 * A saved model (model JSON or safetensors bytes) is malformed, hostile, or does not fit the
 * model it is loaded into; the message names the part of the file and the value at fault. A
 * ValueError, so code that caught those before still does.
 */
export class ModelFormatError extends ValueError {
  override name = 'ModelFormatError';
}

/** A short rendering of any value (from a file, say) for an error message: JSON, cut at 60 characters. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || value === undefined) return String(value);
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  let text: string;
  try {
    // JSON has no NaN or ±Infinity (it writes null): keep them readable, as in [NaN, 2].
    text = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isFinite(item) ? `\u0000${item}` : item))
      .replace(/"\\u0000(NaN|-?Infinity)"/g, '$1');
  } catch {
    text = 'an unprintable value';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The GPU device was lost (driver reset, `device.destroy()`, a background tab losing its adapter).
 * Every later call fails with it until `wg.init()` brings up a new device; tensors made on the lost
 * device stay unusable.
 */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

/**
 * An allocation the GPU cannot satisfy: larger than the device's buffer limits (refused before
 * allocating), or refused by the GPU itself (out of memory).
 */
export class OutOfMemoryError extends Error {
  override name = 'OutOfMemoryError';
}

/**
 * Misuse of `wg.jit`: reading values back inside a traced function, an async function, or a
 * tensor made inside a trace (not returned) used outside it; the message says what to do instead.
 */
export class JitError extends Error {
  override name = 'JitError';
}

/**
 * A Web Worker that worker.fit trains in failed outside any webgrad call: its script did not load,
 * or it threw at the top level. (An error inside the fit comes back as its own class instead.)
 */
export class WorkerError extends Error {
  override name = 'WorkerError';
}
