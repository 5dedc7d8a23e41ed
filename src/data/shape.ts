/** Element count of a tensor shape (1 for a scalar's empty shape). */
export function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
