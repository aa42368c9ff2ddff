// Shows that the MLP training check (bench/workloads.mjs, checkMlp) rejects each mistake it exists
// for: the float64 simulation of the warm-up epoch trained with the mistake must land farther from
// the correct simulation than the check's tolerance; likewise the transformer's first-loss check
// (checkTransformer) for mistakes in its forward pass. `node bench/check-sensitivity.mjs` (five
// MLP simulations, about a minute of CPU in all, and four transformer forward passes, seconds);
// exits 1 if a mistake would pass.
// @ts-check
import { MLP_LOSS_TOLERANCE, TRANSFORMER_FIRST_LOSS_TOLERANCE, simulateMlpWorkload, simulateTransformerWorkload } from './workloads.mjs';

const correct = simulateMlpWorkload().trainedLoss;
console.log(`correct: loss after the warm-up epoch ${correct.toFixed(7)}; check tolerance ${MLP_LOSS_TOLERANCE.toExponential(1)}`);
let passed = 0;
for (const mistake of ['float32Betas', 'epsilon1e-8', 'shuffled', 'misaligned']) {
  const loss = simulateMlpWorkload(mistake).trainedLoss;
  const off = Math.abs(loss - correct);
  const caught = off > MLP_LOSS_TOLERANCE;
  if (!caught) passed++;
  console.log(`${mistake}: ${loss.toFixed(7)}, ${off.toExponential(2)} from correct: ${caught ? 'fails the check' : 'PASSES the check'}`);
}

// The transformer's first loss (checkTransformer): each mistake in the forward pass, in float64.
const transformerCorrect = simulateTransformerWorkload();
console.log(`transformer: first loss ${transformerCorrect.toFixed(7)}; check tolerance ${TRANSFORMER_FIRST_LOSS_TOLERANCE.toExponential(1)}`);
for (const mistake of ['exactGelu', 'layerNormEpsilon1e-3', 'noCausalMask']) {
  const loss = simulateTransformerWorkload(mistake);
  const off = Math.abs(loss - transformerCorrect);
  const caught = off > TRANSFORMER_FIRST_LOSS_TOLERANCE;
  if (!caught) passed++;
  console.log(`transformer ${mistake}: ${loss.toFixed(7)}, ${off.toExponential(2)} from correct: ${caught ? 'fails the check' : 'PASSES the check'}`);
}
process.exit(passed ? 1 : 0);
