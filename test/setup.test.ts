import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VULKAN_ICD_DIRS } from '../src/device/adapter.js';

const script = resolve('scripts/setup.mjs');

// The shape of scripts/setup.mjs' exports (a plain .mjs file without type declarations).
interface Facts {
  platform: string;
  npmInstallReason: string | null;
  hasLockFile: boolean;
  userChoseDriver: boolean;
  gpuDeviceNode: string | null;
  hardwareIcds: string[];
  swiftshaderIcd: boolean;
  vulkanLoader: boolean;
  isRoot: boolean;
  hasAptGet: boolean;
}
interface Plan {
  steps: { message: string | null; command: string[]; env?: Record<string, string> }[];
  blocked?: string;
}
interface SetupModule {
  VULKAN_ICD_DIRS: string[];
  gatherFacts(root?: string): Facts;
  planSetup(facts: Facts): Plan;
}
const loadSetup = async () => (await import(pathToFileURL(script).href)) as SetupModule;

/** A Linux machine without a GPU on which everything is installed, like this one. */
const ready: Facts = {
  platform: 'linux',
  npmInstallReason: null,
  hasLockFile: true,
  userChoseDriver: false,
  gpuDeviceNode: null,
  hardwareIcds: [],
  swiftshaderIcd: true,
  vulkanLoader: true,
  isRoot: false,
  hasAptGet: true,
};

function runSetup(env: Record<string, string>, cwd = process.cwd(), file = script) {
  const result = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('scripts/setup.mjs', () => {
  it('finds everything in place on this machine: nothing to do, no output', () => {
    // The test machines have SwiftShader and the Vulkan loader installed, and node_modules.
    expect(runSetup({})).toEqual({ status: 0, output: '' });
    // The plan is empty, so no installer runs (a step would also print its message above).
    expect(runSetup({ WEBGPU_DL_SETUP_DRY_RUN: '1' })).toEqual({ status: 0, output: 'setup: (dry run) nothing to do\n' });
  });

  it('plans nothing when everything is present, or when a GPU has its driver', async () => {
    const { planSetup } = await loadSetup();
    expect(planSetup(ready)).toEqual({ steps: [] });
    const gpu = { ...ready, swiftshaderIcd: false, gpuDeviceNode: '/dev/dri/renderD128', hardwareIcds: ['/usr/share/vulkan/icd.d/radeon_icd.x86_64.json'] };
    expect(planSetup(gpu)).toEqual({ steps: [] });
    expect(planSetup({ ...ready, platform: 'darwin', swiftshaderIcd: false, vulkanLoader: false })).toEqual({ steps: [] });
  });

  it('as root with apt-get, installs SwiftShader and the Vulkan loader', async () => {
    const { planSetup } = await loadSetup();
    const plan = planSetup({ ...ready, isRoot: true, swiftshaderIcd: false, vulkanLoader: false });
    expect(plan.blocked).toBeUndefined();
    expect(plan.steps.map((s) => s.command)).toEqual([
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium', 'libvulkan1'],
    ]);
    expect(plan.steps[0].message).toBe(
      'No GPU driver found; installing the software Vulkan driver SwiftShader (Debian packages chromium and libvulkan1)…',
    );
    // Only what is missing.
    const loaderOnly = planSetup({ ...ready, isRoot: true, vulkanLoader: false });
    expect(loaderOnly.steps[1].command.slice(-1)).toEqual(['libvulkan1']);
  });

  it('with a GPU and its Vulkan driver but no Vulkan loader, installs only the loader', async () => {
    // As found on a cloud GPU machine: /dev/nvidia0 and nvidia_icd.json, no libvulkan.so.1.
    const { planSetup } = await loadSetup();
    const gpuWithoutLoader = {
      ...ready,
      isRoot: true,
      swiftshaderIcd: false,
      vulkanLoader: false,
      gpuDeviceNode: '/dev/nvidia0',
      hardwareIcds: ['/usr/share/vulkan/icd.d/nvidia_icd.json'],
    };
    const plan = planSetup(gpuWithoutLoader);
    expect(plan.steps[0].message).toBe('GPU found (/dev/nvidia0) but no Vulkan loader; installing the Vulkan loader (Debian package libvulkan1)…');
    expect(plan.steps[1].command).toEqual(['apt-get', 'install', '-y', '--no-install-recommends', 'libvulkan1']);
  });

  it('not as root, prints the exact command to run instead', async () => {
    const { planSetup } = await loadSetup();
    const plan = planSetup({ ...ready, swiftshaderIcd: false });
    expect(plan.blocked).toBe(
      'No GPU driver found; WebGPU needs the software Vulkan driver SwiftShader (Debian package chromium). Install it as root with:\n' +
        '  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium',
    );
    // A GPU node without a Vulkan driver is no GPU driver either.
    expect(planSetup({ ...ready, swiftshaderIcd: false, gpuDeviceNode: '/dev/nvidia0' }).blocked).toMatch(/^No GPU driver found/);
    expect(planSetup({ ...ready, swiftshaderIcd: false, hasAptGet: false }).blocked).toMatch(/this system has no apt-get/);
  });

  it('installs npm dependencies when node_modules is missing (dry run on a copy of the script)', () => {
    const project = mkdtempSync(join(tmpdir(), 'webgpu-dl-setup-'));
    try {
      cpSync(script, join(project, 'scripts', 'setup.mjs'));
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'x', dependencies: { webgpu: '*' } }));
      const copy = join(project, 'scripts', 'setup.mjs');
      expect(runSetup({ WEBGPU_DL_SETUP_DRY_RUN: '1' }, project, copy)).toEqual({
        status: 0,
        output: 'setup: Installing npm dependencies (node_modules is missing): npm install\nsetup: (dry run) would run: npm install\n',
      });
      writeFileSync(join(project, 'package-lock.json'), '{}');
      expect(runSetup({ WEBGPU_DL_SETUP_DRY_RUN: '1' }, project, copy).output).toContain('would run: npm ci');
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('gathers the facts of this machine', async () => {
    const { gatherFacts } = await loadSetup();
    const facts = gatherFacts();
    expect(facts.npmInstallReason).toBeNull();
    if (process.platform === 'linux' && facts.gpuDeviceNode === null) {
      expect(facts.swiftshaderIcd).toBe(true);
      expect(facts.vulkanLoader).toBe(true);
    }
  });
});

describe('setup.mjs looks for hardware Vulkan drivers', () => {
  it('in the same folders as createDevice, NVIDIA\'s container location included', async () => {
    const { VULKAN_ICD_DIRS: setupDirs } = await loadSetup();
    expect([...setupDirs].sort()).toEqual([...VULKAN_ICD_DIRS].sort());
  });
});
