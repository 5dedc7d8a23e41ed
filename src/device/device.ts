/**
 * The engine's device handle: a GPUDevice with the limits the engine needs, its adapter's
 * description, and WebGPU errors turned into thrown JS errors.
 */
import { ADAPTER_CHOICES, isSoftwareAdapter, requestAdapter, type AdapterOptions } from './adapter.js';
import { PipelineCache } from './pipelines.js';
import { quadsAreConsecutive } from './quads.js';
import { adapterKey, defaultChoiceStore, KernelChoices, TUNING_MODES, type ChoiceStore, type TuningMode } from './kernel-choices.js';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a CPU implementation such as SwiftShader. */
  software: boolean;
}

export interface DeviceOptions extends AdapterOptions {
  /**
   * Use the adapter's `subgroups` feature where it has it (default true): the matmul then
   * shares loads across quads. False forces the kernels that need no optional feature.
   */
  subgroups?: boolean;
  /**
   * How kernels with several candidates (the matmul, im2col, the max pool backward, a 3×3
   * conv's algorithm) pick one: 'measure' times them on this
   * device when a model is compiled and caches the winner, 'cached' uses the cache and times
   * nothing, 'off' (default) takes the documented default per adapter class.
   */
  tuning?: TuningMode;
  /** Where the tuning choices persist; default: a JSON file in Node, localStorage in a browser. */
  choiceStore?: ChoiceStore;
  /**
   * Node only: training and evaluation probe for each read-back every 2% of its expected wait
   * and sleep in between, instead of letting dawn.node poll for it, which keeps a CPU core busy
   * (src/runtime/queue-pacer.ts). Default true; browsers do not poll, so there it changes nothing.
   */
  pacedWaits?: boolean;
}

/** Optional capabilities the device was created with. */
export interface DeviceFeatures {
  /** Timestamp queries (the bench times kernels with them). */
  timestamps: boolean;
  /** Subgroups, with quads of four consecutive invocations (the quad-sharing matmul). */
  quads: boolean;
}

export class Device {
  readonly gpu: GPUDevice;
  readonly adapter: AdapterSummary;
  readonly pipelines: PipelineCache;
  /** True when the adapter has timestamp queries and the device was created with them. */
  readonly timestamps: boolean;
  /** True when kernels may use quad operations (see DeviceFeatures.quads). */
  readonly quads: boolean;
  /** The kernel candidates chosen on this adapter (see DeviceOptions.tuning). */
  readonly kernelChoices: KernelChoices;
  /** Set when the device is lost; every later operation throws it. */
  lost: Error | undefined;
  /** The first error WebGPU reported outside an error scope, thrown at the next check. */
  private uncaptured: Error | undefined;
  /** Set once destroy() was called (the loss that follows is no failure); every later operation throws it. */
  private destroyedByOwner: Error | undefined;
  /** Buffers created through this wrapper and not yet destroyed, with their sizes (see `memory`). */
  private readonly live = new Map<GPUBuffer, number>();
  private liveBytes = 0;

  /**
   * @param options what createDevice was asked for: a device lost mid-training is replaced by
   *   one created with the same options (src/nn/device-recovery.ts).
   * @param kernelChoices the tuning mode and its cache (see DeviceOptions.tuning).
   */
  constructor(
    gpu: GPUDevice,
    adapter: AdapterSummary,
    features: DeviceFeatures,
    readonly options: DeviceOptions = {},
    kernelChoices = new KernelChoices('off', adapterKey(adapter), undefined),
  ) {
    this.gpu = gpu;
    this.adapter = adapter;
    this.kernelChoices = kernelChoices;
    this.timestamps = features.timestamps;
    this.quads = features.quads;
    this.pipelines = new PipelineCache(this);
    gpu.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.uncaptured ??= new Error(`WebGPU error: ${error.message}`);
    });
    // A device destroyed by anyone but its owner (a test hook, a browser reclaiming it) is
    // a loss like a driver reset.
    void gpu.lost.then((info) => {
      if (this.destroyedByOwner) return;
      this.lost = new Error(`WebGPU device lost: ${info.message || info.reason}`);
    });
  }

  get limits(): GPUSupportedLimits {
    return this.gpu.limits;
  }

  /**
   * The loss of this device, if it was lost: called after an operation failed, it first lets
   * pending events run, since WebGPU may reject a mapping before it reports the loss.
   */
  async lossAfterFailure(): Promise<Error | undefined> {
    if (!this.lost) await new Promise((resolve) => setTimeout(resolve, 10));
    return this.lost;
  }

  /** Throws the first WebGPU error reported since the last check, or a device loss. */
  throwIfFailed(): void {
    if (this.destroyedByOwner) throw this.destroyedByOwner;
    if (this.lost) throw this.lost;
    const error = this.uncaptured;
    if (error) {
      this.uncaptured = undefined;
      throw error;
    }
  }

  /**
   * Runs `work` inside validation and out-of-memory error scopes and throws the first error
   * it caused, prefixed with `label` (the kernel or step it belongs to).
   */
  async checked<T>(label: string, work: () => T | Promise<T>): Promise<T> {
    this.throwIfFailed();
    this.gpu.pushErrorScope('out-of-memory');
    this.gpu.pushErrorScope('validation');
    let result: T;
    try {
      result = await work();
    } finally {
      const validation = await this.gpu.popErrorScope();
      const memory = await this.gpu.popErrorScope();
      const error = validation ?? memory;
      if (error) throw new Error(`${label}: ${error.message}`);
    }
    return result;
  }

  /** Live buffers and their bytes, of every buffer created through this wrapper (leak checks). */
  get memory(): { buffers: number; bytes: number } {
    return { buffers: this.live.size, bytes: this.liveBytes };
  }

  /** The labels of the live buffers, sorted: what a leak report shows. */
  liveBufferLabels(): string[] {
    return [...this.live.keys()].map((b) => b.label).sort();
  }

  /**
   * A storage buffer (`STORAGE | COPY_SRC | COPY_DST`), zero-filled by WebGPU. A size over the
   * device's limits throws here, naming the buffer, before WebGPU would queue an error.
   */
  createBuffer(label: string, byteSize: number, extraUsage = 0): GPUBuffer {
    const size = Math.max(16, Math.ceil(byteSize / 16) * 16);
    return this.createCounted(label, size, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage);
  }

  /** A buffer the CPU maps to read (`MAP_READ | COPY_DST`), counted like the others. */
  createReadback(label: string, byteSize: number): GPUBuffer {
    return this.createCounted(label, byteSize, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  private createCounted(label: string, size: number, usage: number): GPUBuffer {
    if (this.destroyedByOwner) throw this.destroyedByOwner;
    if (this.lost) throw this.lost;
    if (!Number.isSafeInteger(size) || size > this.limits.maxBufferSize) {
      throw new Error(`buffer '${label}' needs ${formatBytes(size)}, over this device's maxBufferSize of ${formatBytes(this.limits.maxBufferSize)}`);
    }
    const buffer = this.gpu.createBuffer({ label, size, usage });
    this.live.set(buffer, size);
    this.liveBytes += size;
    // Counted down once, however often destroy() is called.
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      if (this.live.delete(buffer)) this.liveBytes -= size;
      destroy();
    };
    return buffer;
  }

  /** A storage buffer holding `data`. */
  upload(label: string, data: Float32Array | Uint32Array | Int32Array): GPUBuffer {
    const buffer = this.createBuffer(label, data.byteLength);
    this.gpu.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** Copies `byteSize` bytes of `buffer` from `byteOffset` back to the CPU. Waits for the GPU. */
  async read(buffer: GPUBuffer, byteOffset = 0, byteSize = buffer.size - byteOffset): Promise<ArrayBuffer> {
    const staging = this.createReadback(`${buffer.label} readback`, byteSize);
    try {
      const encoder = this.gpu.createCommandEncoder({ label: `${buffer.label} readback` });
      encoder.copyBufferToBuffer(buffer, byteOffset, staging, 0, byteSize);
      this.gpu.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      this.throwIfFailed();
      return staging.getMappedRange().slice(0);
    } finally {
      staging.destroy();
    }
  }

  async readFloats(buffer: GPUBuffer, floatOffset = 0, count = buffer.size / 4 - floatOffset): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, floatOffset * 4, count * 4));
  }

  destroy(): void {
    this.destroyedByOwner ??= new Error('the WebGPU device was destroyed (device.destroy()): create a new one with createDevice() and compile the model on it');
    this.gpu.destroy();
  }
}

/** A byte count for messages: '1.5 GB', '300 kB', '12 B'. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

/** Every option createDevice takes, with what its value must be. */
const DEVICE_OPTIONS: Record<keyof DeviceOptions, (value: unknown) => string | undefined> = {
  adapter: (v) => oneOf(v, ADAPTER_CHOICES),
  tuning: (v) => oneOf(v, TUNING_MODES),
  powerPreference: (v) => oneOf(v, ['low-power', 'high-performance']),
  backend: (v) => (typeof v === 'string' ? undefined : 'a Dawn backend name such as vulkan'),
  dawnToggles: (v) => (Array.isArray(v) && v.every((t) => typeof t === 'string') ? undefined : 'a list of Dawn toggle names'),
  subgroups: (v) => (typeof v === 'boolean' ? undefined : 'true or false'),
  pacedWaits: (v) => (typeof v === 'boolean' ? undefined : 'true or false'),
  choiceStore: (v) => (typeof v === 'object' && v !== null && 'load' in v && 'save' in v ? undefined : 'a ChoiceStore { where, load(), save(adapterKey, choices) }'),
};

function oneOf(value: unknown, choices: readonly string[]): string | undefined {
  return choices.includes(value as string) ? undefined : `one of ${choices.join(', ')}`;
}

/** Refuses an option createDevice does not take, or a value it cannot use, before any adapter is requested. */
function checkDeviceOptions(options: DeviceOptions): void {
  if (typeof options !== 'object' || options === null) throw new Error(`createDevice: options must be an object such as { tuning: 'measure' }, got ${String(options)}`);
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(DEVICE_OPTIONS, name)) throw new Error(`createDevice: unknown option '${name}' (known: ${Object.keys(DEVICE_OPTIONS).join(', ')})`);
    const wanted = value === undefined ? undefined : DEVICE_OPTIONS[name as keyof DeviceOptions](value);
    if (wanted) throw new Error(`createDevice: ${name} must be ${wanted}, got ${JSON.stringify(value)}`);
  }
}

/**
 * Gets a WebGPU device in the browser or in Node (Dawn). In Node on Linux without a GPU
 * driver it falls back to SwiftShader from Debian's `chromium` package.
 */
export async function createDevice(options: DeviceOptions = {}): Promise<Device> {
  checkDeviceOptions(options);
  const tuning = options.tuning ?? 'off';
  const adapter = await requestAdapter(options);
  const a = adapter.limits;
  // Ask for the adapter's maxima where the engine's big tensors need them, not the defaults.
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxBufferSize: a.maxBufferSize,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
  };
  const timestamps = adapter.features.has('timestamp-query');
  const subgroups = options.subgroups !== false && adapter.features.has('subgroups');
  const requiredFeatures: GPUFeatureName[] = [];
  if (timestamps) requiredFeatures.push('timestamp-query');
  if (subgroups) requiredFeatures.push('subgroups');
  const gpu = await adapter.requestDevice({ label: 'webgpu-dl', requiredLimits, requiredFeatures });
  const quads = subgroups && (await quadsAreConsecutive(gpu));
  const info = adapter.info;
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: isSoftwareAdapter(adapter),
  };
  const store = tuning === 'off' ? undefined : (options.choiceStore ?? (await defaultChoiceStore()));
  return new Device(gpu, summary, { timestamps, quads }, options, new KernelChoices(tuning, adapterKey(summary), store));
}
