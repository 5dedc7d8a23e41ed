/**
 * A short fingerprint of a training set, which a checkpoint taken within an epoch keeps: a
 * resume compares it, so that a run checkpointed on one dataset does not go on with another
 * of the same size (`--data`), whose shuffled batches would be other images.
 */

/** Values of x hashed: every one up to this many, else about this many at a stride. */
const PIXEL_SAMPLES = 1 << 16;

/**
 * FNV-1a over the bits of every target and of x's values at a stride, with both lengths, as
 * 8 hex digits. Not a checksum: two sets with the same labels that differ only in pixels
 * between the sampled ones share a fingerprint.
 *
 * x: (n, ...) float32 samples; targets: (n, classes) float32 one-hot rows.
 */
export function dataFingerprint(x: Float32Array, targets: Float32Array): string {
  let h = 0x811c9dc5;
  const mix = (word: number) => {
    for (let shift = 0; shift < 32; shift += 8) h = Math.imul(h ^ ((word >>> shift) & 0xff), 0x01000193);
  };
  mix(x.length);
  mix(targets.length);
  const targetBits = new Uint32Array(targets.buffer, targets.byteOffset, targets.length);
  for (let i = 0; i < targetBits.length; i++) mix(targetBits[i]);
  const xBits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const stride = Math.max(1, Math.floor(x.length / PIXEL_SAMPLES));
  for (let i = 0; i < xBits.length; i += stride) mix(xBits[i]);
  return (h >>> 0).toString(16).padStart(8, '0');
}
