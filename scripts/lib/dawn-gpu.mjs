// Opens WebGPU in Node through Dawn (the `webgpu` npm package) for the scripts and tests that run
// webgrad outside a browser: demo:node, bench --node, test/node/. webgrad itself never imports
// `webgpu`; users pass Dawn's GPU object to `wg.init({ gpu })`, as this does.
// @ts-check
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { locateBrowser } from './find-browser.mjs';

/** Chromium's SwiftShader Vulkan driver (Debian's chromium package): WebGPU on the CPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Where a SwiftShader driver may be: Debian's chromium's, then the one Chrome builds (Chrome for
 * Testing, Chrome Headless Shell) keep beside their executable.
 * @returns {string[]}
 */
function swiftShaderCandidates() {
  const candidates = [SWIFTSHADER_ICD];
  try {
    const browser = locateBrowser();
    if (browser) candidates.push(join(dirname(realpathSync(browser)), 'vk_swiftshader_icd.json'));
  } catch {
    // A CHROME_PATH naming no file: the browser tests report it; here it only means one place fewer.
  }
  return candidates;
}

/**
 * The drivers to try, in order. With VK_ICD_FILENAMES set, only what it names. Otherwise the
 * system's own Vulkan drivers first (a real GPU), then the first SwiftShader driver that exists:
 * a machine without a GPU still runs, and one with a GPU is not hidden behind the CPU driver.
 * @param {Record<string, string | undefined>} env
 * @param {(path: string) => boolean} fileExists
 * @param {string[]} swiftShaderIcds where SwiftShader's driver manifest may be, in order
 * @returns {{ icd: string | undefined, label: string }[]} icd undefined: leave VK_ICD_FILENAMES as it is
 */
export function vulkanDriverAttempts(env, fileExists, swiftShaderIcds) {
  if (env.VK_ICD_FILENAMES) return [{ icd: undefined, label: `VK_ICD_FILENAMES=${env.VK_ICD_FILENAMES}` }];
  /** @type {{ icd: string | undefined, label: string }[]} */
  const attempts = [{ icd: undefined, label: "the system's Vulkan drivers" }];
  const icd = swiftShaderIcds.find(fileExists);
  if (icd) attempts.push({ icd, label: `SwiftShader (VK_ICD_FILENAMES=${icd})` });
  return attempts;
}

/** Whether the dynamic linker knows libvulkan.so.1 (the Vulkan loader Dawn opens on Linux); null if unknown. */
export function hasVulkanLoader() {
  if (process.platform !== 'linux') return null;
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('libvulkan.so.1');
  } catch {
    return null;
  }
}

/**
 * Why Dawn found no adapter, with what to do about it.
 * @param {{ label: string }[]} attempts
 * @param {boolean | null} loaderPresent
 * @returns {string}
 */
export function noAdapterReason(attempts, loaderPresent) {
  const tried = `tried ${attempts.map((attempt) => attempt.label).join(', then ')}`;
  if (loaderPresent === false) {
    return `Dawn found no GPU adapter (${tried}): the Vulkan loader libvulkan.so.1 is missing. ` +
      'Install it (Debian/Ubuntu, as root: `apt-get install -y libvulkan1`); without a GPU, Debian\'s chromium package ' +
      `brings the SwiftShader CPU driver (${SWIFTSHADER_ICD}).`;
  }
  return `Dawn found no GPU adapter (${tried}). It needs a Vulkan driver it accepts: a real GPU's, or SwiftShader ` +
    `(Debian: \`apt-get install -y chromium\`, then VK_ICD_FILENAMES=${SWIFTSHADER_ICD}).`;
}

/**
 * Dawn's GPU object, checked to give an adapter, and the adapter's description; or, when there
 * is none, the reason and what to install. Sets VK_ICD_FILENAMES when it falls back to SwiftShader.
 * Throws when the `webgpu` package itself cannot be loaded (it is a devDependency: a broken install).
 * @returns {Promise<{ gpu: GPU, adapter: string, driver: string } | { gpu: null, reason: string }>}
 */
export async function openDawnGpu() {
  /** @type {typeof import('webgpu')} */
  let webgpu;
  try {
    webgpu = await import('webgpu');
  } catch (error) {
    throw new Error(`the \`webgpu\` package (Dawn for Node) could not be loaded (npm install webgpu): ${error instanceof Error ? error.message : String(error)}`);
  }
  const attempts = vulkanDriverAttempts(process.env, existsSync, swiftShaderCandidates());
  for (const attempt of attempts) {
    // The Vulkan loader reads VK_ICD_FILENAMES each time Dawn creates an instance, so a second
    // create() in the same process sees the fallback.
    if (attempt.icd) process.env.VK_ICD_FILENAMES = attempt.icd;
    const gpu = webgpu.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) continue;
    const { vendor, architecture, description } = adapter.info;
    return { gpu, adapter: [vendor, architecture, description].filter(Boolean).join(' ') || 'unnamed', driver: attempt.label };
  }
  if (attempts.some((attempt) => attempt.icd)) delete process.env.VK_ICD_FILENAMES;
  return { gpu: null, reason: noAdapterReason(attempts, hasVulkanLoader()) };
}
