#!/usr/bin/env node
// The command-line entry: the compiled CLI in dist/ (built by `npm run build`, or `prepare` during npm ci/install).
import { runCli } from '../dist/cli/index.js';

process.exitCode = await runCli(process.argv.slice(2));
