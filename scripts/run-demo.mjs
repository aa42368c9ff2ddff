// `npm run demo -- <name>`: runs demos/<name>/index.html in headless Chromium, prints the page's
// log as it comes, then the page's final figures. Exits 0 when the page reports success, 1 when
// it reports an error or does not finish within DEMO_TIMEOUT seconds (default 900).
//
// The page's side of the handshake (demos/shared/page.js): it sets
//   window.demoStatus = { done: true, result: {...} }   or   { done: true, error: '...' }
// @ts-check
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer';
import { demos } from '../demos/catalog.js';
import { ensureBrowser } from './lib/ensure-browser.mjs';
import { chromeLaunchArgs } from './lib/find-browser.mjs';
import { buildBundle, repoRoot } from './lib/repo.mjs';
import { startStaticServer } from './lib/static-server.mjs';

/** @typedef {{ done: true, result?: Record<string, unknown>, error?: string }} DemoStatus */

const DEFAULT_TIMEOUT_SECONDS = 15 * 60;

function listDemos() {
  const width = Math.max(...demos.map((demo) => demo.name.length));
  return demos.map((demo) => `  ${demo.name.padEnd(width)}  ${demo.description}`).join('\n');
}

/** @returns {number} */
function timeoutSeconds() {
  const text = process.env.DEMO_TIMEOUT;
  if (text === undefined || text === '') return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (!(seconds > 0)) throw new Error(`DEMO_TIMEOUT must be a positive number of seconds, got '${text}'`);
  return seconds;
}

/**
 * Numbers to 4 significant digits, arrays of numbers in brackets.
 * @param {unknown} value
 * @returns {string}
 */
function formatValue(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * The result's object-valued entries as rows of one table (columns: the union of their keys),
 * then its other entries as `key: value` lines.
 * @param {Record<string, unknown>} result
 * @returns {string}
 */
function formatResult(result) {
  const entries = Object.entries(result);
  /** @type {[string, Record<string, unknown>][]} */
  const rows = [];
  /** @type {string[]} */
  const lines = [];
  for (const [key, value] of entries) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      rows.push([key, /** @type {Record<string, unknown>} */ (value)]);
    } else {
      lines.push(`${key}: ${formatValue(value)}`);
    }
  }
  if (rows.length > 0) {
    const columns = [...new Set(rows.flatMap(([, row]) => Object.keys(row)))];
    const table = [
      ['', ...columns],
      ...rows.map(([name, row]) => [name, ...columns.map((column) => (column in row ? formatValue(row[column]) : ''))]),
    ];
    const widths = table[0].map((_, column) => Math.max(...table.map((cells) => cells[column].length)));
    const tableLines = table.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
    lines.unshift(...tableLines, '');
  }
  return lines.join('\n').trimEnd();
}

/**
 * @param {string} name
 * @returns {Promise<number>} the exit code
 */
async function runDemo(name) {
  const timeoutMs = timeoutSeconds() * 1000;
  buildBundle();
  // As `npm test` does: a fresh machine without Chrome/Chromium gets one, and says so.
  const executablePath = await ensureBrowser();
  const server = await startStaticServer(repoRoot);
  const userDataDir = await mkdtemp(join(tmpdir(), 'webgrad-demo-'));
  /** @type {import('puppeteer').Browser | undefined} */
  let browser;
  try {
    // waitForFunction below is one protocol call for the whole run: puppeteer's default 180 s
    // protocolTimeout would end any demo that runs longer.
    browser = await puppeteer.launch({ executablePath, args: chromeLaunchArgs(userDataDir), headless: true, protocolTimeout: timeoutMs + 60_000 });
    const page = await browser.newPage();
    page.on('console', (message) => {
      const line = `[${name}] ${message.text()}`;
      if (message.type() === 'error' || message.type() === 'warn') console.error(line);
      else console.log(line);
    });
    page.on('pageerror', (error) => console.error(`[${name}] uncaught: ${error instanceof Error ? error.stack ?? error.message : String(error)}`));
    /** @type {Promise<never>} */
    const crashed = new Promise((_, reject) => page.once('error', (error) => reject(new Error(`the page crashed: ${error.message}`))));
    crashed.catch(() => {}); // only the race below cares, and only until it settles

    const url = `${server.url}/demos/${name}/index.html?headless=1`;
    console.log(`Opening ${url} (timeout ${timeoutMs / 1000} s)`);
    const started = Date.now();
    await page.goto(url);
    const handle = await Promise.race([
      page.waitForFunction('window.demoStatus && window.demoStatus.done === true && window.demoStatus', {
        timeout: timeoutMs,
        polling: 250,
      }),
      crashed,
    ]);
    const status = /** @type {DemoStatus} */ (await handle.jsonValue());
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (status.error !== undefined) {
      console.error(`\n${name} failed after ${seconds} s: ${status.error}`);
      return 1;
    }
    console.log(`\n${name} finished in ${seconds} s\n\n${formatResult(status.result ?? {})}`);
    return 0;
  } catch (error) {
    const isTimeout = error instanceof Error && error.name === 'TimeoutError';
    console.error(
      isTimeout
        ? `\n${name} did not finish within ${timeoutMs / 1000} s (DEMO_TIMEOUT=<seconds> allows more).`
        : `\n${name} could not run: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  } finally {
    await browser?.close();
    await server.close();
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

const name = process.argv[2];
if (name === undefined || !demos.some((demo) => demo.name === name)) {
  console.error(`${name === undefined ? 'Which demo?' : `No demo named '${name}'.`} Usage: npm run demo -- <name>\n\nDemos:\n${listDemos()}`);
  process.exitCode = 1;
} else {
  process.exitCode = await runDemo(name);
}
