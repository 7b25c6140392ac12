// Prints the closing line CI reads: `N passed, N failed` over every test in the run.
// A suite that failed to load (syntax error, failed setup) counts as one failure so it cannot hide.
// Written when the process exits, so that it comes after Jest's own summary.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed`;
    process.once('exit', () => process.stderr.write(`\n${line}\n`));
  }
}

module.exports = SummaryReporter;
