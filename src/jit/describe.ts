// A compiled program for people: a text summary (ops, fused kernels, dispatch count, arena bytes)
// and a Mermaid flowchart of its steps and the values between them.
import type { ProgramSummary } from './program';

export function describeProgram(signature: string, summary: ProgramSummary): string {
  const lines = [
    `program for (${signature || 'no arguments'}):`,
    `  ${summary.tracedDispatches} dispatches traced -> ${summary.dispatches} per call (${summary.fusedKernels.length} fused kernels, ${summary.folded.length} steps folded into constants, ${summary.deadDispatches} dead dispatches dropped), ${summary.copies} copies`,
    `  arena: ${summary.arenaBuffers} buffers, ${summary.arenaBytes} bytes (the trace allocated ${summary.tracedBytes}); argument slots: ${summary.inputBytes} bytes`,
    `  captured tensors: ${summary.capturedTensors}; per-call uniforms: ${summary.perCallUniforms} dispatches; per-call callbacks: ${summary.perCallCallbacks}`,
    ...summary.steps.map((step, k) => `  ${k + 1}. ${describeStep(step)}`),
    ...(summary.folded.length > 0 ? ['  folded (ran once when compiled):', ...summary.folded.map((step) => `    ${describeStep(step)}`)] : []),
  ];
  return lines.join('\n');
}

function describeStep(step: ProgramSummary['steps'][number]): string {
  const values = (ids: readonly number[]): string => ids.map((id) => `v${id}`).join(' ');
  return `${step.label}  reads [${values(step.reads)}] writes [${values(step.writes)}]`;
}

/** Steps as boxes, values as edges from the step that last wrote them to each step reading them. */
export function programMermaid(summaries: readonly ProgramSummary[]): string {
  const lines = ['flowchart TD'];
  summaries.forEach((summary, p) => {
    if (summaries.length > 1) lines.push(`  subgraph program${p}`);
    const writer = new Map<number, string>();
    summary.steps.forEach((step, k) => {
      const node = `p${p}s${k}`;
      lines.push(`  ${node}["${step.label.replace(/"/g, "'")}"]`);
      for (const id of step.reads) {
        const from = writer.get(id);
        lines.push(from ? `  ${from} -->|v${id}| ${node}` : `  v${p}_${id}(("v${id}")) --> ${node}`);
      }
      for (const id of step.writes) writer.set(id, node);
    });
    if (summaries.length > 1) lines.push('  end');
  });
  return lines.join('\n');
}
