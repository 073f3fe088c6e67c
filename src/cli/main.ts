/**
 * Entry point of the command-line tool: parses arguments, runs the command, and turns every outcome
 * into an exit status and a short message. Stack traces only with --debug.
 */
import { CommanderError } from 'commander';
import { existsSync, lstatSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { describeError } from '../shell/error.js';
import { distance } from '../graph/suggest.js';
import { buildProgram } from './program.js';
import { processIo, type CliIo } from './io.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, EXIT_VALIDATION } from './exit-codes.js';

/** Renders an error for the terminal and picks the exit status. */
export function reportError(err: unknown, io: CliIo, debug: boolean): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message; help and version are not errors.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
      return EXIT_OK;
    return EXIT_USAGE;
  }
  const { kind, lines } = describeError(err, debug);
  for (const line of lines) io.stderr(`${line}\n`);
  return kind === 'input' ? EXIT_USAGE : kind === 'validation' ? EXIT_VALIDATION : EXIT_INTERNAL;
}

/** True when something has this name, even a dangling or looping symbolic link (then it is the model). */
function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first argument is a command or the model. A bare word that is no file and is close to a command
 * name (`lsit`), or that is followed by a model file (`sge-inject fuse m.onnx` before fuse existed), is a
 * misspelled or unknown command: say so, instead of commander's "too many arguments" or "no such model".
 */
function checkCommandWord(argv: readonly string[], commands: readonly string[]): void {
  const word = argv[0];
  if (word === undefined || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(word) || commands.includes(word) || entryExists(word))
    return;
  // One slip in a short command name (`cj`), two in a longer one (`lsit`, `valdate`).
  const near = commands.filter((c) => distance(word.toLowerCase(), c) <= (c.length <= 3 ? 1 : 2));
  const modelFollows = argv.slice(1).some((a) => !a.startsWith('-') && (/\.onnx$/i.test(a) || existsSync(a)));
  if (near.length === 0 && !modelFollows) return;
  throw new UsageError(
    `unknown command '${word}'${near.length ? ` (did you mean ${near.map((c) => `'${c}'`).join(' or ')}?)` : ''}`,
    `the commands are ${commands.join(', ')}; to inject, give the model first: sge-inject MODEL --after PATTERN`,
  );
}

/**
 * Runs the tool on an argument list (without `node` and the script) and resolves to the exit status.
 * Nothing is written to disk unless the command says so; `io` receives all output.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const debug = argv.includes('--debug');
  let status = EXIT_OK;
  // Each command's module (and through it the codec, protobufjs, onnxruntime) is loaded only when that
  // command runs: `--help` and `--version` load commander and nothing else.
  const program = buildProgram(
    {
      inject: async (model, options) => {
        status = await (await import('./inject-command.js')).runInject(model, options, io);
        return status;
      },
      list: async (model, options) => {
        status = await (await import('./list-command.js')).runList(model, options, io);
        return status;
      },
      validate: async (a, b, options) => {
        status = await (await import('./validate-command.js')).runValidate(a, b, options, io);
        return status;
      },
      strip: async (model, options) => {
        status = await (await import('./strip-command.js')).runStrip(model, options, io);
        return status;
      },
      fuse: async (model, options) => {
        status = await (await import('./fuse-command.js')).runFuse(model, options, io);
        return status;
      },
      test: async (model, options) => {
        status = await (await import('./test-command.js')).runTest(model, options, io);
        return status;
      },
      ci: async (config, options) => {
        status = await (await import('./ci-command.js')).runCiCommand(config, options, io);
        return status;
      },
      web: async (options) => {
        status = await (await import('./web-command.js')).runWeb(options, io);
        return status;
      },
    },
    io,
  );
  try {
    checkCommandWord(
      argv,
      program.commands.map((c) => c.name()),
    );
    await program.parseAsync([...argv], { from: 'user' });
    return status;
  } catch (err) {
    return reportError(err, io, debug);
  }
}
