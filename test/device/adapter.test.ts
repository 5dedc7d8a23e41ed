import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hardwareVulkanDrivers, VULKAN_ICD_DIRS } from '../../src/device/adapter.js';

describe('finding hardware Vulkan drivers', () => {
  it("looks where distributions and NVIDIA's container toolkit put the manifests", () => {
    expect(VULKAN_ICD_DIRS).toEqual(expect.arrayContaining(['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d']));
  });

  it('lists every manifest in those folders but the CPU drivers, and tolerates missing folders', async () => {
    const root = mkdtempSync(join(tmpdir(), 'webgpu-dl-icd-'));
    try {
      const etc = join(root, 'etc');
      const nvidia = join(root, 'nvidia');
      mkdirSync(etc);
      mkdirSync(nvidia);
      for (const f of ['radeon_icd.x86_64.json', 'lvp_icd.x86_64.json', 'vk_swiftshader_icd.json', 'README']) writeFileSync(join(etc, f), '{}');
      writeFileSync(join(nvidia, 'nvidia_icd.json'), '{}');
      expect(await hardwareVulkanDrivers([etc, join(root, 'absent'), nvidia])).toEqual([join(etc, 'radeon_icd.x86_64.json'), join(nvidia, 'nvidia_icd.json')]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
