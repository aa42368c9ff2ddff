// model.summary(): the layer table Keras prints.
import type { Sequential } from './sequential';

export function formatSummary(model: Sequential): string {
  const rows: [string, string, string][] = [];
  let shape: number[] | null = model.inputShape ? [...model.inputShape] : null;
  let trainable = 0;
  for (const layer of model.layers) {
    shape = shape ? layer.computeOutputShape(shape) : null;
    const outputShape = shape ? `(None, ${shape.join(', ')})` : '?';
    rows.push([`${layer.name} (${layer.className})`, outputShape, String(layer.countParams())]);
    trainable += layer.trainableWeights.reduce((total, w) => total + w.size, 0);
  }
  const total = model.countParams();
  const header: [string, string, string] = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = [0, 1, 2].map((c) => Math.max(header[c].length, ...rows.map((row) => row[c].length)) + 2);
  const line = (char: string): string => char.repeat(widths.reduce((a, b) => a + b, 0));
  const format = (row: [string, string, string]): string => row[0].padEnd(widths[0]) + row[1].padEnd(widths[1]) + row[2].padStart(widths[2]);
  return [
    `Model: "${model.name}"`,
    line('_'),
    format(header),
    line('='),
    ...rows.map(format),
    line('='),
    `Total params: ${total}`,
    `Trainable params: ${trainable}`,
    `Non-trainable params: ${total - trainable}`,
    line('_'),
  ].join('\n');
}
