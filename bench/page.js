// The in-page half of `npm run bench`: loads one library adapter (bench/libs/<lib>.js, chosen by
// ?lib=) and exposes window.bench.run(spec), which runs one case through it (bench/cases.js:
// seeded inputs, warm-up, timed repetitions, checks against float64). bench/run.mjs drives it.
//
// An adapter's default export:
//   init() -> { adapter: GPUAdapterInfo fields }       starts the library on its WebGPU backend
//   matmul(a, b, m, k, n) / add(a, b) / chain(a, b) -> KernelOp, inputs as Float32Array
//     KernelOp: step() -> handle (enqueues one call); settle(handles) waits for them to finish;
//               read(handle) -> Float32Array (waits, reads back, frees); release(handle); dispose()
//   profile(run, steps) -> { dispatchesPerStep, jsMsPerStep } (optional): one run of `run` (an async
//     function of `steps` steps), measured by the adapter (webgrad's: see webgrad-adapter.js)
//   trainLoop(spec) -> the same Session, trained by a hand-written loop (optional; jax-js's train is one)
//   train(spec) -> Session for a Dense stack (spec: x, y, samples, units, activations, loss,
//     batchSize, learningRate, weights as [{shape, values}] in Keras getWeights order)
//     Session: fit(epochs) resolves, when training is done, to the number of epochs it ran (a
//              History's length); loss() -> mean loss over all samples
//              (not timed); dispose()
//   transformer(spec) -> the transformer workload's model from spec.weights (bench/inputs.js
//     transformerWeights), jitted or not (spec.compiled); its train(batches) queues one training step
//     per { inputs, targets } batch and resolves to their losses, read back once; dispose()
//     (for the libraries bench/workloads.mjs lists for that workload)
import { describeError, runCase } from './cases.js';

window.bench = { status: 'loading' };
try {
  const libraryName = new URLSearchParams(location.search).get('lib');
  const library = (await import(`./libs/${libraryName}.js`)).default;
  const info = await library.init();
  window.bench = {
    status: 'ready',
    info,
    run: (spec) => runCase(library, spec),
  };
} catch (error) {
  console.error(error instanceof Error && error.stack ? error.stack : describeError(error));
  window.bench = { status: 'failed', error: describeError(error) };
}
