// The demo's drawing → MNIST input step (demo/digit.ts), checked in Node: the bounding box
// scaled to fit 20×20 with its aspect kept, the centre of mass moved to the field's centre,
// ink conserved by area resampling.
import { describe, expect, it } from 'vitest';
import { DIGIT_BOX, MNIST_SIDE, inkStats, mnistInputFromDrawing } from '../../demo/digit.js';

function drawing(width: number, height: number, paint: (x: number, y: number) => number): Float32Array {
  const grey = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) grey[y * width + x] = paint(x, y);
  return grey;
}

function stats(out: Float32Array) {
  const ink = inkStats(out, MNIST_SIDE, MNIST_SIDE)!;
  return { ...ink, width: ink.x1 - ink.x0, height: ink.y1 - ink.y0 };
}

describe('mnistInputFromDrawing', () => {
  it('returns undefined for a blank drawing', () => {
    expect(mnistInputFromDrawing(new Float32Array(100 * 80), 100, 80)).toBeUndefined();
  });

  it('scales a tall bar to 20 rows, keeps its aspect, centres its mass, conserves ink', () => {
    // A 40×100 bar of full ink in the top-left part of a 280×280 pad: scale 20/100 = 0.2,
    // so it becomes 8×20 output pixels, all of full ink (the bar's edges land on pixel edges
    // only when the placement is whole; area resampling keeps the total either way).
    const pad = drawing(280, 280, (x, y) => (x >= 10 && x < 50 && y >= 30 && y < 130 ? 1 : 0));
    const out = mnistInputFromDrawing(pad, 280, 280)!;
    const s = stats(out);
    const scale = DIGIT_BOX / 100;
    // Total ink scales with area: 40·100·0.2² = 160 output pixels' worth.
    expect(s.total).toBeCloseTo(40 * 100 * scale * scale, 3);
    // Centre of mass at the field's centre (continuous coordinates, centre = 14).
    expect(s.cx).toBeCloseTo(MNIST_SIDE / 2, 4);
    expect(s.cy).toBeCloseTo(MNIST_SIDE / 2, 4);
    // 20 rows tall; 8 columns wide, or 9 touched when the placement is fractional.
    expect(s.height).toBe(DIGIT_BOX);
    expect(s.width).toBeGreaterThanOrEqual(8);
    expect(s.width).toBeLessThanOrEqual(9);
    for (const v of out) expect(v).toBeLessThanOrEqual(1);
  });

  it('scales a wide shape to 20 columns and a small one up', () => {
    const wide = mnistInputFromDrawing(drawing(300, 200, (x, y) => (x >= 100 && x < 250 && y >= 20 && y < 50 ? 1 : 0)), 300, 200)!;
    expect(stats(wide).width).toBe(DIGIT_BOX);
    // A 5×5 dot is scaled up by 4 to 20×20 and fills the middle of the field.
    const dot = mnistInputFromDrawing(drawing(50, 50, (x, y) => (x >= 40 && x < 45 && y >= 3 && y < 8 ? 1 : 0)), 50, 50)!;
    const d = stats(dot);
    expect([d.x0, d.x1, d.y0, d.y1]).toEqual([4, 24, 4, 24]);
    expect(d.total).toBeCloseTo(400, 3);
  });

  it('puts the centre of mass, not the box centre, at the middle', () => {
    // An L: a heavy vertical stroke and a light foot. Its mass is left of its box's centre,
    // so after placement the box's centre lies right of 14.
    const pad = drawing(200, 200, (x, y) => {
      if (x >= 50 && x < 70 && y >= 40 && y < 160) return 1;
      if (x >= 70 && x < 150 && y >= 140 && y < 160) return 0.5;
      return 0;
    });
    const s = stats(mnistInputFromDrawing(pad, 200, 200)!);
    // The mass is placed exactly in continuous coordinates; measured from the output pixels'
    // centres it is off by the discretisation of partly covered edge pixels: within 0.05 px.
    expect(s.cx).toBeCloseTo(14, 1);
    expect(s.cy).toBeCloseTo(14, 1);
    expect((s.x0 + s.x1) / 2).toBeGreaterThan(14.5);
  });
});
