// Writes one JSON line of totals per package run, so the root test script can print "N passed, M failed"
// across every package (and notice a package whose run crashed before reporting anything).
import { writeFileSync } from 'node:fs';

export default class ResultsReporter {
  constructor(globalConfig, options) {
    this.outputFile = options.outputFile;
  }

  onRunComplete(_contexts, results) {
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      pending: results.numPendingTests + results.numTodoTests,
      failedSuites: results.numFailedTestSuites,
      runtimeErrorSuites: results.numRuntimeErrorTestSuites,
      totalSuites: results.numTotalTestSuites,
      finishedAt: new Date().toISOString(),
    };
    writeFileSync(this.outputFile, JSON.stringify(summary));
  }
}
