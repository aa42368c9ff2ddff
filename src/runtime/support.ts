// Whether WebGPU can run here, asked without throwing: for pages that choose a fallback before
// calling init() (which throws WebGPUUnavailableError with the reason).

/** Resolves true when navigator.gpu exists and gives an adapter; false otherwise, never rejects. */
export async function isSupported(): Promise<boolean> {
  try {
    const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
    if (!gpu) return false;
    // A null adapter is how browsers say WebGPU is blocklisted or disabled here.
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}
