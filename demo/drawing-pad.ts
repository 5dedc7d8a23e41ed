/**
 * A canvas to draw a digit on with a mouse, a pen or a finger (pointer events): white ink on
 * black, as in MNIST. `onChange` fires (at most once per animation frame) while drawing.
 */

export class DrawingPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | undefined;
  private activePointer: number | undefined;
  private frameRequested = false;
  /** True once anything has been drawn since the last clear. */
  hasInk = false;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onChange: () => void) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel'] as const) canvas.addEventListener(type, (e) => this.up(e));
  }

  clear(): void {
    const { ctx, canvas } = this;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    this.hasInk = false;
    this.changed();
  }

  /** The drawing as grey levels in [0, 1], row-major (height × width). */
  grey(): { grey: Float32Array; width: number; height: number } {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const grey = new Float32Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = rgba[4 * i] / 255;
    return { grey, width, height };
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((e.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  private down(e: PointerEvent): void {
    if (this.activePointer !== undefined || e.button > 0) return;
    e.preventDefault();
    this.activePointer = e.pointerId;
    this.canvas.setPointerCapture(e.pointerId);
    this.last = this.point(e);
    this.stroke(this.last, this.last);
  }

  private move(e: PointerEvent): void {
    if (e.pointerId !== this.activePointer || !this.last) return;
    e.preventDefault();
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const sample of events.length > 0 ? events : [e]) {
      const p = this.point(sample);
      this.stroke(this.last, p);
      this.last = p;
    }
  }

  private up(e: PointerEvent): void {
    if (e.pointerId !== this.activePointer) return;
    this.activePointer = undefined;
    this.last = undefined;
  }

  private stroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    // About MNIST's pen: a stroke a tenth as wide as a digit that fills the pad's middle.
    ctx.lineWidth = this.canvas.width / 14;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    this.hasInk = true;
    this.changed();
  }

  private changed(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.onChange();
    });
  }
}
