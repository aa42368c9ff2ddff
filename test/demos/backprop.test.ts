// The backprop demo page end to end: every figure it computes with webgrad's tape agrees with a
// float64 chain rule written here, with the values issue 13 gives for the tutorial's example, and
// the page marks the tutorial's printed figures that are wrong and draws both diagrams.
import { describe, expect, inject, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { waitForDemoDone, waitForPageValue } from '../harness/page-wait';

interface Figures {
  lr: number;
  x: number[]; h1: number[]; J: number; dJdh: number[]; dJdz: number[];
  dW1: number[][]; db1: number[]; W1After: number[][]; b1After: number[]; JAfter: number;
  mermaid: string;
}

/** The tutorial's example in float64: h = σ(W·x' + b), J = ½Σ(y − h)², one step of gradient descent. */
function reference(lr: number): Omit<Figures, 'lr' | 'mermaid'> {
  const x = [0.5, 1];
  const W = [[0.1, 0.2], [0.3, 0.4]];
  const b = [0.1, 0.2];
  const y = [0, 1];
  const forward = (w: number[][], bias: number[]) => w.map((row, i) => 1 / (1 + Math.exp(-(row[0] * x[0] + row[1] * x[1] + bias[i]))));
  const loss = (h: number[]) => 0.5 * ((y[0] - h[0]) ** 2 + (y[1] - h[1]) ** 2);
  const h1 = forward(W, b);
  const dJdh = [h1[0] - y[0], h1[1] - y[1]];
  const dJdz = [dJdh[0] * h1[0] * (1 - h1[0]), dJdh[1] * h1[1] * (1 - h1[1])];
  const dW1 = [[dJdz[0] * x[0], dJdz[0] * x[1]], [dJdz[1] * x[0], dJdz[1] * x[1]]];
  const W1After = W.map((row, i) => row.map((w, j) => w - lr * dW1[i][j]));
  const b1After = b.map((v, i) => v - lr * dJdz[i]);
  return { x, h1, J: loss(h1), dJdh, dJdz, dW1, db1: dJdz, W1After, b1After, JAfter: loss(forward(W1After, b1After)) };
}

const flat = (value: number | number[] | number[][]): number[] => (Array.isArray(value) ? value.flat(2) as number[] : [value]);

describe('backprop demo page', () => {
  const gpu = useGpuPage();

  it('computes every step as a float64 chain rule does and draws the recorded graph', async () => {
    const { page } = gpu;
    await page.goto(`${inject('baseUrl')}/demos/backprop/index.html?headless=1&lr=0.7`);
    const status = await waitForDemoDone<{ error?: string; result?: Figures }>(page, 'backprop', 120_000);
    expect(status.error).toBeUndefined();
    expect(gpu.consoleErrors()).toEqual([]);
    const figures = status.result!;
    expect(figures.lr).toBe(0.7);

    // Float32 ops on values of order 1: a few ulps (1e-7) each, far under 1e-6.
    const expected = reference(0.7);
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
      const got = flat(figures[key]);
      const want = flat(expected[key]);
      expect(got, key).toHaveLength(want.length);
      got.forEach((value, i) => expect(Math.abs(value - want[i]), `${key}[${i}]`).toBeLessThan(1e-6));
    }
    // The corrected values issue 13 states for the tutorial's example (6 decimals).
    expect(figures.h1[0]).toBeCloseTo(0.586618, 6);
    expect(figures.h1[1]).toBeCloseTo(0.679179, 6);
    expect(figures.J).toBeCloseTo(0.223523, 6);
    expect(flat(figures.dW1).map((v) => Number(v.toFixed(6)))).toEqual([0.071127, 0.142253, -0.034953, -0.069905]);
    expect(figures.db1.map((v) => Number(v.toFixed(6)))).toEqual([0.142253, -0.069905]);
    expect(figures.JAfter).toBeLessThan(figures.J);

    const shown = await page.evaluate(() => {
      const cell = (quantity: string, column: string) => document.querySelector(`#figures tr[data-quantity="${quantity}"] td[data-column="${column}"]`);
      return {
        printedH1: cell('h1', 'printed')?.textContent,
        wrong: Array.from(document.querySelectorAll('#figures td.wrong'), (td) => td.closest('tr')!.dataset.quantity),
        webgradJ: cell('J', 'webgrad')?.textContent,
        graphNodes: document.querySelectorAll('#graph [data-node]').length,
        loopNodes: document.querySelectorAll('#loop [data-node]').length,
      };
    });
    // The text's h1, J and dJ/dW1 all differ from the correct values by far more than rounding.
    expect(shown.printedH1).toBe('[0.59, 0.82]');
    expect(shown.wrong).toEqual(['h1', 'J', 'dW1']);
    expect(Number(shown.webgradJ)).toBeCloseTo(expected.J, 6);
    // One drawn node per node the Mermaid text declares; the loop has its seven steps.
    const declared = figures.mermaid.split('\n').filter((line) => /^\s*\w+(\(\[|\[)"/.test(line)).length;
    expect(declared).toBeGreaterThan(5);
    expect(shown.graphNodes).toBe(declared);
    expect(shown.loopNodes).toBe(7);

    // Another learning rate from the page's own control changes the update as the reference says.
    await page.evaluate(() => {
      (document.getElementById('learning-rate') as HTMLInputElement).value = '2';
      document.getElementById('recompute')!.click();
    });
    const after = reference(2);
    await waitForPageValue(
      page,
      `Math.abs(Number(document.querySelector('#figures tr[data-quantity="JAfter"] td[data-column="webgrad"]')?.textContent) - ${after.JAfter}) < 2e-6`,
      { timeoutMs: 30_000, what: 'the figures for learning rate 2' },
    );
  });
});
