// Loads wgsl_reflect, the full WGSL parser that reflects user kernels (customOp), on demand: it is
// about as large as the rest of webgrad, and webgrad's own kernels do without it
// (subsetReflector.ts), so the core bundle leaves it in a chunk of its own.
import { KernelError, ValueError } from '../errors';
import { signatureOf, type KernelSignature } from './reflection';
import type { reflectWithWgslReflect } from './wgslReflectChunk';

let reflector: typeof reflectWithWgslReflect | null = null;
let loading: Promise<void> | null = null;

/**
 * Loads what `customOp` needs to read user WGSL (wgsl_reflect, dist/webgrad-wgsl-reflect.js).
 * Await it once before the first `customOp`; later calls return at once. It needs no device, so
 * it may run before, after or alongside `init()`.
 */
export function loadCustomOpSupport(): Promise<void> {
  loading ??= import('./wgslReflectChunk').then(
    (chunk) => { reflector = chunk.reflectWithWgslReflect; },
    (error: unknown) => {
      loading = null;
      throw new KernelError(`loadCustomOpSupport: could not load webgrad's WGSL reflector chunk (webgrad-wgsl-reflect.js beside webgrad.js): ${(error as Error).message}`);
    },
  );
  return loading;
}

/** A user kernel's signature, read by wgsl_reflect; refuses clearly when it is not loaded yet. */
export function reflectUserKernel(name: string, source: string): KernelSignature {
  if (!reflector) {
    throw new KernelError(
      `kernel '${name}': user WGSL is reflected by wgsl_reflect, which webgrad loads on demand: ` +
      'call `await wg.loadCustomOpSupport()` once before the first customOp',
    );
  }
  const outcome = reflector(source);
  if ('failure' in outcome) {
    throw outcome.failure === 'parse' ? new KernelError(`kernel '${name}': ${outcome.message}`) : new ValueError(`${name}: ${outcome.message}`);
  }
  return signatureOf(name, source, outcome.module);
}
