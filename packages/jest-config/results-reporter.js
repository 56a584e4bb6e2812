// Writes one JSON line of totals per package run, so the root test script can print "N passed, M failed"
// across every package (and notice a package whose run crashed before reporting anything). It also names the

import path from 'node:path';
import { writeFileSync } from 'node:fs';

const FAILURE_TEXT_LIMIT = 400;

function gist(message) {
  // Jest's failure messages carry ANSI colours, blank lines and a stack; keep the lines before the stack
  // (the matcher, Expected, Received), joined on one line.
  const lines = [];
  for (const raw of String(message ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('at ')) break;
    if (line.length > 0) lines.push(line);
  }
  const text = lines.join(' | ');
  return text.length > FAILURE_TEXT_LIMIT ? `${text.slice(0, FAILURE_TEXT_LIMIT)}…` : text;
}

export default class ResultsReporter {
  constructor(globalConfig, options) {
    this.outputFile = options.outputFile;
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const failures = [];
    for (const suite of results.testResults) {
      const file = path.relative(this.rootDir, suite.testFilePath);
      if (suite.testExecError) failures.push({ file, test: '(suite failed to run)', message: gist(suite.testExecError.message) });
      for (const test of suite.testResults) {
        if (test.status === 'failed') failures.push({ file, test: test.fullName, message: gist(test.failureMessages[0]) });
      }
    }
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests,
      pending: results.numPendingTests + results.numTodoTests,
      failedSuites: results.numFailedTestSuites,
      runtimeErrorSuites: results.numRuntimeErrorTestSuites,
      totalSuites: results.numTotalTestSuites,
      failures,
      finishedAt: new Date().toISOString(),
    };
    writeFileSync(this.outputFile, JSON.stringify(summary));
  }
}
