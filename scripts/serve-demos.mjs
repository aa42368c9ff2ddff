// `npm start`: builds the bundle, serves the repository on http://localhost:<port> and prints the
// demos' address. Port 8080 unless PORT says otherwise; a free port when that one is taken.
// @ts-check
import { buildBundle, repoRoot } from './lib/repo.mjs';
import { startStaticServer } from './lib/static-server.mjs';

const DEFAULT_PORT = 8080;

/** @returns {number} */
function requestedPort() {
  const text = process.env.PORT;
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got '${text}'`);
  }
  return port;
}

/**
 * @param {number} port
 * @returns {ReturnType<typeof startStaticServer>}
 */
async function serve(port) {
  try {
    return await startStaticServer(repoRoot, { host: 'localhost', port });
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    console.log(`Port ${port} is not available (${code}); using a free one.`);
    return startStaticServer(repoRoot, { host: 'localhost' });
  }
}

buildBundle();
const server = await serve(requestedPort());
console.log(`\nServing ${repoRoot}\nDemos: ${server.url}/demos/index.html\nCtrl-C stops the server.`);

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}
