#!/usr/bin/env node
// The command-line entry: the bundled CLI in dist/cli-bundle/ (scripts/build-cli.mjs, run by `npm run
// build`, or `prepare` during npm ci/install), which starts faster than the ~100 modules of dist/cli/.
// CommonJS, as the bundle is (bin/package.json): no ESM loader at start-up (bench/NOTES.md).
'use strict';
require('../dist/cli-bundle/main.js')
  .runCli(process.argv.slice(2))
  .then((status) => {
    process.exitCode = status;
  });
