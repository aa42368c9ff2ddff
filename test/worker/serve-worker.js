// The module worker the worker.fit tests train in: webgrad's worker half, plus a probe that
// reports what webgrad's own checks say inside a worker (no window, no document).
import * as wg from '/dist/webgrad.js';

wg.worker.serve();

addEventListener('message', async (event) => {
  if (event.data !== 'probe') return;
  const supported = await wg.isSupported();
  await wg.init();
  const sum = await wg.add(wg.tensor([1, 2]), wg.tensor([3, 4])).data();
  postMessage({ probe: { supported, initialized: wg.isInitialized(), hasWindow: typeof window !== 'undefined', sum: Array.from(sum) } });
});
