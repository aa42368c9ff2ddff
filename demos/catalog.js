// Every demo, in the order demos/index.html lists them. Adding a demo is one entry here plus its
// folder demos/<name>/ with an index.html; `npm run demo -- <name>` reads this list too.
export const demos = [
  {
    name: 'backprop',
    title: 'Backprop, step by step',
    description: 'The tutorial\'s worked example (one sigmoid layer, one sample): forward, loss, every gradient from the tape and one update, beside the text\'s printed figures and a float64 computation by hand, with the recorded graph drawn.',
  },
  {
    name: 'xor',
    title: 'XOR',
    description: 'A 2-2-1 sigmoid network trained live twice: exactly as the reference text writes it, and with standardized inputs and Adam at 0.05.',
  },
  {
    name: 'regression',
    title: 'Sine regression',
    description: 'A Dense(32, tanh) → Dense(32, tanh) → Dense(1) network fits 200 noisy samples of sin(x), the data, the current fit and the loss drawn live.',
  },
  {
    name: 'text',
    title: 'Character transformer',
    description: 'A small causal transformer learns Genesis (KJV) or your own text character by character, with live samples at an adjustable temperature; then it learns to reverse digit strings, scored on held-out ones.',
  },
  {
    name: 'digits',
    title: 'Handwritten digits',
    description: 'A small CNN trained live on 8,000 real MNIST digits and tested on 2,000 held out (loss and accuracy curves as it trains); then draw a digit and see what it reads.',
  },
  {
    name: 'pairs',
    title: 'Same digit? (functional API)',
    description: 'Two inputs, one shared residual encoder and a merged head, built with wg.input / layer.apply / wg.model and trained live on pairs of MNIST digits: does the pair show the same digit?',
  },
  {
    name: 'worker',
    title: 'Training in a Worker',
    description: 'The digits CNN trained in a Web Worker with wg.worker.fit, then the same run on the main thread, while the page animates and measures its frame times: fps and frame-interval percentiles of each, and the same trained weights from both.',
  },
];
