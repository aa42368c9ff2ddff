// Shows that the MLP training check (bench/workloads.mjs, checkMlp) rejects each mistake it exists
// for: the float64 simulation of the warm-up epoch trained with the mistake must land farther from
// the correct simulation than the check's tolerance. `node bench/check-sensitivity.mjs` (five
// simulations, about a minute of CPU in all); exits 1 if a mistake would pass.
// @ts-check
import { MLP_LOSS_TOLERANCE, simulateMlpWorkload } from './workloads.mjs';

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
process.exit(passed ? 1 : 0);
