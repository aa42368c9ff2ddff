// model.summary(): the layer table Keras prints.
import type { Layer } from './layer';
import type { Sequential } from './sequential';

/** A column's title and whether its cells align right (the parameter counts do). */
export type SummaryColumn = [title: string, alignRight: boolean];

export function formatSummary(model: Sequential): string {
  const rows: string[][] = [];
  let shape: number[] | null = model.inputShape ? [...model.inputShape] : null;
  for (const layer of model.layers) {
    shape = shape ? layer.computeOutputShape(shape) : null;
    rows.push([`${layer.name} (${layer.className})`, shape ? formatOutputShape(shape) : '?', String(layer.countParams())]);
  }
  return formatSummaryTable(model.name, [['Layer (type)', false], ['Output Shape', false], ['Param #', true]], rows, model.layers);
}

/** Keras's way of printing a shape with its batch dimension. */
export function formatOutputShape(shape: readonly number[]): string {
  return `(None, ${shape.join(', ')})`;
}

/** The table with its header, rows and the parameter totals of `layers` (each counted once). */
export function formatSummaryTable(modelName: string, columns: readonly SummaryColumn[], rows: readonly string[][], layers: readonly Layer[]): string {
  const total = layers.reduce((sum, layer) => sum + layer.countParams(), 0);
  const trainable = layers.reduce((sum, layer) => sum + layer.trainableWeights.reduce((count, w) => count + w.size, 0), 0);
  const header = columns.map(([title]) => title);
  const widths = columns.map((_, c) => Math.max(header[c].length, ...rows.map((row) => row[c].length)) + 2);
  const line = (char: string): string => char.repeat(widths.reduce((a, b) => a + b, 0));
  const last = columns.length - 1;
  // A right-aligned column keeps two spaces before the next one, as every column keeps after itself.
  const cellText = (cell: string, c: number): string => {
    if (!columns[c][1]) return cell.padEnd(widths[c]);
    return c === last ? cell.padStart(widths[c]) : `${cell.padStart(widths[c] - 2)}  `;
  };
  const format = (row: readonly string[]): string => row.map(cellText).join('').trimEnd();
  return [
    `Model: "${modelName}"`,
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
