/**
 * A Dispatch is one compute-shader launch with everything bound: created once when a model
 * or a kernel call is compiled, then recorded into command encoders any number of times.
 */
import type { Device } from '../device/device.js';
import type { PipelineKey } from '../device/pipelines.js';

/** A range of a GPU buffer in bytes. Offsets must be multiples of 256 (WebGPU's binding alignment). */
export interface BufferRange {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

export type Binding = GPUBuffer | BufferRange;

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/**
 * Creates the pipeline (cached) and the bind group; `bindings[i]` goes to `@binding(i)` of
 * group 0, and an undefined one leaves that binding number out (one the entry point does not
 * use, when its module declares it for another entry point).
 */
export async function createDispatch(
  device: Device,
  key: PipelineKey,
  bindings: (Binding | undefined)[],
  workgroups: [number, number?, number?],
): Promise<Dispatch> {
  const pipeline = await device.pipelines.get(key);
  const label = key.label;
  const bindGroup = await device.checked(`binding ${label}`, () =>
    device.gpu.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: bindings.flatMap((b, binding) => (b === undefined ? [] : [{ binding, resource: bufferBinding(b) }])),
    }),
  );
  const [x, y = 1, z = 1] = workgroups;
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (x > max || y > max || z > max) throw new Error(`${label}: dispatch ${x}×${y}×${z} exceeds ${max} workgroups per dimension`);
  return { label, pipeline, bindGroup, workgroups: [x, y, z] };
}

function bufferBinding(b: Binding): GPUBufferBinding {
  if (!('buffer' in b)) return { buffer: b };
  // Leave `size` out rather than undefined: dawn.node reads an explicit undefined as a size
  // and then binds far past the buffer's end (seen as memory corruption in SwiftShader).
  return b.size === undefined ? { buffer: b.buffer, offset: b.offset ?? 0 } : { buffer: b.buffer, offset: b.offset ?? 0, size: b.size };
}

/** Records dispatches, in order, into one compute pass. WebGPU orders their memory accesses. */
export function recordDispatches(encoder: GPUCommandEncoder, dispatches: readonly Dispatch[], label = 'compute'): void {
  const pass = encoder.beginComputePass({ label });
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
  pass.end();
}

/** Records the dispatches in one command buffer, submits it, and waits for the GPU (tests, one-off work). */
export async function runDispatches(device: Device, dispatches: readonly Dispatch[], label = 'run'): Promise<void> {
  await device.checked(label, async () => {
    const encoder = device.gpu.createCommandEncoder({ label });
    recordDispatches(encoder, dispatches, label);
    device.gpu.queue.submit([encoder.finish()]);
    await device.gpu.queue.onSubmittedWorkDone();
  });
  device.throwIfFailed();
}

/**
 * Splits `count` invocations into workgroups of `size`, over two dimensions when one would
 * exceed the 65,535-workgroup limit. A shader recovers its flat index as
 * `gid.x + gid.y * (nwg.x * size)` and returns when it is `>= count`.
 */
export function grid(count: number, size: number, maxPerDim = 65535): [number, number] {
  const groups = Math.max(1, Math.ceil(count / size));
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}
