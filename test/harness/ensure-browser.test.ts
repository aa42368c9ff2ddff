// What `npm test` does when it finds no browser (scripts/lib/ensure-browser.mjs), with the machine
// injected: nothing is downloaded or installed here. Each case records the calls and report lines.
import { describe, expect, it } from 'vitest';
import { ensureBrowser, type BrowserSetupEnvironment } from '../../scripts/lib/ensure-browser.mjs';

interface Machine {
  /** What locate() returns, call by call (the last repeats). */
  located: (string | null)[];
  download?: () => Promise<string>;
  aptFails?: boolean;
  isRoot?: boolean;
  hasAptGet?: boolean;
  hasVulkanLoader?: boolean;
}

function fakeMachine(machine: Machine) {
  const calls: string[] = [];
  const reports: string[] = [];
  let locates = 0;
  const environment: BrowserSetupEnvironment = {
    locate: () => {
      calls.push('locate');
      return machine.located[Math.min(locates++, machine.located.length - 1)];
    },
    download: async () => {
      calls.push('download');
      if (!machine.download) throw new Error('no download in this machine');
      return machine.download();
    },
    aptInstall: (packages) => {
      calls.push(`apt-get install ${packages.join(' ')}`);
      if (machine.aptFails) throw new Error('apt-get exited with 100');
    },
    isRoot: machine.isRoot ?? false,
    hasAptGet: machine.hasAptGet ?? false,
    hasVulkanLoader: machine.hasVulkanLoader ?? true,
    report: (line) => reports.push(line),
  };
  return { environment, calls, reports };
}

const unreachable = async (): Promise<string> => { throw new Error('build 148 for linux could not be reached'); };

describe('ensureBrowser', () => {
  it('uses a browser that is already there, and says nothing', async () => {
    const { environment, calls, reports } = fakeMachine({ located: ['/usr/bin/chromium'], download: async () => '/never', isRoot: true, hasAptGet: true });
    expect(await ensureBrowser(environment)).toBe('/usr/bin/chromium');
    expect(calls).toEqual(['locate']);
    expect(reports).toEqual([]);
  });

  it('downloads Chrome Headless Shell when none is found, and says so', async () => {
    const shell = '/root/.cache/puppeteer/chrome-headless-shell/linux-148/chrome-headless-shell-linux64/chrome-headless-shell';
    const { environment, calls, reports } = fakeMachine({ located: [null], download: async () => shell, isRoot: true, hasAptGet: true });
    expect(await ensureBrowser(environment)).toBe(shell);
    expect(calls).toEqual(['locate', 'download']);
    expect(reports[0]).toMatch(/No Chrome or Chromium found: downloading Chrome Headless Shell/);
    expect(reports[1]).toBe(`Downloaded Chrome Headless Shell: ${shell}`);
  });

  it('as root with apt-get, installs Debian\'s chromium (and libvulkan1 when missing) where the download is unreachable', async () => {
    const { environment, calls, reports } = fakeMachine({ located: [null, '/usr/bin/chromium'], download: unreachable, isRoot: true, hasAptGet: true, hasVulkanLoader: false });
    expect(await ensureBrowser(environment)).toBe('/usr/bin/chromium');
    expect(calls).toEqual(['locate', 'download', 'apt-get install chromium libvulkan1', 'locate']);
    expect(reports[1]).toContain('could not be reached');
    expect(reports[1]).toContain("Installing Debian's chromium and libvulkan1 with apt-get");
    expect(reports[2]).toBe("Installed Debian's chromium: /usr/bin/chromium");

    const withLoader = fakeMachine({ located: [null, '/usr/bin/chromium'], download: unreachable, isRoot: true, hasAptGet: true, hasVulkanLoader: true });
    await ensureBrowser(withLoader.environment);
    expect(withLoader.calls).toContain('apt-get install chromium');
  });

  it('fails with every reason and the manual way when nothing works: not root, no apt-get, apt-get failing', async () => {
    const cases: [Machine, RegExp][] = [
      [{ located: [null], download: unreachable, isRoot: false, hasAptGet: true }, /could not be reached; not root, so Debian's chromium was not installed/],
      [{ located: [null], download: unreachable, isRoot: true, hasAptGet: false }, /could not be reached; apt-get is not available/],
      [{ located: [null], download: unreachable, isRoot: true, hasAptGet: true, aptFails: true }, /apt-get install chromium failed: apt-get exited with 100/],
      [{ located: [null, null], download: unreachable, isRoot: true, hasAptGet: true }, /apt-get installed chromium, but no browser is at the usual paths/],
    ];
    for (const [machine, reason] of cases) {
      const { environment, calls } = fakeMachine(machine);
      const failure = ensureBrowser(environment);
      await expect(failure).rejects.toThrow(reason);
      await expect(failure).rejects.toThrow(/install one \(Debian\/Ubuntu: `apt-get install -y chromium`\) or set CHROME_PATH/);
      expect(calls.filter((call) => call.startsWith('apt-get')).length).toBe(machine.isRoot && machine.hasAptGet ? 1 : 0);
    }
  });

  it('does not download over a CHROME_PATH that names no file: that error is the user\'s to fix', async () => {
    const { environment, calls } = fakeMachine({ located: [null], download: async () => '/never' });
    environment.locate = () => {
      calls.push('locate');
      throw new Error('CHROME_PATH is set to /nowhere/chrome, but no file exists there.');
    };
    await expect(ensureBrowser(environment)).rejects.toThrow('CHROME_PATH is set to /nowhere/chrome');
    expect(calls).toEqual(['locate']);
  });
});
