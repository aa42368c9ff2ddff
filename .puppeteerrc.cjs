// webgrad finds a system Chrome/Chromium itself (see test/harness/find-browser.ts):
// puppeteer's own browser download cannot run on closed networks.
module.exports = { skipDownload: true };
