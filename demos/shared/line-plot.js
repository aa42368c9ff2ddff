// A live line plot on a <canvas>: push points while training runs and it redraws at most once per
// animation frame, sized to the canvas's CSS box at the screen's pixel ratio. The y axis starts
// at 0 and grows to a round number above the largest value seen; the x axis spans 0..xMax.

const MARGIN = { left: 52, right: 16, top: 24, bottom: 38 };
const FONT = '12px system-ui, sans-serif';

export class LinePlot {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ xMax: number, xLabel?: string, yLabel?: string, color?: string, yAtLeast?: number }} options
   *   yAtLeast: the y axis reaches at least this value (e.g. 1 for an accuracy), whatever the data
   */
  constructor(canvas, { xMax, xLabel = '', yLabel = '', color = '#1971c2', yAtLeast = 1e-6 }) {
    this.canvas = canvas;
    this.xMax = xMax;
    this.yAtLeast = yAtLeast;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
    this.color = color;
    /** @type {[number, number][]} */
    this.points = [];
    this.drawPending = false;
    canvas.dataset.lineColor = color; // lets a test find the line's own pixels
    this.draw();
  }

  /** Adds a point; non-finite y values leave a gap in the line. */
  push(x, y) {
    this.points.push([x, y]);
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.draw();
    });
  }

  draw() {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const context = canvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);

    const finiteYs = this.points.map(([, y]) => y).filter(Number.isFinite);
    const yStep = niceStep(Math.max(...finiteYs, this.yAtLeast) / 5);
    const yMax = Math.ceil(Math.max(...finiteYs, this.yAtLeast) / yStep) * yStep;
    const xStep = niceStep(this.xMax / 5);
    const left = MARGIN.left;
    const right = width - MARGIN.right;
    const top = MARGIN.top;
    const bottom = height - MARGIN.bottom;
    const toX = (x) => left + (x / this.xMax) * (right - left);
    const toY = (y) => bottom - (y / yMax) * (bottom - top);

    context.font = FONT;
    context.lineWidth = 1;
    context.strokeStyle = '#e9ecef';
    context.fillStyle = '#495057';
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    for (let y = 0; y <= yMax + yStep / 2; y += yStep) {
      line(context, left, toY(y), right, toY(y));
      context.fillText(y.toFixed(decimals(yStep)), left - 6, toY(y));
    }
    context.textAlign = 'center';
    context.textBaseline = 'top';
    for (let x = 0; x <= this.xMax + xStep / 2; x += xStep) {
      line(context, toX(x), top, toX(x), bottom);
      context.fillText(x.toFixed(decimals(xStep)), toX(x), bottom + 6);
    }
    context.strokeStyle = '#868e96';
    line(context, left, top, left, bottom);
    line(context, left, bottom, right, bottom);
    context.fillText(this.xLabel, (left + right) / 2, bottom + 22);
    context.textAlign = 'left';
    context.fillText(this.yLabel, left, 4);

    context.strokeStyle = this.color;
    context.lineWidth = 2;
    context.lineJoin = 'round';
    context.beginPath();
    let penDown = false;
    for (const [x, y] of this.points) {
      if (!Number.isFinite(y)) {
        penDown = false;
        continue;
      }
      if (penDown) context.lineTo(toX(x), toY(y));
      else context.moveTo(toX(x), toY(y));
      penDown = true;
    }
    context.stroke();

    const last = this.points[this.points.length - 1];
    if (last) {
      context.textAlign = 'right';
      context.fillStyle = this.color;
      context.fillText(`${this.yLabel} ${formatNumber(last[1])} at ${this.xLabel} ${last[0]}`, right, 4);
    }
  }
}

function line(context, x0, y0, x1, y1) {
  context.beginPath();
  context.moveTo(x0, y0);
  context.lineTo(x1, y1);
  context.stroke();
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** Decimals needed to print multiples of `step` exactly. */
function decimals(step) {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

function formatNumber(value) {
  return Number.isFinite(value) ? value.toFixed(4) : String(value);
}
