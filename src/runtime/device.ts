// Owns the one GPUDevice: acquisition, the limits we ask for, device loss, and device-level error capture.
import { DeviceLostError, KernelError, NotInitializedError, OutOfMemoryError, WebGPUUnavailableError } from '../errors';

let device: GPUDevice | null = null;
let adapterInfo: GPUAdapterInfo | null = null;
let pendingInit: Promise<GPUDevice> | null = null;
/** Why the last `init()` failed, so an op used afterwards says so instead of only "call init". */
let initFailure: Error | null = null;
/**
 * Advances when a device is acquired and when it is lost: a tensor remembers the generation it
 * was made on and is usable only while that generation lasts.
 */
let generation = 0;
/** Why the current generation's device was lost; null while it is alive. */
let lostError: DeviceLostError | null = null;
const lossByDevice = new WeakMap<GPUDevice, DeviceLostError>();
const lostListeners: (() => void)[] = [];
const asyncErrors: Error[] = [];

const HOW_TO_ENABLE =
  'WebGPU needs a browser that supports it (Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu), ' +
  'and a secure context: serve the page from https:// or http://localhost, not file://.';
const HOW_TO_ENABLE_IN_NODE =
  "Node has no WebGPU of its own: install the `webgpu` package (Dawn) and pass its GPU object, " +
  "`import { create } from 'webgpu'; await wg.init({ gpu: create([]) })`.";
const NO_ADAPTER_IN_NODE =
  'Dawn finds GPUs through Vulkan on Linux: it needs the Vulkan loader (Debian/Ubuntu: `apt-get install libvulkan1`) ' +
  "and a Vulkan driver it accepts: a real GPU's, or Chromium's SwiftShader on the CPU " +
  '(set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json).';

export interface InitOptions {
  /**
   * The WebGPU entry point to take the adapter from, where there is no `navigator.gpu`: in Node,
   * the `webgpu` package's `create([])` (Dawn). Remembered, so a later `init()` after a device
   * loss uses it again. Defaults to `navigator.gpu`.
   */
  gpu?: GPU;
}

/** The GPU object `init({ gpu })` was given last; null until then (navigator.gpu is used). */
let givenGpu: GPU | null = null;

/**
 * Acquires the adapter and device; later calls return the same device until it is lost, after
 * which the next call acquires a new one.
 */
export function init(options: InitOptions = {}): Promise<GPUDevice> {
  if (options.gpu) givenGpu = options.gpu;
  if (device) return Promise.resolve(device);
  pendingInit ??= acquireDevice().then(
    (acquired) => { initFailure = null; return acquired; },
    (error: unknown) => { initFailure = error instanceof Error ? error : new Error(String(error)); throw error; },
  ).finally(() => { pendingInit = null; });
  return pendingInit;
}

/** True in Node (and runtimes that pose as it), where the setup advice differs from a browser's. */
function isNode(): boolean {
  // Read off globalThis: the browser build has no Node types.
  const { process } = globalThis as { process?: { versions?: { node?: unknown } } };
  return typeof process?.versions?.node === 'string';
}

/** The GPU object init() asks for an adapter: the one the user gave, else navigator.gpu. */
export function gpuEntryPoint(): GPU | undefined {
  return givenGpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
}

async function acquireDevice(): Promise<GPUDevice> {
  const gpu = gpuEntryPoint();
  if (!gpu) {
    throw new WebGPUUnavailableError(`navigator.gpu is not available${isNode() ? ` and no GPU object was given. ${HOW_TO_ENABLE_IN_NODE}` : `. ${HOW_TO_ENABLE}`}`);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGPUUnavailableError(`requestAdapter() returned no adapter. ${isNode() ? NO_ADAPTER_IN_NODE : HOW_TO_ENABLE}`);
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
    asyncErrors.push(new KernelError((event as GPUUncapturedErrorEvent).error.message));
  });
  void acquired.lost.then((info) => handleLoss(acquired, info));
  adapterInfo = adapter.info;
  device = acquired;
  generation++;
  lostError = null;
  asyncErrors.length = 0;
  return acquired;
}

function handleLoss(lostDevice: GPUDevice, info: GPUDeviceLostInfo): void {
  const detail = info.message ? `: ${info.message}` : '';
  const error = new DeviceLostError(
    `the GPU device was lost (reason '${info.reason}'${detail}). Call \`await wg.init()\` for a new device; ` +
    'tensors and model weights on the lost device are gone (reload them from a checkpoint).',
  );
  lossByDevice.set(lostDevice, error);
  if (device !== lostDevice) return;
  device = null;
  generation++;
  lostError = error;
  asyncErrors.length = 0;
  for (const listener of lostListeners) listener();
}

/** Runs `listener` when the device is lost, so the pool and command state drop what belonged to it. */
export function onDeviceLost(listener: () => void): void {
  lostListeners.push(listener);
}

/** The device; throws DeviceLostError after a loss, NotInitializedError before `init()` has succeeded. */
export function getDevice(): GPUDevice {
  if (device) return device;
  if (lostError) throw lostError;
  if (initFailure) {
    throw new NotInitializedError(`webgrad is not initialized: \`await wg.init()\` failed (${initFailure.name}: ${initFailure.message})`, { cause: initFailure });
  }
  throw new NotInitializedError('webgrad is not initialized: call `await wg.init()` (once, before any op, tensor or layer) and wait for it to finish.');
}

export function isInitialized(): boolean {
  return device !== null;
}

/** Which device a resource was made on (see `assertSameDevice`). */
export function deviceGeneration(): number {
  return generation;
}

/**
 * Throws DeviceLostError naming `what` when a resource made on device `madeOn` can no longer be
 * used: its device was lost, whether or not a new one has been brought up since.
 */
export function assertDeviceAlive(madeOn: number, what: string): void {
  if (madeOn === generation && device) return;
  const reason = !device && lostError ? lostError.message : 'the GPU device it was made on was lost (see the DeviceLostError raised then).';
  throw new DeviceLostError(`${what}: ${reason}`);
}

/**
 * After a GPU call on `usedDevice` failed (mapAsync rejected), waits briefly for the device's
 * `lost` promise: a loss is reported as DeviceLostError, anything else as the original failure.
 */
export async function explainFailure(usedDevice: GPUDevice, failure: unknown): Promise<Error> {
  const LOSS_REPORT_WAIT_MS = 2000;
  await Promise.race([usedDevice.lost, new Promise((resolve) => setTimeout(resolve, LOSS_REPORT_WAIT_MS))]);
  const loss = lossByDevice.get(usedDevice);
  if (loss) return new DeviceLostError(loss.message);
  return failure instanceof Error ? failure : new KernelError(String(failure));
}

/** Vendor/architecture/description of the adapter, for benchmarks and bug reports. */
export function getAdapterInfo(): { vendor: string; architecture: string; description: string } {
  const info = adapterInfo;
  return { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', description: info?.description ?? '' };
}

/** Whether the adapter runs WebGPU on the CPU (SwiftShader, llvmpipe, WARP), which kernels may be shaped for. */
export function isCpuAdapter(info: { vendor: string; architecture: string; description: string } = getAdapterInfo()): boolean {
  return info.architecture === 'swiftshader' || /swiftshader|llvmpipe|lavapipe|warp/i.test(`${info.vendor} ${info.description}`);
}

const pendingErrorChecks = new Set<Promise<void>>();

/**
 * Pops the innermost error scope later and reports what it caught as the typed error `describe`
 * builds (adding context: a kernel's compiler messages, say), or nothing when `describe` returns
 * null (an expected consequence that another check reports). `settled` hears the outcome, null
 * for success. Sync points wait for these checks.
 */
export function checkErrorScope(describe: (error: GPUError) => Promise<Error | null> | Error | null, settled?: (error: Error | null) => void): void {
  const check = getDevice().popErrorScope().then(async (error) => {
    const described = error ? await describe(error) : null;
    if (described) asyncErrors.push(described);
    settled?.(described);
  });
  pendingErrorChecks.add(check);
  void check.finally(() => pendingErrorChecks.delete(check));
}

/** Waits until every outstanding error check has settled (poison marks are then up to date). */
export async function settleErrorChecks(): Promise<void> {
  while (pendingErrorChecks.size > 0) await Promise.all([...pendingErrorChecks]);
}

/** Every GPU error reported and not yet thrown, as one typed error (null when there is none). */
export function takePendingGpuErrors(): Error | null {
  if (asyncErrors.length === 0) return null;
  // Compile errors first: a rejected batch is usually their consequence.
  const errors = asyncErrors.splice(0).sort((a, b) => Number(b.message.includes('failed to compile')) - Number(a.message.includes('failed to compile')));
  if (errors.length === 1) return errors[0];
  const message = errors.map((error) => error.message).join('\n');
  return errors.some((error) => error instanceof OutOfMemoryError) ? new OutOfMemoryError(message) : new KernelError(message);
}

/** Waits for outstanding error checks, then throws every GPU error reported so far as one typed error. */
export async function throwPendingGpuErrors(): Promise<void> {
  await settleErrorChecks();
  const pending = takePendingGpuErrors();
  if (pending) throw pending;
}
