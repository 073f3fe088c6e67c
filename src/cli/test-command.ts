/** `sge-inject test MODEL`: run a model on its test data sets and compare the outputs. */
import { parseNonNegative } from '../shell/parse.js';
import { formatTestReport, testFailedLine } from '../shell/test-data.js';
import { EXIT_OK, EXIT_VALIDATION } from './exit-codes.js';
import type { CliIo } from './io.js';
import type { TestCliOptions } from './program.js';

/** Runs `test`; returns 0 when every output matches, 1 on a mismatch. */
export async function runTest(modelPath: string, options: TestCliOptions, io: CliIo): Promise<number> {
  const rtol = options.rtol === undefined ? undefined : parseNonNegative('--rtol', options.rtol);
  const atol = options.atol === undefined ? undefined : parseNonNegative('--atol', options.atol);
  const { checkTestDataFiles } = await import('../validate/node/test-data-dir.js');
  const { toJsonValue } = await import('../validate/report.js');
  const report = await checkTestDataFiles(modelPath, {
    ...(options.data ? { data: options.data } : {}),
    ...(rtol !== undefined ? { rtol } : {}),
    ...(atol !== undefined ? { atol } : {}),
  });
  if (options.json) io.stdout(`${JSON.stringify({ model: modelPath, test: toJsonValue(report) }, null, 2)}\n`);
  else io.stdout(formatTestReport(report));
  if (!report.passed) {
    io.stderr(`${testFailedLine(report.failures)}\n`);
    return EXIT_VALIDATION;
  }
  return EXIT_OK;
}
