// Moving saved models around in a real browser: IndexedDB, a POST to a URL (intercepted through
// CDP, the multipart body parsed here), loading from a URL (files served through puppeteer's
// request interception), and a browser download (CDP download behaviour into a temp dir).
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HTTPRequest, Protocol } from 'puppeteer';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { parseSafetensors } from './safetensors-reader';

const gpu = useGpuPage();

/** While `body` runs, requests `handler` answers (returns true for) are its; the rest go through. */
async function withInterception<T>(handler: (request: HTTPRequest) => boolean, body: () => Promise<T>): Promise<T> {
  const { page } = gpu;
  const listener = (request: HTTPRequest): void => {
    if (request.isInterceptResolutionHandled()) return;
    if (!handler(request)) void request.continue();
  };
  await page.setRequestInterception(true);
  page.on('request', listener);
  try {
    return await body();
  } finally {
    page.off('request', listener);
    await page.setRequestInterception(false);
  }
}

/** Splits a multipart/form-data body into its parts: headers and raw bytes. */
function parseMultipart(body: Buffer, contentType: string): { name: string; filename: string; type: string; bytes: Buffer }[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    parts.push({
      name: /name="([^"]*)"/.exec(headers)?.[1] ?? '',
      filename: /filename="([^"]*)"/.exec(headers)?.[1] ?? '',
      type: /content-type: *([^\r\n]*)/i.exec(headers)?.[1] ?? '',
      bytes: part.subarray(headerEnd + 4),
    });
    at = next;
  }
  return parts;
}

afterEach(async () => {
  // The storage tests navigate nowhere; only make sure interception is off for the next one.
  await gpu.page.setRequestInterception(false);
});

describe('model storage in the browser', () => {
  it('saveModelToIndexedDB → loadModelFromIndexedDB predicts the same bits; an unknown key throws', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(12);
      const model = new wg.Sequential([new wg.layers.Dense(4, { activation: 'relu', inputShape: [3] }), new wg.layers.Dense(2)]);
      const x = wg.randn([5, 3]);
      await wg.saveModelToIndexedDB(model, 'webgrad-test-model');
      const loaded = await wg.loadModelFromIndexedDB('webgrad-test-model');
      const [a, b] = [model.predict(x), loaded.predict(x)];
      let missing = '';
      try {
        await wg.loadModelFromIndexedDB('no-such-model');
      } catch (error) {
        missing = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const result = { a: await a.data(), b: await b.data(), missing };
      [x, a, b].forEach((t) => t.dispose());
      model.dispose();
      loaded.dispose();
      return result;
    });
    expect(Array.from(out.b)).toEqual(Array.from(out.a));
    expect(out.missing).toMatch(/^ValueError: loadModelFromIndexedDB: no model stored under 'no-such-model'/);
  });

  it('saveModelToUrl POSTs multipart form data with model.json and model.safetensors', async () => {
    const uploadUrl = `${inject('baseUrl')}/upload-model`;
    // The request is paused through the CDP Fetch domain (what puppeteer's setRequestInterception
    // runs on): its postDataEntries carry the body as base64 bytes, where puppeteer's postData()
    // decodes them as UTF-8 text and would garble the binary weights.
    const session = await gpu.page.createCDPSession();
    const captured: { method: string; contentType: string; body: Buffer }[] = [];
    session.on('Fetch.requestPaused', (event: Protocol.Fetch.RequestPausedEvent) => {
      const { request } = event;
      captured.push({
        method: request.method,
        contentType: request.headers['Content-Type'] ?? request.headers['content-type'] ?? '',
        body: Buffer.concat((request.postDataEntries ?? []).map((entry) => Buffer.from(entry.bytes ?? '', 'base64'))),
      });
      void session.send('Fetch.fulfillRequest', {
        requestId: event.requestId,
        responseCode: 200,
        responseHeaders: [{ name: 'Content-Type', value: 'application/json' }],
        body: Buffer.from('{"stored":true}').toString('base64'),
      });
    });
    await session.send('Fetch.enable', { patterns: [{ urlPattern: uploadUrl }] });
    let out;
    try {
      out = await gpu.run(async (wg, url) => {
        wg.setSeed(13);
        const model = new wg.Sequential([new wg.layers.Dense(3, { activation: 'tanh', inputShape: [2] }), new wg.layers.Dense(1)]);
        const response = await wg.saveModelToUrl(model, url);
        const saved = await model.save();
        model.dispose();
        return { status: response.status, answer: await response.json(), weights: new Uint8Array(saved.weights), modelJson: saved.modelJson };
      }, uploadUrl);
    } finally {
      await session.send('Fetch.disable');
      await session.detach();
    }
    expect(out.status).toBe(200);
    expect(out.answer).toEqual({ stored: true });
    expect(captured).toHaveLength(1);
    const [request] = captured;
    expect(request.method).toBe('POST');
    expect(request.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const parts = parseMultipart(request.body, request.contentType);
    expect(parts.map(({ name, filename, type }) => ({ name, filename, type }))).toEqual([
      { name: 'model.json', filename: 'model.json', type: 'application/json' },
      { name: 'model.safetensors', filename: 'model.safetensors', type: 'application/octet-stream' },
    ]);
    expect(JSON.parse(parts[0].bytes.toString('utf8'))).toEqual({ ...out.modelJson, weightsPath: 'model.safetensors' });
    expect(new Uint8Array(parts[1].bytes)).toEqual(out.weights);
    expect(parseSafetensors(new Uint8Array(parts[1].bytes)).tensors).toHaveLength(4);
  });

  it('loadModelFromUrl fetches model.json and the weights file it names, relative to it', async () => {
    // Save in the page, then serve the two files from a URL that exists only through interception.
    const saved = await gpu.run(async (wg) => {
      wg.setSeed(14);
      const model = new wg.Sequential([new wg.layers.Dense(5, { activation: 'sigmoid', inputShape: [4] }), new wg.layers.Dense(3, { activation: 'softmax' })]);
      const { modelJson, weights } = await model.save();
      const x = wg.randn([6, 4]);
      const prediction = model.predict(x);
      const result = { modelJson, weights: new Uint8Array(weights), x: await x.data(), prediction: await prediction.data() };
      [x, prediction].forEach((t) => t.dispose());
      model.dispose();
      return result;
    });
    const base = `${inject('baseUrl')}/virtual-models/classifier`;
    const served: string[] = [];
    const routes = new Map<string, { contentType: string; body: Buffer }>([
      [`${base}/model.json`, { contentType: 'application/json', body: Buffer.from(JSON.stringify({ ...saved.modelJson, weightsPath: 'weights/classifier.safetensors' })) }],
      [`${base}/weights/classifier.safetensors`, { contentType: 'application/octet-stream', body: Buffer.from(saved.weights) }],
    ]);
    const out = await withInterception(
      (request) => {
        const route = routes.get(request.url());
        if (!route) return false;
        served.push(request.url());
        void request.respond({ status: 200, ...route });
        return true;
      },
      () => gpu.run(async (wg, { url, x: values }) => {
        const model = await wg.loadModelFromUrl(url);
        const x = wg.tensor(values, [6, 4]);
        const prediction = model.predict(x);
        let missing = '';
        try {
          await wg.loadModelFromUrl(url.replace('classifier/model.json', 'absent/model.json'));
        } catch (error) {
          missing = `${(error as Error).name}: ${(error as Error).message}`;
        }
        const result = { prediction: await prediction.data(), missing };
        [x, prediction].forEach((t) => t.dispose());
        model.dispose();
        return result;
      }, { url: `${base}/model.json`, x: saved.x }),
    );
    expect(served).toEqual([...routes.keys()]);
    expect(Array.from(out.prediction)).toEqual(Array.from(saved.prediction));
    expect(out.missing).toMatch(/^ValueError: loadModelFromUrl: GET .*\/virtual-models\/absent\/model\.json answered 404/);
  });

  it('downloadModel offers <name>.json and <name>.safetensors as downloads', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'webgrad-downloads-'));
    try {
      const session = await gpu.page.createCDPSession();
      await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: directory });
      const saved = await gpu.run(async (wg) => {
        wg.setSeed(15);
        const model = new wg.Sequential([new wg.layers.Dense(2, { inputShape: [3] })]);
        await wg.downloadModel(model, 'tiny-model');
        const { modelJson, weights } = await model.save();
        model.dispose();
        return { modelJson, weights: new Uint8Array(weights) };
      });
      // Downloads complete asynchronously (a .crdownload file is renamed when done).
      const wanted = ['tiny-model.json', 'tiny-model.safetensors'];
      const deadline = Date.now() + 15_000;
      let files: string[] = [];
      while (Date.now() < deadline) {
        files = (await readdir(directory)).sort();
        if (wanted.every((name) => files.includes(name))) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await session.send('Browser.setDownloadBehavior', { behavior: 'default' });
      await session.detach();
      expect(files).toEqual(wanted);
      const json = JSON.parse(await readFile(join(directory, 'tiny-model.json'), 'utf8'));
      expect(json).toEqual({ ...saved.modelJson, weightsPath: 'tiny-model.safetensors' });
      const bytes = new Uint8Array(await readFile(join(directory, 'tiny-model.safetensors')));
      expect(bytes).toEqual(saved.weights);
      expect(parseSafetensors(bytes).tensors.map((t) => t.shape)).toEqual([[3, 2], [2]]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
