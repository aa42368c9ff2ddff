// Frame times on the main thread: an animation redrawn every frame (a spinning wheel and a strip
// of the latest frame intervals) and the intervals recorded per phase, so a page can compare how
// smooth it stays while something runs.

/** The q-quantile (nearest rank) of sorted values. */
function quantile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** Frames per second and interval percentiles (ms) of one phase. */
export function frameStats(intervals, seconds) {
  const sorted = [...intervals].sort((a, b) => a - b);
  return {
    frames: intervals.length,
    seconds,
    fps: intervals.length / seconds,
    medianMs: quantile(sorted, 0.5),
    p95Ms: quantile(sorted, 0.95),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : 0,
  };
}

const STRIP = 240;
const COLORS = { idle: '#868e96', worker: '#2f9e44', page: '#e03131' };

export class FrameMeter {
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.recent = [];
    this.phase = null;
    this.intervals = [];
    this.last = null;
    this.angle = 0;
    /** Every measured frame, for the whole-run strip drawn by stop(). */
    this.all = [];
    this.running = true;
    const frame = (now) => {
      if (!this.running) return;
      if (this.last !== null) this.record(now - this.last);
      this.last = now;
      this.draw();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  record(interval) {
    if (this.phase) {
      this.intervals.push(interval);
      this.all.push({ interval, phase: this.phase });
    }
    this.recent.push({ interval, phase: this.phase ?? 'idle' });
    if (this.recent.length > STRIP) this.recent.shift();
    // A constant speed per frame: a long frame shows as a jump in the wheel.
    this.angle += interval * 0.006;
  }

  /** Runs `task` and returns its value with the frame statistics of the main thread meanwhile. */
  async measure(phase, task) {
    this.phase = phase;
    this.intervals = [];
    const started = performance.now();
    try {
      const value = await task();
      return { value, frames: frameStats(this.intervals, (performance.now() - started) / 1000) };
    } finally {
      this.phase = null;
    }
  }

  /** Ends the animation and draws every measured frame of every phase in the strip. */
  stop() {
    this.running = false;
    this.phase = null;
    this.draw(this.all);
  }

  draw(strip = this.recent) {
    const { canvas, context: g } = this;
    const { width, height } = canvas;
    g.clearRect(0, 0, width, height);
    const radius = height * 0.35;
    const cx = height / 2;
    const cy = height / 2;
    g.lineWidth = 10;
    g.strokeStyle = '#dee2e6';
    g.beginPath();
    g.arc(cx, cy, radius, 0, 2 * Math.PI);
    g.stroke();
    g.strokeStyle = COLORS[this.phase ?? 'idle'];
    g.beginPath();
    g.arc(cx, cy, radius, this.angle, this.angle + 1.2);
    g.stroke();
    // The strip: one bar per frame, its height the interval (the line marks 1/60 s).
    const left = height + 20;
    const barWidth = (width - left) / Math.max(STRIP, strip.length);
    const scale = (height - 20) / 100;
    strip.forEach(({ interval, phase }, i) => {
      g.fillStyle = COLORS[phase];
      const bar = Math.min(interval, 100) * scale;
      g.fillRect(left + i * barWidth, height - bar, Math.max(1, barWidth * 0.8), bar);
    });
    g.strokeStyle = '#1c7ed6';
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(left, height - (1000 / 60) * scale);
    g.lineTo(width, height - (1000 / 60) * scale);
    g.stroke();
  }
}
