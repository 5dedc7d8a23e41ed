/**
 * The counter-based random bits of shaders/random.wgsl in u32 arithmetic, bit for bit: the
 * references of dropout, the noise layers and the augmentation layers draw with them.
 *   key  = pcg(pcg(pcg(step) ^ seed) ^ layerSeed)
 *   bits = pcg(pcg(index) ^ key)
 */

/** pcg_hash (Jarzynski & Olano 2020) on u32. */
export function pcg(v: number): number {
  const state = (Math.imul(v, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The key of a layer's stream at (step, seed). */
export function streamKey(step: number, seed: number, layerSeed: number): number {
  return pcg((pcg((pcg(step) ^ seed) >>> 0) ^ layerSeed) >>> 0);
}

/** The 32 random bits of element `index` in the stream with this key. */
export function randomBits(index: number, key: number): number {
  return pcg((pcg(index) ^ key) >>> 0);
}

/** u in [0, 1) from the top 24 of element `index`'s bits, exactly as the shaders' uniform draws. */
export function uniform24(index: number, key: number): number {
  return (randomBits(index, key) >>> 8) / 2 ** 24;
}
