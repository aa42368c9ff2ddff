// A tiny static file server for the test harness, the demo runner and `npm start`: WebGPU exists
// only in secure contexts, and http://127.0.0.1 and http://localhost count as ones where file:
// and data: URLs do not. Plain JavaScript (typed through JSDoc) so scripts run it without a build.
// @ts-check
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';

/**
 * @typedef {object} StaticServer
 * @property {string} url Base URL without a trailing slash, e.g. http://127.0.0.1:41234
 * @property {number} port
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} StaticServerOptions
 * @property {string} [host] Interface to listen on and host name of `url`; default 127.0.0.1.
 * @property {number} [port] Port to listen on; default 0, a free one. A taken port rejects with EADDRINUSE.
 */

/** @type {Record<string, string>} */
const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

/**
 * Serves the files under rootDir; anything else, or outside rootDir, is a 404.
 * @param {string} rootDir
 * @param {StaticServerOptions} [options]
 * @returns {Promise<StaticServer>}
 */
export function startStaticServer(rootDir, { host = '127.0.0.1', port = 0 } = {}) {
  const root = resolve(rootDir);
  const server = createServer((request, response) => {
    const notFound = () => {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end('not found');
    };
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      return notFound();
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const filePath = resolve(root, '.' + pathname);
    if (!filePath.startsWith(root + sep)) return notFound();
    stat(filePath).then(
      (info) => {
        if (!info.isFile()) return notFound();
        response.writeHead(200, {
          'Content-Type': MIME_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream',
          'Content-Length': info.size,
          'Cache-Control': 'no-store',
        });
        if (request.method === 'HEAD') return response.end();
        createReadStream(filePath).pipe(response);
      },
      () => notFound(),
    );
  });
  return new Promise((resolveStart, rejectStart) => {
    server.once('error', rejectStart);
    server.listen(port, host, () => {
      const address = server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      resolveStart({
        url: `http://${host}:${boundPort}`,
        port: boundPort,
        close: () =>
          new Promise((resolveClose, rejectClose) => {
            server.closeAllConnections();
            server.close((error) => (error ? rejectClose(error) : resolveClose()));
          }),
      });
    });
  });
}
