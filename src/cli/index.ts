/**
 * `sge-inject/cli`: the command-line tool as a function, for running it in-process (tests, wrappers).
 * Kept apart from the library entry so that importing the library does not load commander.
 *
 * ```ts
 * import { runCli } from 'sge-inject/cli';
 * process.exitCode = await runCli(['model.onnx', '--groups', '64', '--after', 'conv4_*']);
 * ```
 */
export { runCli } from './main.js';
export type { CliIo } from './io.js';
