/**
 * Compute pipelines, created once per (shader, entry point, specialisation constants). The
 * device (src/device/device.ts) constructs the cache and hands itself over as a PipelineDevice.
 */

/** What the cache needs of its device. */
export interface PipelineDevice {
  readonly gpu: GPUDevice;
  /** Runs `work` in error scopes and throws what it caused, prefixed with `label`. */
  checked<T>(label: string, work: () => T | Promise<T>): Promise<T>;
}

export type Constants = Record<string, number | boolean>;

export interface PipelineKey {
  /** A short name for labels and errors, e.g. `matmul`. */
  label: string;
  /** WGSL source text (from shaders/, imported as text). */
  code: string;
  entryPoint?: string;
  /** Values of the shader's `override` constants: shapes and tile sizes. */
  constants?: Constants;
}

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  constructor(private readonly device: PipelineDevice) {}

  get(key: PipelineKey): Promise<GPUComputePipeline> {
    const entryPoint = key.entryPoint ?? 'main';
    const constants = Object.fromEntries(
      Object.entries(key.constants ?? {}).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [k, Number(v)]),
    );
    const id = `${key.label}\u0000${entryPoint}\u0000${JSON.stringify(constants)}\u0000${key.code}`;
    let pipeline = this.pipelines.get(id);
    if (!pipeline) {
      pipeline = this.create(key.label, key.code, entryPoint, constants);
      this.pipelines.set(id, pipeline);
      // A failed creation must not stay cached.
      pipeline.catch(() => this.pipelines.delete(id));
    }
    return pipeline;
  }

  private async create(label: string, code: string, entryPoint: string, constants: Record<string, number>): Promise<GPUComputePipeline> {
    const gpu = this.device.gpu;
    const name = `${label}:${entryPoint}`;
    return this.device.checked(`creating pipeline ${name}`, async () => {
      let module = this.modules.get(code);
      if (!module) {
        module = gpu.createShaderModule({ label, code });
        this.modules.set(code, module);
        const info = await module.getCompilationInfo();
        const errors = info.messages.filter((m) => m.type === 'error');
        if (errors.length) {
          this.modules.delete(code);
          throw new Error(`WGSL errors in ${label}:\n${errors.map((m) => `  ${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}`);
        }
      }
      // Not createComputePipelineAsync: in dawn.node (npm webgpu 0.6) on SwiftShader it aborts
      // the process (std::system_error from its worker thread). Pipelines are made at compile
      // time only, so the synchronous call costs no step time.
      return gpu.createComputePipeline({ label: name, layout: 'auto', compute: { module, entryPoint, constants } });
    });
  }
}
