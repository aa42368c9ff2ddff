// Which Vulkan drivers the Node path tries (scripts/lib/dawn-gpu.mjs), and the reason it gives when
// Dawn finds no adapter, with the environment injected. Needs no GPU.
import { describe, expect, it } from 'vitest';
import { noAdapterReason, SWIFTSHADER_ICD, vulkanDriverAttempts } from '../../scripts/lib/dawn-gpu.mjs';

const SHELL_ICD = '/root/.cache/puppeteer/chrome-headless-shell/linux-148/chrome-headless-shell-linux64/vk_swiftshader_icd.json';

describe('Dawn driver attempts', () => {
  it('keep a VK_ICD_FILENAMES the user set, alone', () => {
    expect(vulkanDriverAttempts({ VK_ICD_FILENAMES: '/my/icd.json' }, () => true, [SWIFTSHADER_ICD]))
      .toEqual([{ icd: undefined, label: 'VK_ICD_FILENAMES=/my/icd.json' }]);
  });

  it("try the system's drivers (a real GPU) first, then the first SwiftShader that exists", () => {
    const attempts = vulkanDriverAttempts({}, (path) => path === SHELL_ICD, [SWIFTSHADER_ICD, SHELL_ICD]);
    expect(attempts.map((attempt) => attempt.icd)).toEqual([undefined, SHELL_ICD]);
    expect(vulkanDriverAttempts({}, () => true, [SWIFTSHADER_ICD, SHELL_ICD]).map((attempt) => attempt.icd)).toEqual([undefined, SWIFTSHADER_ICD]);
    expect(vulkanDriverAttempts({}, () => false, [SWIFTSHADER_ICD])).toEqual([{ icd: undefined, label: "the system's Vulkan drivers" }]);
  });

  it('name libvulkan1 when the loader is missing, and VK_ICD_FILENAMES otherwise', () => {
    const attempts = [{ label: "the system's Vulkan drivers" }, { label: `SwiftShader (VK_ICD_FILENAMES=${SWIFTSHADER_ICD})` }];
    const noLoader = noAdapterReason(attempts, false);
    expect(noLoader).toContain("tried the system's Vulkan drivers, then SwiftShader");
    expect(noLoader).toContain('apt-get install -y libvulkan1');
    const noDriver = noAdapterReason(attempts, true);
    expect(noDriver).not.toContain('libvulkan1');
    expect(noDriver).toContain(`VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`);
  });
});
