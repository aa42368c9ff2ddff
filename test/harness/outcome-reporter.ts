// A reporter that runs beside vitest's own and ends every run with the outcome of every test file
// in plain words. When a file's set-up fails (a beforeAll hook such as opening its GPU page),
// vitest marks the file's tests "skipped", which reads as if nothing were wrong; here those tests
// count as failed, and the file is named with the set-up error. The last line has the plain
// "tests: N passed, N failed, N skipped" form that CI logs are read for.
import type { SerializedError } from '@vitest/utils';
import type { Reporter, TestModule, TestSuite } from 'vitest/node';

interface FileOutcome {
  file: string;
  passed: number;
  failed: number;
  /** Tests skipped on purpose (it.skip, it.todo). */
  skipped: number;
  /** Tests that were meant to run but did not, because a hook of their suite or file failed. */
  notRun: number;
  /** Errors of hooks and of the file itself, outside any test. */
  setupErrors: string[];
}

function firstLine(error: SerializedError): string {
  const text = `${error.name ?? 'Error'}: ${error.message ?? String(error)}`;
  return text.split('\n')[0];
}

function outcomeOf(module: TestModule): FileOutcome {
  const outcome: FileOutcome = { file: module.relativeModuleId, passed: 0, failed: 0, skipped: 0, notRun: 0, setupErrors: [] };
  const suites: (TestModule | TestSuite)[] = [module, ...module.children.allSuites()];
  for (const suite of suites) outcome.setupErrors.push(...suite.errors().map(firstLine));
  const setupFailed = outcome.setupErrors.length > 0 || module.state() === 'failed';
  for (const test of module.children.allTests()) {
    const { state } = test.result();
    if (state === 'passed') outcome.passed += 1;
    else if (state === 'failed') outcome.failed += 1;
    else if (test.options.mode === 'skip' || test.options.mode === 'todo' || !setupFailed) outcome.skipped += 1;
    else outcome.notRun += 1;
  }
  return outcome;
}

export default class OutcomeReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const outcomes = modules.map(outcomeOf);
    const lines: string[] = ['', 'Outcome of every test file:'];
    for (const file of outcomes) {
      const broken = file.failed > 0 || file.notRun > 0 || file.setupErrors.length > 0;
      const counts = `${file.passed} passed, ${file.failed} failed` +
        (file.notRun ? `, ${file.notRun} did not run` : '') + (file.skipped ? `, ${file.skipped} skipped` : '');
      lines.push(`  ${broken ? 'FAILED' : 'ok    '} ${file.file} (${counts})`);
      for (const error of file.setupErrors) lines.push(`           set-up failed: ${error}`);
    }
    for (const error of unhandledErrors) lines.push(`  FAILED unhandled error: ${firstLine(error)}`);
    const sum = (pick: (file: FileOutcome) => number): number => outcomes.reduce((total, file) => total + pick(file), 0);
    // Tests that never ran because their set-up failed are failures, not skips.
    lines.push(`tests: ${sum((f) => f.passed)} passed, ${sum((f) => f.failed + f.notRun)} failed, ${sum((f) => f.skipped)} skipped`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
