/**
 * Whether a device's quads are four consecutive invocations of a one-dimensional workgroup,
 * as the quad-sharing matmul (shaders/matmul-quads.wgsl) assumes. WGSL's subgroups feature
 * does not promise how invocations map onto subgroup lanes, so this is measured once per
 * device with a one-workgroup probe rather than assumed.
 */
const PROBE = /* wgsl */ `
enable subgroups;
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) local: u32) {
  out[local] = quadBroadcast(local, 0u);
}`;

const INVOCATIONS = 64;

/** Needs a device created with the 'subgroups' feature. False on any error. */
export async function quadsAreConsecutive(gpu: GPUDevice): Promise<boolean> {
  // out: (64) u32, the local index of lane 0 of each invocation's quad
  const out = gpu.createBuffer({ label: 'quad probe', size: INVOCATIONS * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const staging = gpu.createBuffer({ label: 'quad probe readback', size: INVOCATIONS * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    gpu.pushErrorScope('validation');
    const submitted = submitProbe(gpu, out, staging);
    const error = await gpu.popErrorScope();
    if (!submitted || error) return false;
    await staging.mapAsync(GPUMapMode.READ);
    const firstLane = new Uint32Array(staging.getMappedRange());
    return firstLane.every((value, local) => value === (local & ~3));
  } catch {
    return false;
  } finally {
    out.destroy();
    staging.destroy();
  }
}

/** Runs the probe into `out` and copies it to `staging`; false if WebGPU threw. */
function submitProbe(gpu: GPUDevice, out: GPUBuffer, staging: GPUBuffer): boolean {
  try {
    const module = gpu.createShaderModule({ label: 'quad probe', code: PROBE });
    const pipeline = gpu.createComputePipeline({ label: 'quad probe', layout: 'auto', compute: { module, entryPoint: 'main' } });
    const bindGroup = gpu.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] });
    const encoder = gpu.createCommandEncoder({ label: 'quad probe' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(out, 0, staging, 0, INVOCATIONS * 4);
    gpu.queue.submit([encoder.finish()]);
    return true;
  } catch {
    return false;
  }
}
