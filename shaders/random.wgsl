// Counter-based random bits, shared by dropout, the Gaussian noise layers and the augmentation
// layers: nothing is stored, every draw is a hash of (step, seed, layer seed, element index), so
// a backward pass regenerates its forward's draws. src/kernels/dropout.ts, noise.ts,
// affine-transform.ts and color-adjust.ts append this file to their shader's text;
// src/reference/random.ts computes the same bits.
//
// pcg_hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 2020) is a
// permutation of u32 with good avalanche. A layer's stream key mixes step, seed and layer seed:
//   key  = pcg(pcg(pcg(step) ^ seed) ^ layerSeed)
//   bits = pcg(pcg(index) ^ key)
// Hashing the index before the key is xor-ed in keeps two streams from being shifted copies
// of each other.
//
// Binding 0 of both kernels: stepInfo (4) u32 = [step, seed, 0, 0], written by the host
// before each training step.

@group(0) @binding(0) var<storage, read> stepInfo: array<u32>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// The 32 random bits of element `index` in the stream of the layer seeded `layerSeed`.
fn randomBits(index: u32, layerSeed: u32) -> u32 {
  let key = pcg(pcg(pcg(stepInfo[0]) ^ stepInfo[1]) ^ layerSeed);
  return pcg(pcg(index) ^ key);
}
