// Owns the one GPUDevice: acquisition, the limits we ask for, and device-level error capture.
import { WebGPUUnavailableError, KernelError } from '../errors';

let device: GPUDevice | null = null;
let adapterInfo: GPUAdapterInfo | null = null;
let pendingInit: Promise<GPUDevice> | null = null;
const asyncErrors: string[] = [];

const HOW_TO_ENABLE =
  'WebGPU needs a browser that supports it (Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu), ' +
  'and a secure context: serve the page from https:// or http://localhost, not file://.';

/** Acquires the adapter and device once; later calls return the same device. */
export function init(): Promise<GPUDevice> {
  if (device) return Promise.resolve(device);
  pendingInit ??= acquireDevice().finally(() => { pendingInit = null; });
  return pendingInit;
}

async function acquireDevice(): Promise<GPUDevice> {
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  if (!gpu) throw new WebGPUUnavailableError(`navigator.gpu is not available. ${HOW_TO_ENABLE}`);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGPUUnavailableError(`requestAdapter() returned no adapter. ${HOW_TO_ENABLE}`);
  // The defaults are far below what real adapters offer; ask for what large tensors and tiled kernels need.
  const wanted: (keyof GPUSupportedLimits)[] = [
    'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxStorageBuffersPerShaderStage',
  ];
  const requiredLimits: Record<string, number> = {};
  for (const name of wanted) requiredLimits[name] = adapter.limits[name] as number;
  // subgroups: matmul's kernel for 4-lane CPU adapters shares loads across a subgroup (src/ops/matmulKernels.ts).
  const requiredFeatures = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((feature) => adapter.features.has(feature));
  const acquired = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  acquired.addEventListener('uncapturederror', (event) => {
    asyncErrors.push((event as GPUUncapturedErrorEvent).error.message);
  });
  adapterInfo = adapter.info;
  device = acquired;
  return acquired;
}

/** The device; throws when `init()` has not completed. */
export function getDevice(): GPUDevice {
  if (!device) throw new WebGPUUnavailableError('webgrad is not initialized: call `await wg.init()` first.');
  return device;
}

export function isInitialized(): boolean {
  return device !== null;
}

/** Vendor/architecture/description of the adapter, for benchmarks and bug reports. */
export function getAdapterInfo(): { vendor: string; architecture: string; description: string } {
  const info = adapterInfo;
  return { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', description: info?.description ?? '' };
}

const pendingErrorChecks = new Set<Promise<void>>();

/**
 * Pops the innermost error scope later and reports what it caught, with `describe` adding context
 * (a kernel's compiler messages, say). Sync points wait for these checks.
 */
export function checkErrorScope(describe: (error: GPUError) => Promise<string> | string): void {
  const check = getDevice().popErrorScope().then(async (error) => {
    if (error) asyncErrors.push(await describe(error));
  });
  pendingErrorChecks.add(check);
  void check.finally(() => pendingErrorChecks.delete(check));
}

/** Waits for outstanding error checks, then throws every GPU error reported so far as one KernelError. */
export async function throwPendingGpuErrors(): Promise<void> {
  while (pendingErrorChecks.size > 0) await Promise.all([...pendingErrorChecks]);
  if (asyncErrors.length === 0) return;
  // Compile errors first: a rejected batch is usually their consequence.
  const messages = asyncErrors.splice(0).sort((a, b) => Number(b.includes('failed to compile')) - Number(a.includes('failed to compile')));
  throw new KernelError(messages.join('\n'));
}
