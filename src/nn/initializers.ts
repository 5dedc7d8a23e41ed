/** Keras weight initializers, drawn on the CPU from a seeded generator. */

export type Initializer = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'zeros' | 'ones';

/**
 * Fills a tensor of `count` values. fanIn/fanOut follow Keras: dense [in, out] → (in, out);
 * conv HWIO → (kh·kw·cin, kh·kw·cout).
 */
export function initialize(kind: Initializer, count: number, fanIn: number, fanOut: number, random: () => number): Float32Array {
  const out = new Float32Array(count);
  switch (kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'glorotUniform':
      return uniform(out, Math.sqrt(6 / (fanIn + fanOut)), random);
    case 'heUniform':
      return uniform(out, Math.sqrt(6 / fanIn), random);
    case 'glorotNormal':
      return truncatedNormal(out, Math.sqrt(2 / (fanIn + fanOut)), random);
    case 'heNormal':
      return truncatedNormal(out, Math.sqrt(2 / fanIn), random);
  }
}

/** Fills `out` with values drawn uniformly from [-limit, limit). */
function uniform(out: Float32Array, limit: number, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = (2 * random() - 1) * limit;
  return out;
}

/**
 * Fills `out` as Keras' VarianceScaling 'truncated_normal' does: a normal cut at two standard
 * deviations, its scale raised by 1/0.8796 (the cut normal's standard deviation) so the
 * values keep the standard deviation `std`.
 */
function truncatedNormal(out: Float32Array, std: number, random: () => number): Float32Array {
  const scaled = std / 0.87962566103423978;
  for (let i = 0; i < out.length; i++) {
    let v: number;
    do {
      v = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    } while (Math.abs(v) > 2);
    out[i] = v * scaled;
  }
  return out;
}
