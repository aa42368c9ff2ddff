// A classic script, not a module: browsers refuse ES modules on file:// pages, so a demo opened
// from disk would otherwise show empty panels with the reason only in the console. Says instead
// how to serve the demos.
if (location.protocol === 'file:') {
  const demo = location.pathname.match(/\/demos\/(.*)$/)?.[1]?.replace(/index\.html$/, '') ?? '';
  const message = document.createElement('p');
  message.id = 'file-protocol-message';
  message.className = 'file-protocol-message';
  message.textContent =
    'This page was opened from a file, and browsers do not load JavaScript modules (or WebGPU) on file:// pages. ' +
    `In the webgrad folder run \`npm start\`, then open http://localhost:8080/demos/${demo} ` +
    '(npm start prints the address; it picks another port when 8080 is taken).';
  const show = () => document.body.prepend(message);
  if (document.body) show();
  else document.addEventListener('DOMContentLoaded', show);
  // The handshake `npm run demo` and the tests wait for (see page.js, which cannot load here).
  window.demoStatus = { done: true, error: `FileProtocolError: ${message.textContent}` };
}
