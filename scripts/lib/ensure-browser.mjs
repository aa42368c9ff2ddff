// Gets `npm test` a browser on a fresh machine: when find-browser.mjs finds no Chrome/Chromium,
// download Chrome Headless Shell (puppeteer's pinned build, through @puppeteer/browsers, which
// comes with puppeteer) into puppeteer's cache; where that server is unreachable and this runs as
// root with apt-get, install Debian's chromium (and libvulkan1, which the Node tests need through
// Dawn, when it is missing), as .ci/run does. Every step is reported in a line.
// @ts-check
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hasVulkanLoader } from './dawn-gpu.mjs';
import { PUPPETEER_CACHE_DIR, locateBrowser } from './find-browser.mjs';

/** A server that takes longer than this to answer the reachability probe counts as unreachable. */
const PROBE_TIMEOUT_MS = 15_000;

/**
 * What ensureBrowser needs from the machine, injectable so the decisions can be tested without
 * downloading or installing anything.
 * @typedef {object} BrowserSetupEnvironment
 * @property {() => string | null} locate a browser already here, or null (throws for a CHROME_PATH naming no file)
 * @property {() => Promise<string>} download gets Chrome Headless Shell; resolves to its executable's path
 * @property {(packages: string[]) => void} aptInstall apt-get update, then apt-get install -y packages
 * @property {boolean} isRoot
 * @property {boolean} hasAptGet
 * @property {boolean} hasVulkanLoader whether libvulkan.so.1 is installed
 * @property {(line: string) => void} report
 */

/**
 * The path of a browser: the one already here, else one this gets (see the top of the file).
 * Throws with every failed step and what to do by hand when none can be had.
 * @param {BrowserSetupEnvironment} environment
 * @returns {Promise<string>}
 */
export async function ensureBrowser(environment = systemEnvironment()) {
  const { locate, download, aptInstall, isRoot, hasAptGet, hasVulkanLoader, report } = environment;
  const present = locate();
  if (present) return present;

  /** @type {string[]} */
  const failures = [];
  report(`No Chrome or Chromium found: downloading Chrome Headless Shell (puppeteer's build) into ${PUPPETEER_CACHE_DIR}.`);
  try {
    const path = await download();
    report(`Downloaded Chrome Headless Shell: ${path}`);
    return path;
  } catch (error) {
    failures.push(`downloading Chrome Headless Shell failed: ${messageOf(error)}`);
  }

  if (isRoot && hasAptGet) {
    const packages = hasVulkanLoader ? ['chromium'] : ['chromium', 'libvulkan1'];
    report(`${failures[0]}. Installing Debian's ${packages.join(' and ')} with apt-get instead (running as root).`);
    try {
      aptInstall(packages);
      const path = locate();
      if (path) {
        report(`Installed Debian's chromium: ${path}`);
        return path;
      }
      failures.push('apt-get installed chromium, but no browser is at the usual paths afterwards');
    } catch (error) {
      failures.push(`apt-get install ${packages.join(' ')} failed: ${messageOf(error)}`);
    }
  } else {
    failures.push(isRoot ? 'apt-get is not available to install chromium' : 'not root, so Debian\'s chromium was not installed with apt-get');
  }
  throw new Error(
    `No Chrome or Chromium found, and getting one failed (${failures.join('; ')}). webgrad runs its GPU tests in headless Chromium: ` +
      'install one (Debian/Ubuntu: `apt-get install -y chromium`) or set CHROME_PATH=/path/to/chrome.',
  );
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The real machine: its paths, puppeteer's download, apt-get, console output.
 * @returns {BrowserSetupEnvironment}
 */
export function systemEnvironment() {
  return {
    locate: locateBrowser,
    download: downloadHeadlessShell,
    aptInstall: (packages) => {
      const options = /** @type {const} */ ({ stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      execFileSync('apt-get', ['update'], options);
      execFileSync('apt-get', ['install', '-y', ...packages], options);
    },
    isRoot: process.getuid?.() === 0,
    hasAptGet: ['/usr/bin/apt-get', '/bin/apt-get'].some((path) => existsSync(path)),
    hasVulkanLoader: hasVulkanLoader() !== false,
    report: (line) => console.log(`browser set-up: ${line}`),
  };
}

/** Chrome Headless Shell at the build puppeteer pins, into puppeteer's cache; its executable's path. */
async function downloadHeadlessShell() {
  const { Browser, canDownload, detectBrowserPlatform, install } = await import('@puppeteer/browsers');
  const { PUPPETEER_REVISIONS } = await import('puppeteer-core/internal/revisions.js');
  const platform = detectBrowserPlatform();
  if (!platform) throw new Error(`there is no Chrome Headless Shell build for ${process.platform} ${process.arch}`);
  const options = { browser: Browser.CHROMEHEADLESSSHELL, buildId: PUPPETEER_REVISIONS['chrome-headless-shell'], cacheDir: PUPPETEER_CACHE_DIR, platform };
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const probeTimeout = new Promise((resolve) => { timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS); });
  // @puppeteer/browsers sets no timeouts: on a network that drops packets the probe would hang.
  const reachable = await Promise.race([canDownload(options), probeTimeout]).finally(() => clearTimeout(timer));
  if (!reachable) throw new Error(`build ${options.buildId} for ${platform} could not be reached (offline or blocked network?)`);
  const installed = await install(options);
  return installed.executablePath;
}
