// Training in a dedicated Web Worker: worker.fit on the page, worker.serve in the worker.
export { fit, type WorkerFit, type WorkerFitOptions } from './fit';
export { serve } from './serve';
export type { WorkerEndpoint } from './protocol';
