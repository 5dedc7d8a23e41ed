/**
 * A small line chart on a canvas: axes with round-number ticks, a legend, one line per
 * series (optionally with point markers). It redraws when its canvas changes size and keeps
 * the drawing sharp on high-density screens. `canvas.dataset.points` counts the points drawn.
 */

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
  /** Draw a dot at every point (for sparse series such as per-epoch validation). */
  markers?: boolean;
}

export interface ChartOptions {
  xLabel: string;
  /** Fixed y range; by default [0, the data's maximum rounded up]. */
  yMin?: number;
  yMax?: number;
  /** Format of y tick labels. */
  formatY?: (value: number) => string;
}

const FONT = '12px system-ui, sans-serif';
const AXIS_COLOR = '#6b7280';
const GRID_COLOR = '#e5e7eb';

export class LineChart {
  private series: Series[] = [];
  /** The x axis spans at least [0, xExtent] (e.g. the planned epochs). */
  private xExtent = 1;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly options: ChartOptions) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  update(series: Series[], xExtent: number): void {
    this.series = series;
    this.xExtent = Math.max(xExtent, 1e-9);
    this.draw();
  }

  draw(): void {
    const { canvas } = this;
    const cssWidth = canvas.clientWidth;
    const cssHeight = canvas.clientHeight;
    if (cssWidth === 0 || cssHeight === 0) return;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(cssWidth * ratio);
    canvas.height = Math.round(cssHeight * ratio);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, cssWidth, cssHeight);
    ctx.font = FONT;

    const all = this.series.flatMap((s) => s.points);
    const xMax = Math.max(this.xExtent, ...all.map((p) => p.x));
    const yMin = this.options.yMin ?? 0;
    const dataMax = all.length > 0 ? Math.max(...all.map((p) => p.y)) : 1;
    const yMax = this.options.yMax ?? niceCeiling(Math.max(dataMax, yMin + 1e-6));
    const formatY = this.options.formatY ?? ((v: number) => String(Number(v.toPrecision(3))));

    const plot = { left: 44, right: cssWidth - 10, top: 26, bottom: cssHeight - 32 };
    const px = (x: number) => plot.left + (x / xMax) * (plot.right - plot.left);
    const py = (y: number) => plot.bottom - ((y - yMin) / (yMax - yMin)) * (plot.bottom - plot.top);

    // Grid, ticks and labels.
    ctx.lineWidth = 1;
    ctx.fillStyle = AXIS_COLOR;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const y of ticks(yMin, yMax, 5)) {
      ctx.strokeStyle = GRID_COLOR;
      line(ctx, plot.left, py(y), plot.right, py(y));
      ctx.fillText(formatY(y), plot.left - 6, py(y));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const x of ticks(0, xMax, Math.max(2, Math.floor((plot.right - plot.left) / 70)))) {
      ctx.strokeStyle = GRID_COLOR;
      line(ctx, px(x), plot.top, px(x), plot.bottom);
      ctx.fillText(String(Number(x.toPrecision(3))), px(x), plot.bottom + 4);
    }
    ctx.fillText(this.options.xLabel, (plot.left + plot.right) / 2, plot.bottom + 17);
    ctx.strokeStyle = AXIS_COLOR;
    line(ctx, plot.left, plot.top, plot.left, plot.bottom);
    line(ctx, plot.left, plot.bottom, plot.right, plot.bottom);

    // Legend, along the top.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    let legendX = plot.left;
    for (const s of this.series) {
      ctx.fillStyle = s.color;
      ctx.fillRect(legendX, 8, 14, 4);
      ctx.fillStyle = '#111827';
      ctx.fillText(s.name, legendX + 18, 10);
      legendX += 18 + ctx.measureText(s.name).width + 16;
    }

    // The lines.
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.left, plot.top - 4, plot.right - plot.left + 4, plot.bottom - plot.top + 4);
    ctx.clip();
    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.beginPath();
      s.points.forEach((p, i) => (i === 0 ? ctx.moveTo(px(p.x), py(p.y)) : ctx.lineTo(px(p.x), py(p.y))));
      ctx.stroke();
      if (s.markers || s.points.length === 1) {
        for (const p of s.points) {
          ctx.beginPath();
          ctx.arc(px(p.x), py(p.y), 3, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
    }
    ctx.restore();
    canvas.dataset.points = String(all.length);
  }
}

function line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(Math.round(x0) + 0.5, Math.round(y0) + 0.5);
  ctx.lineTo(Math.round(x1) + 0.5, Math.round(y1) + 0.5);
  ctx.stroke();
}

/** A step of 1, 2 or 5 × 10ⁿ giving about `count` intervals over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function ticks(low: number, high: number, count: number): number[] {
  const step = niceStep(high - low, count);
  const out: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}
