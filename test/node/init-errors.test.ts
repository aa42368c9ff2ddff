// What a Node user is told when WebGPU cannot start: init() without a GPU object says to pass Dawn's,
// and a GPU object that gives no adapter (Dawn without libvulkan1 or a Vulkan driver) names both.
// The GPU objects here are stand-ins, so this runs with or without Dawn's adapter. This file's
// copy of the bundle is its own (vitest isolates files), never initialised.
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Webgrad } from '../harness/gpu-page';

const bundleUrl = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'webgrad.js')).href;
const wg = (await import(bundleUrl)) as Webgrad;

/** A GPU object whose requestAdapter() resolves to null, as Dawn's does without a usable driver. */
const noAdapterGpu = { requestAdapter: async () => null } as unknown as GPU;

describe('init in Node without a usable GPU', () => {
  it('without a GPU object: WebGPUUnavailableError saying to pass the webgpu package\'s', async () => {
    const failure = wg.init();
    await expect(failure).rejects.toBeInstanceOf(wg.WebGPUUnavailableError);
    await expect(failure).rejects.toThrow("import { create } from 'webgpu'; await wg.init({ gpu: create([]) })");
    expect(await wg.isSupported()).toBe(false);
  });

  it('with a GPU object that gives no adapter: names libvulkan1 and VK_ICD_FILENAMES; isSupported is false', async () => {
    expect(await wg.isSupported({ gpu: noAdapterGpu })).toBe(false);
    const failure = wg.init({ gpu: noAdapterGpu });
    await expect(failure).rejects.toBeInstanceOf(wg.WebGPUUnavailableError);
    await expect(failure).rejects.toThrow(/requestAdapter\(\) returned no adapter.*apt-get install libvulkan1.*VK_ICD_FILENAMES=\/usr\/lib\/chromium\/vk_swiftshader_icd\.json/);
    expect(wg.isInitialized()).toBe(false);
    // Remembered: a later init() without options asks the same object again.
    await expect(wg.init()).rejects.toThrow('requestAdapter() returned no adapter');
  });
});
