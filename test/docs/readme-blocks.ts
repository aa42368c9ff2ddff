// The README's JavaScript blocks, as a test runs them. A block fenced ```js is a page script: it
// runs in the test page, its `import * as wg from …` line bound to the page's webgrad. A block
// fenced ```js node runs in Node (its own process, webgrad through Dawn). A block fenced
// ```js not-run (reason) is shown only; the reason is required, and the test lists them.

export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  kind: 'page' | 'node' | 'not-run';
  code: string;
  /** Why a not-run block is not run. */
  reason?: string;
}

const FENCE = /^```js(?:\s+(node|not-run)(?:\s*\((.+)\))?)?\s*$/;

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    const kind = open[1] === 'node' ? 'node' : open[1] === 'not-run' ? 'not-run' : 'page';
    blocks.push({ line: start + 1, kind, code: body.join('\n'), ...(open[2] ? { reason: open[2] } : {}) });
  }
  return blocks;
}

const WEBGRAD_IMPORT = /^import \* as wg from '(?:webgrad|\.\/dist\/webgrad\.js)';\s*$/m;

/**
 * A page block as an async function body run in the test page: its webgrad import becomes the
 * page's webgrad. Any other import is an error (a page script here has only webgrad).
 */
export function pageScript(block: ReadmeBlock): string {
  if (!WEBGRAD_IMPORT.test(block.code)) throw new Error(`README line ${block.line}: the block does not import webgrad (import * as wg from 'webgrad')`);
  const code = block.code.replace(WEBGRAD_IMPORT, 'const wg = window.wg;');
  if (/^import\s/m.test(code)) throw new Error(`README line ${block.line}: a page block may import only webgrad`);
  return `(async () => {\n${code}\n})()`;
}
