/** Finding a WebGPU adapter: the browser's navigator.gpu, or Dawn (npm `webgpu`) in Node. */

/** Which adapter to take. `auto`: a hardware adapter if there is one, else the software one. */
export const ADAPTER_CHOICES = ['auto', 'hardware', 'software'] as const;
export type AdapterChoice = (typeof ADAPTER_CHOICES)[number];

export interface AdapterOptions {
  /** `auto` (default), `hardware` or `software` (SwiftShader). The CLI reads WEBGPU_DL_ADAPTER. */
  adapter?: AdapterChoice;
  /** Node only: Dawn backend name (`vulkan`, `metal`, `d3d12`, ...). Default: Dawn's choice. */
  backend?: string;
  /** Node only: extra Dawn toggles, e.g. `['disable_robustness']` (also enables allow_unsafe_apis). */
  dawnToggles?: string[];
  powerPreference?: GPUPowerPreference;
}

/** Debian's chromium package ships SwiftShader, a Vulkan driver that runs on the CPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
export const INSTALL_HINT =
  'On Debian/Ubuntu, install the software Vulkan driver with: apt-get install -y chromium libvulkan1';

export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || text.includes('swiftshader');
}

export async function requestAdapter(options: AdapterOptions): Promise<GPUAdapter> {
  const choice = options.adapter ?? 'auto';
  const browserGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (browserGpu) {
    const adapter = await browserGpu.requestAdapter({
      powerPreference: options.powerPreference,
      forceFallbackAdapter: choice === 'software',
    });
    if (!adapter) throw new Error('WebGPU is available but no adapter was found. Check that your GPU driver is enabled for WebGPU (chrome://gpu).');
    return checkChoice(adapter, choice);
  }
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new Error('WebGPU is not available in this browser. Use a browser with WebGPU (Chrome/Edge 113+, Safari 18+, Firefox 141+), served over https or localhost.');
  }
  return requestNodeAdapter(options, choice);
}

async function requestNodeAdapter(options: AdapterOptions, choice: AdapterChoice): Promise<GPUAdapter> {
  const dawn = await loadDawn();
  const flags: string[] = [];
  if (options.backend) flags.push(`backend=${options.backend}`);
  if (options.dawnToggles?.length) flags.push(`enable-dawn-features=allow_unsafe_apis,${options.dawnToggles.join(',')}`);
  const tryCreate = async () => {
    const instance = dawn.create(flags);
    // Keep the instance alive for the life of the process: if it is garbage-collected while
    // its devices still run, dawn.node's event processing touches freed memory (crashes in
    // ProcessEvents after a few awaited submits).
    liveDawnInstances.push(instance);
    return instance.requestAdapter({ powerPreference: options.powerPreference });
  };

  if (choice !== 'software' && (await pointVulkanAtHardwareDrivers())) {
    const adapter = await tryCreate();
    if (adapter && (!isSoftwareAdapter(adapter) || choice === 'auto')) return adapter;
    if (choice === 'hardware') {
      throw new Error(`No hardware WebGPU adapter found${adapter ? ` (only ${adapter.info.description})` : ''}. Install your GPU's Vulkan driver, or use adapter 'software'.`);
    }
  } else if (choice === 'hardware') {
    throw new Error('No hardware WebGPU adapter found: no GPU Vulkan driver is installed. Install your GPU\'s Vulkan driver, or use adapter \'software\'.');
  }
  // No hardware adapter: point the Vulkan loader at SwiftShader. The loader reads this
  // variable each time Dawn creates an instance, so setting it now still takes effect.
  const fs = await import('node:fs');
  if (process.platform !== 'linux' || !fs.existsSync(SWIFTSHADER_ICD)) {
    throw new Error(`No WebGPU adapter found: no GPU driver, and the software driver SwiftShader (${SWIFTSHADER_ICD}) is missing. ${INSTALL_HINT}`);
  }
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  delete process.env.VK_DRIVER_FILES;
  const adapter = await tryCreate();
  if (!adapter) {
    throw new Error(`No WebGPU adapter found, even with SwiftShader (${SWIFTSHADER_ICD}). Dawn also needs the Vulkan loader. ${INSTALL_HINT}`);
  }
  return adapter;
}

/**
 * Where Vulkan drivers describe themselves (ICD manifests), in the loader's order, plus
 * NVIDIA's container toolkit location (it mounts the driver's manifest there, outside the
 * loader's default search path).
 */
export const VULKAN_ICD_DIRS = [
  '/etc/vulkan/icd.d',
  '/usr/local/share/vulkan/icd.d',
  '/usr/share/vulkan/icd.d',
  '/usr/local/nvidia/share/vulkan/icd.d',
];

/**
 * The hardware driver manifests in `dirs`: every `*.json` except Mesa's lavapipe (`lvp*`, a
 * CPU driver Dawn rejects, whose probing has aborted forked processes) and SwiftShader.
 */
export async function hardwareVulkanDrivers(dirs: readonly string[] = VULKAN_ICD_DIRS): Promise<string[]> {
  const fs = await import('node:fs');
  return dirs.flatMap((dir) =>
    fs.existsSync(dir)
      ? fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('lvp') && !f.includes('swiftshader')).sort().map((f) => `${dir}/${f}`)
      : [],
  );
}

/**
 * On Linux, limits the Vulkan loader to hardware drivers before Dawn starts. Returns false when
 * there is no hardware driver to try. Without a GPU device node (a DRM render node, or
 * NVIDIA's /dev/nvidia0) it does not probe at all.
 * Elsewhere, or when the user already chose drivers through the loader's variables
 * (VK_DRIVER_FILES, or the older VK_ICD_FILENAMES), it changes nothing and returns true.
 */
async function pointVulkanAtHardwareDrivers(): Promise<boolean> {
  if (process.platform !== 'linux' || process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return true;
  const fs = await import('node:fs');
  const drivers = await hardwareVulkanDrivers();
  const hasGpuNode = (fs.existsSync('/dev/dri') && fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) || fs.existsSync('/dev/nvidia0');
  if (drivers.length === 0 || !hasGpuNode) return false;
  process.env.VK_ICD_FILENAMES = drivers.join(':');
  return true;
}

function checkChoice(adapter: GPUAdapter, choice: AdapterChoice): GPUAdapter {
  const software = isSoftwareAdapter(adapter);
  if (choice === 'hardware' && software) throw new Error(`Only a software WebGPU adapter is available (${adapter.info.description}).`);
  return adapter;
}

interface DawnModule { create(flags: string[]): GPU; globals: Record<string, unknown> }
let dawnModule: DawnModule | undefined;
const liveDawnInstances: GPU[] = [];

async function loadDawn(): Promise<DawnModule> {
  if (dawnModule) return dawnModule;
  // SwiftShader's loader complains on stderr when XDG_RUNTIME_DIR is unset; give it one.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  try {
    dawnModule = (await import(/* webpackIgnore: true */ 'webgpu')) as unknown as DawnModule;
  } catch (err) {
    throw new Error(`Cannot load Dawn (npm package 'webgpu'): ${(err as Error).message}. Run 'npm install' in the project.`);
  }
  // Dawn's classes (GPUBufferUsage, GPUShaderStage, ...) become globals, as in a browser.
  Object.assign(globalThis, dawnModule.globals);
  return dawnModule;
}
