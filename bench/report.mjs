// Turns the benchmark's results into figures (median, best) and the Markdown report.
// @ts-check

/**
 * @typedef {object} Outcome  One library's result for one case.
 * @property {'ok' | 'wrong' | 'error' | 'not run'} status
 * @property {number[]} [figures]  one per timed repetition, in the case's unit
 * @property {number} [median]
 * @property {number} [best]
 * @property {string} [detail]     the check's verdict, or the error
 * @property {unknown} [raw]       what the page returned
 */
/**
 * @typedef {object} CaseReport
 * @property {string} workload
 * @property {string} label
 * @property {string} unit
 * @property {boolean} higherIsBetter
 * @property {Record<string, Outcome>} outcomes  by library id
 */

/** @param {number[]} values */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Median and best of the figures; best is the largest rate or the shortest time.
 * @param {number[]} figures
 * @param {boolean} higherIsBetter
 */
export function summarize(figures, higherIsBetter) {
  return { median: median(figures), best: higherIsBetter ? Math.max(...figures) : Math.min(...figures) };
}

/**
 * Three significant digits, without exponent notation for the ranges we print.
 * @param {number} value
 */
function number(value) {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return value.toPrecision(3);
}

/** @param {Outcome | undefined} outcome */
function cell(outcome) {
  if (!outcome) return '–';
  if (outcome.status === 'ok') return `${number(/** @type {number} */ (outcome.median))} / ${number(/** @type {number} */ (outcome.best))} (n=${outcome.figures?.length})`;
  if (outcome.status === 'wrong') return '✗ wrong result';
  if (outcome.status === 'error') return '✗ failed';
  return '–';
}

/**
 * webgrad's dispatches and JavaScript milliseconds per step (one profiled run after the timed
 * ones, bench/cases.js), or dashes where it did not run or could not be profiled.
 * @param {CaseReport} report
 * @returns {[string, string]}
 */
function webgradProfileCells(report) {
  const outcome = report.outcomes.webgrad;
  const profile = /** @type {{ profile?: { dispatchesPerStep: number, jsMsPerStep: number | null } | null } | undefined} */ (outcome?.raw)?.profile;
  if (outcome?.status !== 'ok' || !profile) return ['–', '–'];
  return [number(profile.dispatchesPerStep), profile.jsMsPerStep === null ? '–' : number(profile.jsMsPerStep)];
}

/**
 * webgrad's speed relative to a peer, from the medians and from the bests: above 1 means webgrad
 * is faster.
 * @param {CaseReport} report
 * @param {string} peer
 * @returns {{ median: number, best: number } | undefined}
 */
export function speedRatio(report, peer) {
  const [ours, theirs] = [report.outcomes.webgrad, report.outcomes[peer]];
  if (ours?.status !== 'ok' || theirs?.status !== 'ok') return undefined;
  /** @param {'median' | 'best'} key */
  const ratio = (key) => {
    const [a, b] = [/** @type {number} */ (ours[key]), /** @type {number} */ (theirs[key])];
    return report.higherIsBetter ? a / b : b / a;
  };
  return { median: ratio('median'), best: ratio('best') };
}

/**
 * @param {object} run
 * @param {CaseReport[]} run.cases
 * @param {{ id: string, title: string }[]} run.libraries  the libraries that ran
 * @param {string[]} run.notes  lines printed under the table
 * @param {string[]} run.header lines printed above it
 * @returns {string}
 */
export function markdownReport({ cases, libraries, notes, header }) {
  const peers = libraries.filter((library) => library.id !== 'webgrad');
  const hasWebgrad = libraries.some((library) => library.id === 'webgrad');
  const columns = [
    'Workload',
    'Unit',
    ...libraries.map((library) => `${library.title} median / best`),
    ...(hasWebgrad ? peers.map((peer) => `webgrad ÷ ${peer.title}`) : []),
    ...(hasWebgrad ? ['webgrad dispatches / step', 'webgrad JS ms / step'] : []),
  ];
  const rows = cases.map((report) => [
    report.label,
    report.unit + (report.higherIsBetter ? '' : ' (lower is better)'),
    ...libraries.map((library) => cell(report.outcomes[library.id])),
    ...(hasWebgrad
      ? peers.map((peer) => {
          const ratio = speedRatio(report, peer.id);
          return ratio === undefined ? '–' : `${ratio.median.toFixed(2)}× (${ratio.best.toFixed(2)}×)`;
        })
      : []),
    ...(hasWebgrad ? webgradProfileCells(report) : []),
  ]);
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  const table = [line(columns), line(columns.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line)];
  const problems = cases.flatMap((report) =>
    Object.entries(report.outcomes)
      .filter(([, outcome]) => outcome.status === 'wrong' || outcome.status === 'error')
      .map(([id, outcome]) => `- ${report.label}, ${libraries.find((l) => l.id === id)?.title ?? id}: ${outcome.status === 'wrong' ? 'wrong result' : 'failed'}: ${outcome.detail}`),
  );
  return [
    ...header,
    '',
    ...table,
    '',
    ...notes,
    ...(problems.length ? ['', 'Failures (their times are not counted):', ...problems] : []),
    '',
  ].join('\n');
}
