// The drawing pad of the digits demo, and the preprocessing that turns a drawing into a digit the
// way MNIST's were made: the ink's bounding box scaled (aspect ratio kept, pixels area-averaged)
// so its longer side is 20 pixels, then placed in the 28x28 field with its center of mass at the
// field's center, (14, 14) in pixel indices (the 10,000 digits' mean is (14.00, 14.00)).

import { SIDE } from '../shared/mnist.js';
const BOX = 20;
const CENTER = 14;
/** Ink below this (of 1) counts as background when finding the bounding box. */
const INK_THRESHOLD = 0.05;

/**
 * A square canvas drawn on with a mouse, pen or finger: white ink on black, like MNIST.
 * `onStrokeEnd` runs after each stroke.
 */
export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ penWidth?: number, onStrokeEnd?: () => void }} options
   */
  constructor(canvas, { penWidth = 22, onStrokeEnd = () => {} } = {}) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d', { willReadFrequently: true });
    this.penWidth = penWidth;
    this.onStrokeEnd = onStrokeEnd;
    /** @type {{ x: number, y: number } | null} */
    this.last = null;
    this.clear();
    canvas.style.touchAction = 'none'; // a finger draws instead of scrolling the page
    canvas.addEventListener('pointerdown', (event) => this.start(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    canvas.addEventListener('pointerup', (event) => this.end(event));
    canvas.addEventListener('pointercancel', (event) => this.end(event));
  }

  clear() {
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.last = null;
  }

  /** The pointer's position in canvas pixels (the canvas may be shown at another size). */
  position(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * this.canvas.width,
      y: ((event.clientY - box.top) / box.height) * this.canvas.height,
    };
  }

  start(event) {
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.position(event);
    this.segment(this.last, this.last);
  }

  move(event) {
    if (!this.last) return;
    const next = this.position(event);
    this.segment(this.last, next);
    this.last = next;
  }

  end(event) {
    if (!this.last) return;
    this.move(event);
    this.last = null;
    this.onStrokeEnd();
  }

  segment(from, to) {
    const { context } = this;
    context.strokeStyle = '#fff';
    context.lineWidth = this.penWidth;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  }

  /** The drawing's ink per pixel in [0, 1] (the red channel; the pad is greyscale). */
  ink() {
    const { width, height } = this.canvas;
    const { data } = this.context.getImageData(0, 0, width, height);
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = data[i * 4] / 255;
    return { ink, width, height };
  }
}

/**
 * The drawing as an MNIST digit: 28x28 values in [0, 1], row-major, or null when nothing is drawn.
 * @param {{ ink: Float32Array, width: number, height: number }} drawing
 */
export function toMnistDigit({ ink, width, height }) {
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] <= INK_THRESHOLD) continue;
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
      left = Math.min(left, x);
      right = Math.max(right, x);
    }
  }
  if (bottom < 0) return null;

  const boxWidth = right - left + 1;
  const boxHeight = bottom - top + 1;
  const scale = BOX / Math.max(boxWidth, boxHeight);
  const scaledWidth = Math.max(1, Math.round(boxWidth * scale));
  const scaledHeight = Math.max(1, Math.round(boxHeight * scale));
  const columns = areaWeights(left, boxWidth, scaledWidth);
  const rows = areaWeights(top, boxHeight, scaledHeight);
  const scaled = new Float32Array(scaledWidth * scaledHeight);
  for (let ty = 0; ty < scaledHeight; ty++) {
    for (let tx = 0; tx < scaledWidth; tx++) {
      let sum = 0;
      for (const [sy, wy] of rows[ty]) {
        for (const [sx, wx] of columns[tx]) sum += wy * wx * ink[sy * width + sx];
      }
      scaled[ty * scaledWidth + tx] = Math.min(1, sum);
    }
  }

  let mass = 0;
  let massX = 0;
  let massY = 0;
  for (let y = 0; y < scaledHeight; y++) {
    for (let x = 0; x < scaledWidth; x++) {
      const value = scaled[y * scaledWidth + x];
      mass += value;
      massX += value * x;
      massY += value * y;
    }
  }
  // Where the scaled box's top-left corner goes so that its center of mass lands on the center;
  // kept inside the field (a lopsided digit may end up slightly off center, never cut).
  const offsetX = clamp(Math.round(CENTER - massX / mass), 0, SIDE - scaledWidth);
  const offsetY = clamp(Math.round(CENTER - massY / mass), 0, SIDE - scaledHeight);
  const digit = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < scaledHeight; y++) {
    digit.set(scaled.subarray(y * scaledWidth, (y + 1) * scaledWidth), (y + offsetY) * SIDE + offsetX);
  }
  return digit;
}

/**
 * Area-averaging weights along one axis: for each of the `count` target pixels covering source
 * pixels [start, start + length), the source pixels it overlaps and the share of it each covers.
 * @returns {[number, number][][]}
 */
function areaWeights(start, length, count) {
  const step = length / count;
  return Array.from({ length: count }, (_, target) => {
    const from = target * step;
    const to = from + step;
    const weights = [];
    for (let source = Math.floor(from); source < Math.min(Math.ceil(to), length); source++) {
      const overlap = Math.min(to, source + 1) - Math.max(from, source);
      if (overlap > 0) weights.push([start + source, overlap / step]);
    }
    return weights;
  });
}

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

/** Paints a 28x28 digit (values in [0, 1]) onto a canvas, one cell per pixel, white on black. */
export function paintDigit(canvas, digit) {
  const context = canvas.getContext('2d');
  const cell = canvas.width / SIDE;
  context.fillStyle = '#000';
  context.fillRect(0, 0, canvas.width, canvas.height);
  if (!digit) return;
  for (let i = 0; i < digit.length; i++) {
    if (digit[i] <= 0) continue;
    const level = Math.round(digit[i] * 255);
    context.fillStyle = `rgb(${level}, ${level}, ${level})`;
    context.fillRect((i % SIDE) * cell, Math.floor(i / SIDE) * cell, cell, cell);
  }
}
