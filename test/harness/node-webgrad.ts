// Loads the built bundle into this Node test worker with WebGPU from Dawn (the `webgpu` package,
// opened by scripts/lib/dawn-gpu.mjs): the path a Node user takes, `wg.init({ gpu })`. Where Dawn
// finds no adapter (no libvulkan1, no Vulkan driver) the file's tests are skipped with the reason
// printed; anything else that goes wrong fails them.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openDawnGpu } from '../../scripts/lib/dawn-gpu.mjs';
import type { Webgrad } from './gpu-page';

const bundlePath = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'webgrad.js');

export interface NodeWebgrad {
  /** Why the tests cannot run here (Dawn found no adapter); null when they can. */
  readonly skipReason: string | null;
  /** webgrad, initialised on Dawn's adapter; throws when skipReason is set. */
  readonly wg: Webgrad;
}

/** Call at the top level of a test file (`const node = await loadWebgradInNode()`), then `describe.skipIf(node.skipReason)`. */
export async function loadWebgradInNode(): Promise<NodeWebgrad> {
  if (!existsSync(bundlePath)) {
    throw new Error(`${bundlePath} does not exist: run \`npm run build\` first (\`npm test\` does it for you).`);
  }
  const dawn = await openDawnGpu();
  if (!dawn.gpu) {
    console.warn(`Skipping the Node (Dawn) tests: ${dawn.reason}`);
    const skipReason = dawn.reason;
    return { skipReason, get wg(): Webgrad { throw new Error(`webgrad is not available in Node here: ${skipReason}`); } };
  }
  const wg = (await import(pathToFileURL(bundlePath).href)) as Webgrad;
  await wg.init({ gpu: dawn.gpu });
  return { skipReason: null, wg };
}
