// The worker the demo trains in: webgrad's worker half is all it needs (a model with custom
// layers would register their classes here first).
import * as wg from '../../dist/webgrad.js';

wg.worker.serve();
