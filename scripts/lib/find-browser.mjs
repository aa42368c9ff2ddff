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

/**
 * Browsers puppeteer downloaded earlier: ~/.cache/puppeteer/chrome/<version>/chrome-<platform>/chrome…
 * @returns {string[]}
 */
function puppeteerCacheBrowsers() {
  const chromeDir = join(homedir(), '.cache', 'puppeteer', 'chrome');
  if (!existsSync(chromeDir)) return [];
  /** @type {string[]} */
  const found = [];
  for (const version of readdirSync(chromeDir).sort().reverse()) {
    const versionDir = join(chromeDir, version);
    let platformDirs;
    try {
      platformDirs = readdirSync(versionDir).filter((name) => name.startsWith('chrome-'));
    } catch {
      continue;
    }
    for (const platformDir of platformDirs) {
      found.push(
        join(versionDir, platformDir, 'chrome'),
        join(versionDir, platformDir, 'chrome.exe'),
        join(versionDir, platformDir, 'Google Chrome for Testing.app', 'Contents', 'MacOS', 'Google Chrome for Testing'),
      );
    }
  }
  return found;
}

/**
 * Returns the path of a Chrome/Chromium executable, or throws an Error saying how to get one.
 * @returns {string}
 */
export function findBrowser() {
  for (const variable of ['CHROME_PATH', 'PUPPETEER_EXECUTABLE_PATH']) {
    const path = process.env[variable];
    if (!path) continue;
    if (existsSync(path)) return path;
    throw new Error(`${variable} is set to ${path}, but no file exists there.`);
  }
  for (const path of [...SYSTEM_BROWSER_PATHS, ...puppeteerCacheBrowsers()]) {
    if (existsSync(path)) return path;
  }
  throw new Error(
    'No Chrome or Chromium found; webgrad runs its GPU tests in headless Chromium. ' +
      'Install one (Debian/Ubuntu: `apt-get install -y chromium`) ' +
      'or set CHROME_PATH=/path/to/chrome. ' +
      `Looked in: CHROME_PATH, PUPPETEER_EXECUTABLE_PATH, ${SYSTEM_BROWSER_PATHS.join(', ')}, ~/.cache/puppeteer/chrome.`,
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
