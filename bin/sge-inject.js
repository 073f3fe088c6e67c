#!/usr/bin/env node
// The command-line entry: the bundled CLI in dist/cli-bundle/ (scripts/build-cli.mjs, run by `npm run
// build`, or `prepare` during npm ci/install), which starts faster than the ~100 modules of dist/cli/.
import { runCli } from '../dist/cli-bundle/main.js';

process.exitCode = await runCli(process.argv.slice(2));
