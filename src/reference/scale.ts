/** Float64 reference for Rescaling: y = x · scale + offset. */
export function scaleRef(x: ArrayLike<number>, scale: number, offset: number): Float64Array {
  return Float64Array.from(x, (v) => v * scale + offset);
}
