// What every demo page shares: a status line, an error panel, a log panel, and the
// window.demoStatus handshake that `npm run demo` (scripts/run-demo.mjs) and the tests wait for:
//   { done: false }  →  { done: true, result: {...} }  or  { done: true, error: 'Name: message' }
// Pages load this file with its own <script type="module"> before their main module, so the
// listeners below are in place even when the main module (or dist/webgrad.js) fails to load.

window.demoStatus = { done: false };

/** The element #id, created at the end of <body> when the page has none. */
function element(id, tag = 'div') {
  let found = document.getElementById(id);
  if (!found) {
    found = document.createElement(tag);
    found.id = id;
    document.body.append(found);
  }
  return found;
}

/** Shows one line of progress at the top of the page. */
export function setStatus(text) {
  element('demo-status').textContent = text;
}

/** Appends a line to the page's log panel and to the console (which `npm run demo` forwards). */
export function log(message) {
  console.log(message);
  const panel = element('demo-log', 'pre');
  panel.textContent += `${message}\n`;
  panel.scrollTop = panel.scrollHeight;
}

/** Shows an error on the page, logs it, and ends the run with it unless the run already ended. */
export function fail(error) {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(error instanceof Error && error.stack ? error.stack : message);
  const panel = element('demo-error');
  panel.hidden = false;
  panel.textContent += `${message}\n`;
  if (!window.demoStatus.done) {
    window.demoStatus = { done: true, error: message };
    setStatus('Failed: see the error below.');
  }
}

/** Runs the demo's main function and reports its result (a plain JSON object) or its error. */
export async function runDemo(main) {
  setStatus('Running…');
  try {
    const result = await main();
    if (window.demoStatus.done) return;
    window.demoStatus = { done: true, result };
    setStatus('Done.');
  } catch (error) {
    fail(error);
  }
}

addEventListener(
  'error',
  (event) => {
    if (event instanceof ErrorEvent) {
      fail(event.error ?? event.message);
    } else if (event.target instanceof HTMLScriptElement) {
      // A module graph that fails to load fires a plain 'error' at its <script>, which only a
      // capturing listener sees.
      fail(`could not load ${event.target.src} or a module it imports (is dist/webgrad.js built? \`npm start\` builds it)`);
    }
  },
  true,
);
addEventListener('unhandledrejection', (event) => fail(event.reason));

/** Appends a table row of `cells` (each shown as text) to the element #tableId; returns the row. */
export function appendRow(tableId, cells) {
  const tr = document.createElement('tr');
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = String(text);
    tr.append(td);
  }
  element(tableId).append(tr);
  return tr;
}
