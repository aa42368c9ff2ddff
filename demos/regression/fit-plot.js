// A scatter of (x, y) samples with curves over them, on a <canvas> sized to its CSS box at the
// screen's pixel ratio. Axes are fixed at construction (the data's range is known in advance), so
// redrawing a new fit never rescales the picture.

const MARGIN = { left: 44, right: 16, top: 16, bottom: 34 };
const FONT = '12px system-ui, sans-serif';

export class FitPlot {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ xRange: [number, number], yRange: [number, number], xTicks: number[], yTicks: number[] }} axes
   */
  constructor(canvas, { xRange, yRange, xTicks, yTicks }) {
    this.canvas = canvas;
    this.xRange = xRange;
    this.yRange = yRange;
    this.xTicks = xTicks;
    this.yTicks = yTicks;
    /** @type {{ xs: ArrayLike<number>, ys: ArrayLike<number> }} */
    this.points = { xs: [], ys: [] };
    /** @type {{ xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, dashed: boolean }[]} */
    this.curves = [];
    this.label = '';
  }

  setPoints(xs, ys) {
    this.points = { xs, ys };
  }

  /** Curves are drawn in the order added; `setCurve` with an existing name replaces that curve. */
  setCurve(name, xs, ys, { color, dashed = false }) {
    const index = this.curves.findIndex((curve) => curve.name === name);
    const curve = { name, xs, ys, color, dashed };
    if (index >= 0) this.curves[index] = curve;
    else this.curves.push(curve);
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

    const [x0, x1] = this.xRange;
    const [y0, y1] = this.yRange;
    const left = MARGIN.left;
    const right = width - MARGIN.right;
    const top = MARGIN.top;
    const bottom = height - MARGIN.bottom;
    const toX = (x) => left + ((x - x0) / (x1 - x0)) * (right - left);
    const toY = (y) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);

    context.font = FONT;
    context.lineWidth = 1;
    context.strokeStyle = '#e9ecef';
    context.fillStyle = '#495057';
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    for (const y of this.yTicks) {
      line(context, left, toY(y), right, toY(y));
      context.fillText(String(y), left - 6, toY(y));
    }
    context.textAlign = 'center';
    context.textBaseline = 'top';
    for (const x of this.xTicks) {
      line(context, toX(x), top, toX(x), bottom);
      context.fillText(Number.isInteger(x) ? String(x) : x.toFixed(2), toX(x), bottom + 6);
    }
    context.strokeStyle = '#868e96';
    line(context, left, top, left, bottom);
    line(context, left, bottom, right, bottom);

    context.fillStyle = '#adb5bd';
    const { xs, ys } = this.points;
    for (let i = 0; i < xs.length; i++) {
      context.beginPath();
      context.arc(toX(xs[i]), toY(ys[i]), 2.5, 0, 2 * Math.PI);
      context.fill();
    }

    for (const curve of this.curves) {
      context.strokeStyle = curve.color;
      context.lineWidth = curve.dashed ? 1.5 : 2.5;
      context.setLineDash(curve.dashed ? [6, 5] : []);
      context.beginPath();
      for (let i = 0; i < curve.xs.length; i++) {
        const y = Math.min(Math.max(curve.ys[i], y0), y1); // a wild early fit stays inside the frame
        if (i === 0) context.moveTo(toX(curve.xs[i]), toY(y));
        else context.lineTo(toX(curve.xs[i]), toY(y));
      }
      context.stroke();
    }
    context.setLineDash([]);

    if (this.label) {
      context.fillStyle = '#212529';
      context.textAlign = 'left';
      context.textBaseline = 'top';
      context.fillText(this.label, left + 8, top + 4);
    }
  }
}

function line(context, xStart, yStart, xEnd, yEnd) {
  context.beginPath();
  context.moveTo(xStart, yStart);
  context.lineTo(xEnd, yEnd);
  context.stroke();
}
