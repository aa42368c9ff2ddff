// Whether WebGPU can run here, asked without throwing: for pages that choose a fallback before
// calling init() (which throws WebGPUUnavailableError with the reason).
import { gpuEntryPoint, type InitOptions } from './device';

/**
 * Resolves true when the GPU object `init()` would use (`options.gpu`, else the one given to
 * `init` before, else navigator.gpu) exists and gives an adapter; false otherwise, never rejects.
 */
export async function isSupported(options: InitOptions = {}): Promise<boolean> {
  try {
    const gpu = options.gpu ?? gpuEntryPoint();
    if (!gpu) return false;
    // A null adapter is how browsers say WebGPU is blocklisted or disabled here.
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}
