/** Keras' `model.summary()` table. */
import type { Layer } from './layers/layer.js';

const COLUMNS = [34, 26, 12];

/** Cells padded to their column, always at least one space apart. */
function row(cells: string[]): string {
  return cells.map((c, i) => ` ${c}`.padEnd(COLUMNS[i] - 1) + ' ').join('').trimEnd();
}

export function summaryTable(modelName: string, layers: readonly Layer[]): string {
  const width = COLUMNS.reduce((a, b) => a + b, 0);
  const trainable = layers.flatMap((l) => l.weightSlots).filter((s) => s.trainable).reduce((sum, s) => sum + s.elements, 0);
  const total = layers.reduce((sum, l) => sum + l.paramCount, 0);
  const lines = [
    `Model: "${modelName}"`,
    '_'.repeat(width),
    row(['Layer (type)', 'Output Shape', 'Param #']),
    '='.repeat(width),
  ];
  layers.forEach((layer, i) => {
    lines.push(row([`${layer.name} (${layer.className})`, `(None, ${layer.outputShape.join(', ')})`, layer.paramCount.toLocaleString('en-US')]));
    lines.push(i === layers.length - 1 ? '='.repeat(width) : '');
  });
  lines.push(
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    '_'.repeat(width),
  );
  return lines.join('\n');
}
