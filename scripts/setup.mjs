#!/usr/bin/env node
// Makes this project ready to run; `npm start` and `npm test` call it first. Plain Node,
// no dependencies: it runs before `npm install` has happened.
//
// 1. npm dependencies: runs `npm ci` (`npm install` without a lock file) when node_modules
//    is missing, older than package-lock.json, or lacks a declared package.
// 2. Linux: WebGPU (Dawn) needs a Vulkan driver. With a GPU device node and a hardware
//    Vulkan driver, nothing is done. Otherwise it needs the software driver SwiftShader,
//    which ships in Debian's `chromium` package, and the Vulkan loader (`libvulkan1`);
//    as root with apt-get it installs what is missing, else it prints the command and fails.
//
// Prints nothing and takes milliseconds when everything is in place.
// WEBGPU_DL_SETUP_DRY_RUN=1 prints what it would do and does nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
// The same folders as src/device/adapter.ts' VULKAN_ICD_DIRS (this script runs before anything is
// built, so it cannot import them), NVIDIA's container location included.
export const VULKAN_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];
const VULKAN_LOADER = 'libvulkan.so.1';
// Where Debian-like systems keep shared libraries: used only when ldconfig cannot be run.
const LIBRARY_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib'];

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Everything the plan depends on, read from this machine. */
export function gatherFacts(root = projectRoot) {
  const linux = process.platform === 'linux';
  return {
    platform: process.platform,
    npmInstallReason: npmInstallReason(root),
    hasLockFile: existsSync(join(root, 'package-lock.json')),
    // The user chose Vulkan drivers through the loader's own variables: leave them alone.
    userChoseDriver: Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES),
    gpuDeviceNode: linux ? findGpuDeviceNode() : null,
    hardwareIcds: linux ? findHardwareIcds() : [],
    swiftshaderIcd: linux && existsSync(SWIFTSHADER_ICD),
    vulkanLoader: linux && hasVulkanLoader(),
    isRoot: process.getuid?.() === 0,
    hasAptGet: linux && commandExists('apt-get'),
  };
}

/** Why npm dependencies must be installed, or null when they are in place. */
function npmInstallReason(root) {
  const packageJson = join(root, 'package.json');
  if (!existsSync(packageJson)) return null;
  const modules = join(root, 'node_modules');
  if (!existsSync(modules)) return 'node_modules is missing';
  // npm (7+) writes node_modules/.package-lock.json after every install.
  const installed = join(modules, '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(installed)) return 'node_modules was not installed by npm from the lock file';
  if (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs) return 'package-lock.json is newer than node_modules';
  const manifest = JSON.parse(readFileSync(packageJson, 'utf8'));
  const declared = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})];
  const missing = declared.filter((name) => !existsSync(join(modules, name, 'package.json')));
  if (missing.length > 0) return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed`;
  return null;
}

/** A DRM render node or NVIDIA's device node: the sign of a GPU a hardware driver could use. */
function findGpuDeviceNode() {
  const dri = '/dev/dri';
  const render = existsSync(dri) ? readdirSync(dri).find((name) => name.startsWith('renderD')) : undefined;
  if (render) return join(dri, render);
  return existsSync('/dev/nvidia0') ? '/dev/nvidia0' : null;
}

/** Installed Vulkan drivers (ICD manifests), except Mesa's lavapipe, which Dawn rejects. */
function findHardwareIcds() {
  return VULKAN_ICD_DIRS.flatMap((dir) =>
    existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('lvp')).map((f) => join(dir, f)) : [],
  );
}

function hasVulkanLoader() {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const listing = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' });
    if (listing.status === 0) return listing.stdout.includes(VULKAN_LOADER);
  }
  return LIBRARY_DIRS.some((dir) => existsSync(join(dir, VULKAN_LOADER)));
}

function commandExists(command) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)));
}

/**
 * What to do, from the facts alone (no side effects): `steps` to run in order, each with
 * a one-line `message` and a `command` [file, ...args]; or `blocked`, a message saying
 * what the user must do, when the script cannot do it.
 */
export function planSetup(facts) {
  const steps = [];
  if (facts.npmInstallReason) {
    const command = facts.hasLockFile ? ['npm', 'ci'] : ['npm', 'install'];
    steps.push({ message: `Installing npm dependencies (${facts.npmInstallReason}): ${command.join(' ')}`, command });
  }
  if (facts.platform !== 'linux' || facts.userChoseDriver) return { steps };

  const hardware = facts.gpuDeviceNode !== null && facts.hardwareIcds.length > 0;
  const packages = [];
  if (!hardware && !facts.swiftshaderIcd) packages.push('chromium');
  if (!facts.vulkanLoader) packages.push('libvulkan1');
  if (packages.length === 0) return { steps };

  const what = packages.includes('chromium') ? 'the software Vulkan driver SwiftShader' : 'the Vulkan loader';
  const debian = `Debian package${packages.length > 1 ? 's' : ''} ${packages.join(' and ')}`;
  const situation = hardware ? `GPU found (${facts.gpuDeviceNode}) but no Vulkan loader` : 'No GPU driver found';
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...packages];
  if (!facts.hasAptGet) {
    return {
      steps,
      blocked:
        `${situation}, and this system has no apt-get to install ${what} (${debian}). ` +
        `Install a Vulkan driver for your GPU, or SwiftShader at ${SWIFTSHADER_ICD} and the Vulkan loader ${VULKAN_LOADER}.`,
    };
  }
  if (!facts.isRoot) {
    return {
      steps,
      blocked: `${situation}; WebGPU needs ${what} (${debian}). Install it as root with:\n  sudo apt-get update && sudo ${install.join(' ')}`,
    };
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  steps.push({ message: `${situation}; installing ${what} (${debian})…`, command: ['apt-get', 'update'], env });
  steps.push({ message: null, command: install, env });
  return { steps };
}

/** Runs a command with its output streamed to ours; returns its exit status. */
function run(command, env = {}) {
  let [file, ...args] = command;
  // Under `npm start`/`npm test`, run the very npm that started us.
  if (file === 'npm' && /\.[cm]?js$/.test(process.env.npm_execpath ?? '')) [file, args] = [process.execPath, [process.env.npm_execpath, ...args]];
  const result = spawnSync(file, args, { cwd: projectRoot, stdio: 'inherit', env: { ...process.env, ...env }, shell: process.platform === 'win32' });
  if (result.error) console.error(`setup: cannot run ${command.join(' ')}: ${result.error.message}`);
  return result.status ?? 1;
}

function main() {
  const dryRun = Boolean(process.env.WEBGPU_DL_SETUP_DRY_RUN);
  const plan = planSetup(gatherFacts());
  if (plan.blocked) {
    console.error(`setup: ${plan.blocked}`);
    return 1;
  }
  for (const step of plan.steps) {
    if (step.message) console.log(`setup: ${step.message}`);
    if (dryRun) {
      console.log(`setup: (dry run) would run: ${step.command.join(' ')}`);
      continue;
    }
    const status = run(step.command, step.env);
    if (status !== 0) {
      console.error(`setup: '${step.command.join(' ')}' failed with exit code ${status}`);
      return status;
    }
  }
  if (dryRun) {
    if (plan.steps.length === 0) console.log('setup: (dry run) nothing to do');
    return 0;
  }
  if (plan.steps.length > 0) {
    // Check that the steps did their job.
    const after = planSetup(gatherFacts());
    if (after.blocked || after.steps.length > 0) {
      console.error(`setup: still not ready after installing: ${after.blocked ?? after.steps.map((s) => s.message ?? s.command.join(' ')).join('; ')}`);
      return 1;
    }
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main();
