// A one-line progress bar for terminal runs (demo:node, bench --node). On a terminal it redraws
// its line in place; in a log (CI, a pipe) it prints a line at each tenth of the way instead.
// @ts-check

const WIDTH = 30;

export class ProgressBar {
  /**
   * @param {string} label
   * @param {number} total
   * @param {NodeJS.WriteStream} stream
   */
  constructor(label, total, stream = process.stdout) {
    this.label = label;
    this.total = total;
    this.stream = stream;
    this.started = performance.now();
    this.lastTenth = -1;
  }

  /**
   * @param {number} done how many of `total` are finished
   * @param {string} detail shown after the bar (a loss, say)
   */
  update(done, detail = '') {
    const fraction = Math.min(done / this.total, 1);
    const seconds = (performance.now() - this.started) / 1000;
    const filled = Math.round(fraction * WIDTH);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${this.total} ${seconds.toFixed(1)} s ${detail}`.trimEnd();
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}\x1b[K`);
      if (done >= this.total) this.stream.write('\n');
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.stream.write(`${line}\n`);
    }
  }
}
