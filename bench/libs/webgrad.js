// webgrad in the benchmark page (the adapter itself: webgrad-adapter.js).
// bench/run.mjs passes ?bundle=<url> of its own copy of the build, so that a build someone else
// starts in the same tree during the run cannot swap the code being measured.
import { webgradAdapter } from './webgrad-adapter.js';

const wg = await import(new URLSearchParams(location.search).get('bundle') ?? '/dist/webgrad.js');

export default webgradAdapter(wg);
