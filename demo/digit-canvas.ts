/** Painting a 28×28 MNIST image (grey levels in [0, 1]) onto a canvas of that size. */
import { MNIST_PIXELS, MNIST_SIDE } from './digit.js';

export function paintDigit(canvas: HTMLCanvasElement, pixels: Float32Array): void {
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(MNIST_SIDE, MNIST_SIDE);
  for (let i = 0; i < MNIST_PIXELS; i++) {
    const v = Math.round(255 * pixels[i]);
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}
