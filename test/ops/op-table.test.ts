// Every row of the elementwise op table (src/ops/elementwise.ts) has a test row: a float64 case in
// elementwise-cases.ts, which the elementwise, ieee, subgradients and tensor-like tests all run, or
// an entry naming the test file that covers it. A new row without one fails here. Pure Node: the
// table is read from the source modules, no browser.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as wg from '../../src/index';
import { elementwiseTable } from '../../src/ops/elementwise';
import { binaryCases, testedElsewhere, unaryCases } from './elementwise-cases';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const rows = elementwiseTable();
const cases = { ...unaryCases, ...binaryCases };

describe('the op table', () => {
  it('holds the rows of the public ops (a table that lost them would make the checks below vacuous)', () => {
    for (const name of ['neg', 'log1p', 'add', 'pow', 'equal', 'where', 'clip', 'cast', 'gelu']) expect(rows.has(name), name).toBe(true);
    expect(rows.size).toBeGreaterThanOrEqual(Object.keys(cases).length);
  });

  it('has a test row for every row', () => {
    const untested = [...rows.keys()].filter((name) => !(name in cases) && !(name in testedElsewhere));
    expect(untested, 'rows without a test row: add each to elementwise-cases.ts').toEqual([]);
  });

  it('has no test row for a row that does not exist, and each case has the inputs and int32 form its row declares', () => {
    for (const [name, testCase] of Object.entries(cases)) {
      const row = rows.get(name);
      expect(row, `test row ${name}`).toBeDefined();
      expect(testCase.domains.length, `${name}'s domains`).toBe(row?.declaration.inputs.length);
      expect(testCase.int32 !== undefined, `${name}'s int32 form`).toBe(row?.declaration.int32 !== undefined);
      // The public function is the row's op itself (or, for gelu, its wrapper).
      expect(typeof (wg as unknown as Record<string, unknown>)[name], `wg.${name}`).toBe('function');
    }
  });

  it('installs every row flagged as a method on Tensor, and no other row', () => {
    for (const [name, row] of rows) {
      const installed = typeof (wg.Tensor.prototype as unknown as Record<string, unknown>)[name] === 'function';
      // gelu, clip and cast are methods through their wrappers (options, bounds, a dtype).
      if (!['gelu', 'clip', 'cast'].includes(name)) expect(installed, `Tensor.prototype.${name}`).toBe(row.declaration.method === true);
    }
    expect(rows.get('log1p')?.declaration.method).toBe(true);
  });

  it('names, for each row tested elsewhere, a test file that calls it', () => {
    for (const [name, { file, through }] of Object.entries(testedElsewhere)) {
      expect(rows.has(name), `${name} is no row`).toBe(true);
      expect(readFileSync(resolve(repoRoot, file), 'utf8'), `${file} for ${name}`).toContain(through);
    }
  });
});
