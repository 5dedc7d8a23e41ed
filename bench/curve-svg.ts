/**
 * The per-epoch curve of a run record (src/io/run-record.ts) as an SVG: training and
 * validation accuracy per epoch, and for mnist-cnn Keras' published validation accuracy with
 * the ±0.5% band issue 13 asks the curve to stay in from epoch 2 on. bench/curve.ts is the
 * command that writes it.
 */
import type { RunRecord } from '../src/io/run-record.js';

/**
 * Keras' mnist_cnn example (Adadelta 1.0, batch 128, 12 epochs, training on all 60,000 images
 * and validating on the 10,000 test images): its published per-epoch log's val_acc after
 * epochs 1–12, as issue 13 ("Every seed model at its full schedule") quotes it.
 */
export const KERAS_MNIST_CNN_VAL_ACCURACY = [0.9782, 0.9861, 0.9867, 0.9873, 0.9902, 0.991, 0.9897, 0.9903, 0.9913, 0.9913, 0.9914, 0.9899] as const;

/** The band issue 13 sets around Keras' points, from epoch 2 on. */
export const KERAS_BAND = 0.005;

export interface CurvePoint {
  epoch: number;
  accuracy: number;
}

export interface Curve {
  label: string;
  color: string;
  points: CurvePoint[];
  dashed?: boolean;
}

/** Keras' published points for the record's model, where there are some (mnist-cnn). */
export function kerasReference(record: RunRecord): CurvePoint[] {
  if (record.settings.model !== 'mnist-cnn') return [];
  return KERAS_MNIST_CNN_VAL_ACCURACY.map((accuracy, i) => ({ epoch: i + 1, accuracy }));
}

const WIDTH = 720;
const HEIGHT = 400;
const PLOT = { left: 60, right: WIDTH - 230, top: 50, bottom: HEIGHT - 50 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** The chart's accuracy range: from a round value below every point (at most 0.97) to 1. */
export function accuracyRange(curves: Curve[]): [number, number] {
  const values = curves.flatMap((c) => c.points.map((p) => p.accuracy));
  const low = Math.min(0.97, ...values);
  return [Math.max(0, Math.floor(low * 100) / 100), 1];
}

export function curveSvg(record: RunRecord): string {
  const ours = record.epochs;
  const reference = kerasReference(record);
  const curves: Curve[] = [{ label: 'train accuracy (running mean)', color: '#999', points: ours.map((e) => ({ epoch: e.epoch, accuracy: e.accuracy })) }];
  const validated = ours.filter((e) => e.val_accuracy !== undefined);
  if (validated.length > 0) {
    const on = record.settings.validation === 'test' ? 'test images' : 'held-out training images';
    curves.push({ label: `val accuracy (${on})`, color: '#3a7bd5', points: validated.map((e) => ({ epoch: e.epoch, accuracy: e.val_accuracy! })) });
  }
  if (reference.length > 0) curves.push({ label: "Keras' mnist_cnn log (val)", color: '#e08a2c', points: reference, dashed: true });

  const epochs = Math.max(record.settings.epochs, ...curves.flatMap((c) => c.points.map((p) => p.epoch)), 1);
  const [lo, hi] = accuracyRange(curves);
  const x = (epoch: number) => PLOT.left + ((epoch - 1) / Math.max(epochs - 1, 1)) * (PLOT.right - PLOT.left);
  const y = (accuracy: number) => PLOT.bottom - ((accuracy - lo) / (hi - lo)) * (PLOT.bottom - PLOT.top);
  const test = record.test ? `, test accuracy ${record.test.accuracy.toFixed(4)}` : '';
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${esc(`${record.settings.model}: accuracy per epoch${test}`)}</text>`,
    `<text x="10" y="34">${esc(`${record.statusNote}; ${record.settings.optimizer.kind}, batch ${record.settings.batchSize}, ${record.images.train} training images`)}</text>`,
  ];
  // The band around Keras' points from epoch 2 on, drawn first so the lines lie over it.
  const banded = reference.filter((p) => p.epoch >= 2);
  if (banded.length > 1) {
    const upper = banded.map((p) => `${x(p.epoch).toFixed(1)},${y(Math.min(hi, p.accuracy + KERAS_BAND)).toFixed(1)}`);
    const lower = banded.map((p) => `${x(p.epoch).toFixed(1)},${y(Math.max(lo, p.accuracy - KERAS_BAND)).toFixed(1)}`).reverse();
    out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="#e08a2c" fill-opacity="0.15"><title>Keras ±${KERAS_BAND * 100}% (epochs 2 on)</title></polygon>`);
  }
  for (let tick = Math.ceil(lo * 100); tick <= hi * 100; tick += lo >= 0.9 ? 1 : 10) {
    const ty = y(tick / 100).toFixed(1);
    out.push(`<line x1="${PLOT.left}" y1="${ty}" x2="${PLOT.right}" y2="${ty}" stroke="#eee"/>`);
    out.push(`<text x="${PLOT.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${tick}%</text>`);
  }
  for (let epoch = 1; epoch <= epochs; epoch++) {
    out.push(`<text x="${x(epoch).toFixed(1)}" y="${PLOT.bottom + 16}" text-anchor="middle">${epoch}</text>`);
  }
  out.push(`<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 34}" text-anchor="middle">epoch</text>`);
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#333"/>`);
  curves.forEach((curve, i) => {
    const path = curve.points.map((p) => `${x(p.epoch).toFixed(1)},${y(p.accuracy).toFixed(1)}`).join(' ');
    if (curve.points.length > 1) out.push(`<polyline points="${path}" fill="none" stroke="${curve.color}" stroke-width="1.5"${curve.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    for (const p of curve.points) {
      out.push(`<circle class="point" data-curve="${i}" cx="${x(p.epoch).toFixed(1)}" cy="${y(p.accuracy).toFixed(1)}" r="3" fill="${curve.color}"><title>${esc(curve.label)}, epoch ${p.epoch}: ${p.accuracy.toFixed(4)}</title></circle>`);
    }
    const ly = PLOT.top + 10 + i * 18;
    out.push(`<circle cx="${PLOT.right + 16}" cy="${ly}" r="4" fill="${curve.color}"/>`);
    out.push(`<text x="${PLOT.right + 26}" y="${ly}" dominant-baseline="middle">${esc(curve.label)}</text>`);
  });
  if (banded.length > 1) {
    const ly = PLOT.top + 10 + curves.length * 18;
    out.push(`<rect x="${PLOT.right + 11}" y="${ly - 5}" width="10" height="10" fill="#e08a2c" fill-opacity="0.15"/>`);
    out.push(`<text x="${PLOT.right + 26}" y="${ly}" dominant-baseline="middle">Keras ±${KERAS_BAND * 100}% (epoch 2 on)</text>`);
  }
  if (record.status !== 'complete') out.push(`<text x="${PLOT.right - 8}" y="${PLOT.bottom - 10}" text-anchor="end" font-size="16" fill="#c33">PARTIAL RUN</text>`);
  out.push('</svg>');
  return out.join('\n');
}
