// Locates a Chrome/Chromium binary and the flags webgrad needs to get headless WebGPU from it.
// Shared by the test harness and by scripts (demo runner, benchmark), so it is plain JavaScript
// that Node runs as is, typed through JSDoc, and depends on nothing but Node.
// @ts-check
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * System locations checked, in order, after the CHROME_PATH / PUPPETEER_EXECUTABLE_PATH variables.
 * @type {readonly string[]}
 */
export const SYSTEM_BROWSER_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** Where puppeteer keeps the browsers it downloads (its default cache directory). */
export const PUPPETEER_CACHE_DIR = join(homedir(), '.cache', 'puppeteer');

/**
 * Browsers puppeteer downloaded earlier, newest version first: Chrome for Testing at
 * ~/.cache/puppeteer/chrome/<version>/chrome-<platform>/chrome…, then Chrome Headless Shell at
 * ~/.cache/puppeteer/chrome-headless-shell/<version>/chrome-headless-shell-<platform>/chrome-headless-shell
 * (what `npm test` downloads when it finds no browser, scripts/lib/ensure-browser.mjs).
 * @returns {string[]}
 */
function puppeteerCacheBrowsers() {
  /** @type {string[]} */
  const found = [];
  /** @type {[string, string[]][]} */
  const kinds = [
    ['chrome', ['chrome', 'chrome.exe', join('Google Chrome for Testing.app', 'Contents', 'MacOS', 'Google Chrome for Testing')]],
    ['chrome-headless-shell', ['chrome-headless-shell', 'chrome-headless-shell.exe']],
  ];
  for (const [kind, executables] of kinds) {
    const kindDir = join(PUPPETEER_CACHE_DIR, kind);
    if (!existsSync(kindDir)) continue;
    for (const version of readdirSync(kindDir).sort().reverse()) {
      const versionDir = join(kindDir, version);
      let platformDirs;
      try {
        platformDirs = readdirSync(versionDir).filter((name) => name.startsWith(`${kind}-`));
      } catch {
        continue;
      }
      for (const platformDir of platformDirs) found.push(...executables.map((executable) => join(versionDir, platformDir, executable)));
    }
  }
  return found;
}

/**
 * The path of a Chrome/Chromium executable already on this machine, or null when there is none.
 * Throws when CHROME_PATH or PUPPETEER_EXECUTABLE_PATH names a file that does not exist.
 * @returns {string | null}
 */
export function locateBrowser() {
  for (const variable of ['CHROME_PATH', 'PUPPETEER_EXECUTABLE_PATH']) {
    const path = process.env[variable];
    if (!path) continue;
    if (existsSync(path)) return path;
    throw new Error(`${variable} is set to ${path}, but no file exists there.`);
  }
  for (const path of [...SYSTEM_BROWSER_PATHS, ...puppeteerCacheBrowsers()]) {
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * Returns the path of a Chrome/Chromium executable, or throws an Error saying how to get one.
 * @returns {string}
 */
export function findBrowser() {
  const path = locateBrowser();
  if (path) return path;
  throw new Error(
    'No Chrome or Chromium found; webgrad runs its GPU tests in headless Chromium. ' +
      'Install one (Debian/Ubuntu: `apt-get install -y chromium`) ' +
      'or set CHROME_PATH=/path/to/chrome. ' +
      `Looked in: CHROME_PATH, PUPPETEER_EXECUTABLE_PATH, ${SYSTEM_BROWSER_PATHS.join(', ')}, ~/.cache/puppeteer/chrome, ~/.cache/puppeteer/chrome-headless-shell.`,
  );
}

/**
 * Flags for headless Chrome with WebGPU (a SwiftShader CPU adapter where there is no GPU).
 * The network flags keep Chrome from reaching out on closed networks, where it would otherwise
 * stall; a fresh userDataDir keeps runs independent. Chrome refuses to run as root with its sandbox.
 * @param {string} userDataDir
 * @returns {string[]}
 */
export function chromeLaunchArgs(userDataDir) {
  const args = [
    '--headless=new',
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
    `--user-data-dir=${userDataDir}`,
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return args;
}
