// Backprop, step by step: one layer of two sigmoid units on one sample, every quantity of the
// tutorial this project grew from computed with webgrad's ops and tape, shown beside the figures
// the tutorial prints and beside a float64 computation done by hand in plain JavaScript.
import * as wg from '../../dist/webgrad.js';
import { drawMermaid } from '../shared/graph-diagram.js';
import { log, runDemo, setStatus } from '../shared/page.js';

const RAW_INPUT = [1, 2];
const W1 = [[0.1, 0.2], [0.3, 0.4]]; // [unit][input]: unit i computes Σ_j W1[i][j]·x'[j] + b1[i]
const B1 = [0.1, 0.2];
const TARGET = [0, 1];
/** What the tutorial's text prints (it has no figure for dJ/db1). */
const AS_PRINTED = { h1: [0.59, 0.82], J: 0.15, dW1: [[0.2857, 0.5714], [0.4286, 0.7143]] };

const LOOP = `graph TD
  pre(["preprocess: x' = x / max(x)"])
  init["init W1, b1"]
  forward["forward: h1 = σ(W1·x' + b1)"]
  loss["loss: J = ½Σ(y − h1)²"]
  backward["backward: tape.gradient"]
  update["update: W −= lr·dJ/dW"]
  evaluate["evaluate: J again"]
  pre --> init
  init --> forward
  forward --> loss
  loss --> backward
  backward --> update
  update --> evaluate`;

/** The same computation in float64, written out by hand: the reference the page (and its test) checks against. */
export function backpropByHand(lr) {
  const scale = Math.max(...RAW_INPUT);
  const x = RAW_INPUT.map((v) => v / scale);
  const sigmoid = (z) => 1 / (1 + Math.exp(-z));
  const forward = (w, b) => w.map((row, i) => sigmoid(row[0] * x[0] + row[1] * x[1] + b[i]));
  const lossOf = (h) => 0.5 * h.reduce((sum, hi, i) => sum + (TARGET[i] - hi) ** 2, 0);
  const h1 = forward(W1, B1);
  const dJdh = h1.map((hi, i) => hi - TARGET[i]);
  const dJdz = dJdh.map((g, i) => g * h1[i] * (1 - h1[i]));
  const dW1 = dJdz.map((g) => x.map((xj) => g * xj));
  const db1 = dJdz;
  const W1After = W1.map((row, i) => row.map((w, j) => w - lr * dW1[i][j]));
  const b1After = B1.map((b, i) => b - lr * db1[i]);
  return { x, h1, J: lossOf(h1), dJdh, dJdz, dW1, db1, W1After, b1After, JAfter: lossOf(forward(W1After, b1After)) };
}

/** Every step with webgrad: ops recorded on a tape, gradients from it, one update. */
async function backpropWithWebgrad(lr) {
  const x = wg.tensor([RAW_INPUT]);
  const xScaled = wg.div(x, wg.max(x));
  const w1 = wg.tensor(W1);
  const b1 = wg.tensor(B1);
  const y = wg.tensor(TARGET);
  // Persistent: the record stays for toMermaid after gradient, released by dispose below.
  const tape = new wg.Tape({ persistent: true });
  const { z, h1, J } = tape.record(() => {
    const z = wg.add(wg.reshape(wg.matmul(xScaled, wg.transpose(w1)), [2]), b1);
    const h1 = wg.sigmoid(z);
    const J = wg.mul(wg.sum(wg.square(wg.sub(y, h1))), 0.5);
    return { z, h1, J };
  });
  const [dW1, db1, dJdh, dJdz] = tape.gradient(J, [w1, b1, h1, z]);
  // The tape names inputs by tensor id; the page knows which is which.
  const names = new Map([[xScaled.id, "x'"], [w1.id, 'W1'], [b1.id, 'b1'], [y.id, 'y']]);
  const mermaid = tape.toMermaid().replace(/"tensor #(\d+) /g, (whole, id) => (names.has(Number(id)) ? `"${names.get(Number(id))} ` : whole));
  tape.dispose();
  const w1After = wg.sub(w1, wg.mul(dW1, lr));
  const b1After = wg.sub(b1, wg.mul(db1, lr));
  const JAfter = wg.tidy(() => wg.mul(wg.sum(wg.square(wg.sub(y, wg.sigmoid(wg.add(wg.reshape(wg.matmul(xScaled, wg.transpose(w1After)), [2]), b1After))))), 0.5));
  const read = async (t) => Array.from(await t.data());
  const rows = async (t) => t.array();
  const result = {
    x: await read(xScaled), h1: await read(h1), J: (await read(J))[0], dJdh: await read(dJdh), dJdz: await read(dJdz),
    dW1: await rows(dW1), db1: await read(db1), W1After: await rows(w1After), b1After: await read(b1After), JAfter: (await read(JAfter))[0],
  };
  for (const t of [x, xScaled, w1, b1, y, z, h1, J, dW1, db1, dJdh, dJdz, w1After, b1After, JAfter]) t.dispose();
  return { result, mermaid };
}

const format = (value) => (Array.isArray(value) ? `[${value.map(format).join(', ')}]` : value.toFixed(6));
const formatPrinted = (value) => (value === undefined ? '—' : Array.isArray(value) ? `[${value.map(formatPrinted).join(', ')}]` : String(value));
const flat = (value) => (Array.isArray(value) ? value.flat(2) : [value]);
const worstDifference = (a, b) => Math.max(...flat(a).map((v, i) => Math.abs(v - flat(b)[i])));

function showTable(computed, reference) {
  const rows = [
    ['x\'', 'x', 'preprocess'], ['h1 = ŷ', 'h1', 'forward'], ['J', 'J', 'loss'], ['dJ/dŷ', 'dJdh', 'backward'],
    ['dJ/dz', 'dJdz', 'backward'], ['dJ/dW1', 'dW1', 'backward'], ['dJ/db1', 'db1', 'backward'],
    ['W1 after', 'W1After', 'update'], ['b1 after', 'b1After', 'update'], ['J after', 'JAfter', 'evaluate'],
  ];
  const body = document.querySelector('#figures tbody');
  body.replaceChildren();
  for (const [label, key, step] of rows) {
    const row = document.createElement('tr');
    row.dataset.quantity = key;
    const printed = AS_PRINTED[key];
    const wrong = printed !== undefined && worstDifference(printed, reference[key]) > 0.005;
    for (const [text, name] of [[label, 'label'], [step, 'step'], [formatPrinted(printed), 'printed'], [format(computed[key]), 'webgrad'], [format(reference[key]), 'float64'], [worstDifference(computed[key], reference[key]).toExponential(1), 'difference']]) {
      const cell = document.createElement('td');
      cell.dataset.column = name;
      cell.textContent = text;
      if (name === 'printed' && wrong) cell.classList.add('wrong');
      row.append(cell);
    }
    body.append(row);
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const input = document.getElementById('learning-rate');
  if (params.has('lr')) input.value = params.get('lr');
  await wg.init();
  const compute = async () => {
    const lr = Number(input.value);
    if (!Number.isFinite(lr) || lr <= 0) throw new RangeError(`learning rate must be a positive number, got '${input.value}'`);
    setStatus(`Computing with learning rate ${lr}…`);
    const { result, mermaid } = await backpropWithWebgrad(lr);
    const reference = backpropByHand(lr);
    showTable(result, reference);
    document.getElementById('graph').replaceChildren(drawMermaid(mermaid));
    document.getElementById('graph-source').textContent = mermaid;
    log(`lr ${lr}: J ${result.J.toFixed(6)} → ${result.JAfter.toFixed(6)} after one update`);
    setStatus('Done.');
    return { lr, ...result, mermaid };
  };
  document.getElementById('loop').replaceChildren(drawMermaid(LOOP, { nodeWidth: 230 }));
  document.getElementById('recompute').addEventListener('click', () => compute().catch((error) => log(`${error.name}: ${error.message}`)));
  return compute();
}

runDemo(main);
